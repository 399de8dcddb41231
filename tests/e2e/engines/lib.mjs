// Cross-engine end-to-end helpers: Firefox ESR (geckodriver, with WebDriver BiDi), WebKitGTK (WebKitWebDriver
// under Xvfb) and WPE WebKit 2.38 (WPEWebDriver, headless) through selenium-webdriver, against a real
// chathub-server. The Chromium suite (tests/e2e/*.test.mjs, playwright-core) does not use this file.
//
// Host pages come from a small HTTP server of the test's own, on another origin than chathub-server (as
// a CDN-hosted widget would be). Every page it serves starts with /capture.js, which records uncaught
// errors, unhandled rejections and console.error calls before anything else runs: WebKit has no BiDi, so
// this is how its page errors are seen. On Firefox, BiDi's JavaScript-exception log is watched as well.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { Builder, Key } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import LogInspector from 'selenium-webdriver/bidi/logInspector.js';
import { ROOT } from '../lib/server.mjs';

export { Key };
export const ID = 'operator-chat-panel-script';
export const HOST = `#${ID}-host`;
export const OUT = join(ROOT, 'test-output');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The CSP hash of the stylesheet the widget inserts as a <style> where constructable sheets are missing. */
export const STYLE_HASH = `'sha256-${createHash('sha256').update(readFileSync(join(ROOT, 'src/view/style.css'))).digest('base64')}'`;

const GECKODRIVER = process.env.GECKODRIVER || join(homedir(), '.cargo/bin/geckodriver');

/** A free loopback port. */
function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
    s.on('error', fail);
  });
}

/** Starts a WebDriver server process and waits until it answers /status. */
async function driverProcess(cmd, args, port) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((ok) => child.on('exit', ok));
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${cmd} exited ${child.exitCode}:\n${log}`);
    try { if ((await fetch(`http://127.0.0.1:${port}/status`)).ok) break; } catch { /* not yet */ }
    await sleep(100);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      // xvfb-run starts Xvfb and the driver: end the whole process group this test started.
      if (child.exitCode === null && child.signalCode === null) {
        try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
        await Promise.race([exited, sleep(5000)]);
        try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      }
    },
  };
}

/**
 * Starts a browser session for `engine` ("firefox", "webkit" or "wpe"). Returns `{ driver, engine,
 * version, errors, quit }`; `errors` collects the page errors BiDi reports (Firefox only).
 */
export async function startEngine(engine) {
  const errors = [];
  let driver, proc;
  if (engine === 'firefox') {
    const options = new firefox.Options().setBinary('/usr/bin/firefox-esr').addArguments('-headless').enableBidi();
    driver = await new Builder().forBrowser('firefox').setFirefoxOptions(options)
      .setFirefoxService(new firefox.ServiceBuilder(GECKODRIVER)).build();
    const inspector = await LogInspector(driver);
    // Firefox also logs a socket that fails or is cut off while connecting (a removed panel, a server
    // restart) as an error entry; Chromium's pageerror has no such notices. Those are not page errors.
    const socketNotice = /^(Firefox can’t establish a connection to the server at wss?:|The connection to wss?:\S+ was interrupted while the page was loading\.)/;
    await inspector.onJavascriptException((e) => {
      if (!socketNotice.test(e.text)) errors.push(`${e.text}\n${JSON.stringify(e.stackTrace ?? '')}`);
    });
  } else if (engine === 'webkit') {
    const port = await freePort();
    proc = await driverProcess('xvfb-run', ['-a', '-s', '-screen 0 1280x1024x24', 'WebKitWebDriver', `--port=${port}`], port);
    driver = await new Builder().usingServer(proc.url).withCapabilities({ browserName: 'MiniBrowser' }).build();
  } else if (engine === 'wpe') {
    const port = await freePort();
    proc = await driverProcess('WPEWebDriver', [`--port=${port}`], port);
    driver = await new Builder().usingServer(proc.url).withCapabilities({
      browserName: 'cog',
      'wpe:browserOptions': { binary: '/usr/bin/cog', args: ['--automation', '--platform=headless'] },
    }).build();
  } else {
    throw new Error(`unknown engine ${engine}`);
  }
  const caps = await driver.getCapabilities();
  const version = caps.get('browserVersion');
  await driver.manage().setTimeouts({ script: 30000 });
  return {
    driver, engine, version, errors,
    async quit() {
      try { await driver.quit(); } finally { await proc?.stop(); }
    },
  };
}

// Runs first in every host page: records what the page throws, and counts WebSockets still open.
const CAPTURE = `(() => {
  const seen = [];
  Object.defineProperty(window, '__pageErrors', { value: seen, enumerable: false });
  // Only trusted errors: the widget's own documented ErrorEvents (bad token...) are dispatched by script.
  const describe = (x) => (x && x.stack ? String(x) + '\\n' + x.stack : String(x));
  addEventListener('error', (e) => { if (e.isTrusted) seen.push('error: ' + (e.error ? describe(e.error) : e.message)); });
  addEventListener('unhandledrejection', (e) => seen.push('unhandled rejection: ' + describe(e.reason)));
  const consoleError = console.error;
  console.error = (...a) => { seen.push('console.error: ' + a.map(String).join(' ')); consoleError.apply(console, a); };
  const violations = [];
  Object.defineProperty(window, '__cspViolations', { value: violations, enumerable: false });
  document.addEventListener('securitypolicyviolation', (e) => violations.push((e.effectiveDirective || e.violatedDirective) + ' ' + e.blockedURI), true);
  const Native = window.WebSocket;
  const all = [];
  if (Native) {
    window.WebSocket = class extends Native { constructor(...a) { super(...a); all.push(this); } };
    Object.defineProperty(window, '__liveSockets', { enumerable: false,
      value: () => all.filter((s) => s.readyState !== Native.CLOSED).length });
  }
})();
`;

