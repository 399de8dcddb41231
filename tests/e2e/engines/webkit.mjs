// The cross-engine subset in WebKitGTK (WebKitWebDriver's MiniBrowser under Xvfb).
import { defineSubset } from './subset.mjs';

defineSubset('webkit');
