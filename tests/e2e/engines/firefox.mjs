// The cross-engine subset in Firefox ESR (geckodriver, WebDriver BiDi for page errors).
import { defineSubset } from './subset.mjs';

defineSubset('firefox');
