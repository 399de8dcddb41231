// Headless Debian Chromium through playwright-core, with the flags this closed network needs.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './server.mjs';

export const OUT = join(ROOT, 'test-output');

// Any uncaught error in a host page (`pageerror`) fails the test that saw it (DESIGN.md, Testing). Every
// browser launched here watches every page of every context it makes, however the test opened it
// (openPage, browser.newPage, browser.newContext().newPage(), popups), and records what they throw.
// Under `node --test` an afterEach hook, registered when this module loads (so no test file can forget
// it), fails each test whose pages threw, and an after hook catches what came after the last test.
const pageErrors = [];

function watchPage(page) {
  if (page.__chathubWatched) return;
  Object.defineProperty(page, '__chathubWatched', { value: true });
  page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e?.stack || e}`));
}

function watchContext(context) {
  if (context.__chathubWatched) return;
  Object.defineProperty(context, '__chathubWatched', { value: true });
  context.pages().forEach(watchPage);
  context.on('page', watchPage);
}

/** The page errors recorded since the last call, emptying the record. */
export function takePageErrors() {
  return pageErrors.splice(0);
}

/**
 * Lets the current test accept page errors matching `pattern` (for a scenario that provokes one on
 * purpose): removes them from the record and returns them. Everything else still fails the test.
 */
export function acceptPageErrors(pattern) {
  const accepted = [];
  for (let i = pageErrors.length - 1; i >= 0; i--) {
    if (pattern.test(pageErrors[i])) accepted.unshift(...pageErrors.splice(i, 1));
  }
  return accepted;
}

/** Fails with every page error recorded since the last check. */
export function assertNoPageErrors(when = '') {
  const seen = takePageErrors();
  if (seen.length) {
    throw new Error(`uncaught error(s) in a host page${when}:\n${seen.join('\n')}`);
  }
}

if (process.env.NODE_TEST_CONTEXT || process.argv.some((a) => /\.test\.m?js$/.test(a))) {
  const { afterEach, after } = await import('node:test');
  afterEach(() => assertNoPageErrors(' during this test'));
  after(() => assertNoPageErrors(' after the last test'));
}

export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  // browser.newPage() makes its context through browser.newContext(); both are covered either way.
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args) => {
    const context = await newContext(...args);
    watchContext(context);
    return context;
  };
  const newPage = browser.newPage.bind(browser);
  browser.newPage = async (...args) => {
    const page = await newPage(...args);
    watchContext(page.context());
    watchPage(page);
    return page;
  };
  return browser;
}

/** A page that records console errors and page errors. */
export async function openPage(browser, url, { viewport = { width: 1100, height: 720 } } = {}) {
  const page = await browser.newPage({ viewport });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  if (url) await page.goto(url);
  return { page, errors };
}

export async function screenshot(page, name) {
  mkdirSync(OUT, { recursive: true });
  const path = join(OUT, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** A locator inside the panel's shadow root (playwright CSS pierces open shadow roots). */
export const inPanel = (page, css, host = '#operator-chat-panel-script-host') => page.locator(`${host} ${css}`);