/**
 * The test's own host-page server. `pages` maps a path to `{ body, csp? }` (HTML after the capture
 * script) or is given later through `host.page(path, html, csp)`.
 */
export async function hostServer() {
  const pages = new Map();
  const server = createServer((req, res) => {
    const path = req.url.split('?')[0];
    if (path === '/capture.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }); res.end(CAPTURE); return;
    }
    if (path === '/favicon.ico' || path === '/favicon.svg') {
      res.writeHead(200, { 'content-type': 'image/svg+xml' });
      res.end('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'); return;
    }
    if (path.startsWith('/operator-chat-panel/') && !path.includes('..')) {
      // The widget itself, for a page that loads it from its own origin.
      const types = { js: 'text/javascript', wasm: 'application/wasm', json: 'application/json' };
      try {
        const body = readFileSync(join(ROOT, 'dist', path));
        res.writeHead(200, { 'content-type': types[path.split('.').pop()] || 'application/octet-stream' });
        res.end(body);
      } catch { res.writeHead(404); res.end(); }
      return;
    }
    const p = pages.get(path);
    if (!p) { res.writeHead(404); res.end(); return; }
    const headers = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
    if (p.csp) headers['content-security-policy'] = p.csp;
    res.writeHead(200, headers);
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<script src="/capture.js"></script><link rel="icon" href="/favicon.svg"><title>${path}</title>
${p.head || ''}</head><body><main><h1>Host page</h1><div id="slot"></div></main>${p.body || ''}</body></html>`);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    page(path, { head, body, csp } = {}) { pages.set(path, { head, body, csp }); return `${url}${path}`; },
    close: () => new Promise((ok) => { server.closeAllConnections(); server.close(ok); }),
  };
}

/** The widget's script tag as markup (the static embed). */
export const scriptTag = (srvUrl, token, attrs = '', widgetBase = srvUrl) =>
  `<script type="module" id="${ID}" src="${widgetBase}/operator-chat-panel/widget-script.js" token="${token}" api="${srvUrl}" open ${attrs}></script>`;

/** Runs `fn` (a function) in the page with `args`; returns its (awaited) value. */
export const run = (driver, fn, ...args) =>
  driver.executeAsyncScript(`const done = arguments[arguments.length - 1];
    Promise.resolve((${fn}).apply(null, Array.prototype.slice.call(arguments, 0, -1)))
      .then((v) => done({ ok: v === undefined ? null : v }), (e) => done({ err: String(e && e.stack || e) }));`, ...args)
    .then((r) => { if (r && 'err' in r) throw new Error(r.err); return r ? r.ok : r; });

/** Polls `fn` in the page until it returns something truthy; fails naming `what` after `ms`. */
export async function waitIn(driver, what, fn, args = [], ms = 30000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await run(driver, fn, ...args);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** A query in the panel's shadow root (or null). Runs in the page. */
function inShadow(host, css) {
  const h = document.querySelector(host);
  return h && h.shadowRoot ? h.shadowRoot.querySelector(css) : null;
}

export const connected = (driver, host = HOST) => waitIn(driver, 'the panel to connect',
  `(host) => (${inShadow})(host, '.conn[data-state=connected]') !== null`, [host]);

/** Clicks an element of the panel through script (WebKit refuses WebDriver clicks inside a shadow root). */
export async function clickIn(driver, css, host = HOST) {
  await waitIn(driver, css, `(host, css) => (${inShadow})(host, css) !== null`, [host, css]);
  await run(driver, `(host, css) => (${inShadow})(host, css).click()`, host, css);
}

/** Focuses the composer through script, then types `text` and Enter through the actions API. */
export async function typeAndSend(driver, text, host = HOST) {
  await waitIn(driver, 'the composer', `(host) => (${inShadow})(host, 'textarea') !== null`, [host]);
  await run(driver, `(host) => { const t = (${inShadow})(host, 'textarea'); t.focus(); }`, host);
  await driver.actions().sendKeys(text).sendKeys(Key.ENTER).perform();
}

/** Waits until the panel shows `css` containing `text`. */
export const seeText = (driver, css, text, host = HOST) => waitIn(driver, `${css} with "${text}"`,
  `(host, css, text) => { const h = document.querySelector(host); return !!h && !!h.shadowRoot &&
    [...h.shadowRoot.querySelectorAll(css)].some((e) => e.textContent.includes(text)); }`, [host, css, text]);

/** Texts of the open thread's messages, in order. */
export const threadTexts = (driver, host = HOST) => run(driver, `(host) => [...document.querySelector(host)
  .shadowRoot.querySelectorAll('.messages .msg .text')].map((e) => e.textContent)`, host);

/** The page errors recorded by /capture.js (and BiDi on Firefox) since the last call, emptying both. */
export async function takeErrors(session) {
  let inPage = [];
  try { inPage = await run(session.driver, '() => window.__pageErrors ? window.__pageErrors.splice(0) : ["no capture script"]'); } catch (e) {
    inPage = [`could not read the page errors: ${e.message}`];
  }
  return [...session.errors.splice(0), ...inPage];
}

/** A screenshot into test-output/, after two animation frames (WebKit may show an older frame at once). */
export async function screenshot(session, name) {
  await run(session.driver, '() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())))');
  mkdirSync(OUT, { recursive: true });
  const path = join(OUT, `${session.engine}-${name}.png`);
  writeFileSync(path, await session.driver.takeScreenshot(), 'base64');
  return path;
}
