// Older engines (issue 15, item 3), on WPE WebKit 2.38, which has no constructable stylesheets (like Safari
// before 16.4): the panel falls back to a <style> in its shadow root, allowed by a strict CSP through the
// stylesheet's hash; and where the panel cannot run at all (no WebAssembly, no shadow DOM) the loader
// reports `unsupported_browser` and shows the fallback contact as plain text in the page.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import {
  startEngine, hostServer, scriptTag, run, waitIn, takeErrors, screenshot,
  STYLE_HASH, HOST, ID,
} from './lib.mjs';

const devToken = async (url) => (await (await fetch(`${url}/api/chathub/token`)).json()).token;

let session, srv, host;
before(async () => {
  srv = await startServer();
  host = await hostServer();
  session = await startEngine('wpe');
  console.log(`# wpe ${session.version}`);
});
after(async () => { await session?.quit(); await host?.close(); await srv?.stop(); });
// JavaScriptCore 2.38 traps in the widget's wasm now and then ("Out of bounds table access" or "Unreachable
// code should not be executed" inside wasm-bindgen's closure calls, e.g. in serde-wasm-bindgen's number
// check), so the panel does not run reliably there (README, Browsers). Those two traps are set aside and
// reported; any other page error fails the test.
const KNOWN_TRAP = /RuntimeError: (Out of bounds table access|Unreachable code should not be executed)/;
afterEach(async () => {
  if (!session) return;
  const errors = await takeErrors(session);
  const traps = errors.filter((e) => KNOWN_TRAP.test(e));
  if (traps.length) console.log(`# WPE 2.38 wasm traps seen (known): ${traps.length}`);
  assert.deepEqual(errors.filter((e) => !KNOWN_TRAP.test(e)), [], 'page errors in WPE WebKit');
});

test('WPE WebKit 2.38: no constructable stylesheets, so a <style> styles the panel, allowed by its CSP hash', async () => {
  const { driver } = session;
  assert.equal(await run(driver, () => {
    try { new CSSStyleSheet(); return 'constructable'; } catch { return 'illegal'; }
  }), 'illegal', 'this engine really lacks constructable stylesheets');
  const csp = `default-src 'self'; script-src 'self' ${srv.url} 'wasm-unsafe-eval'; style-src 'self' ${STYLE_HASH}; `
    + `connect-src ${srv.url} ws://127.0.0.1:*`;
  // The widget from the page's own origin: WebKit 2.38 reports errors of a cross-origin module as a bare
  // "Script error.", and a known trap could not be told from any other error.
  const body = scriptTag(srv.url, await devToken(srv.url), '', host.url);
  await driver.get(host.page('/legacy-csp', { body, csp }));
  await waitIn(driver, 'the panel', (h) => !!document.querySelector(h)?.shadowRoot?.querySelector('section.panel'), [HOST]);
  const look = await run(driver, (h) => {
    const root = document.querySelector(h).shadowRoot;
    const panel = root.querySelector('section.panel');
    const cs = getComputedStyle(panel);
    return {
      adopted: 'adoptedStyleSheets' in root ? root.adoptedStyleSheets.length : 'none',
      styles: root.querySelectorAll('style').length,
      display: cs.display,
      position: getComputedStyle(document.querySelector(h)).position,
    };
  }, HOST);
  assert.equal(look.styles, 1, 'one <style> in the shadow root');
  assert.equal(look.display, 'flex', 'the fallback stylesheet applies (the panel is a flex box)');
  assert.equal(look.position, 'fixed', 'the host floats, as styled');

  await run(driver, () => new Promise((r) => setTimeout(r, 250))); // late violation reports
  assert.deepEqual(await run(driver, () => window.__cspViolations), [], 'no CSP violations');
  await screenshot(session, 'legacy-style-fallback');
});

for (const [what, removal] of [
  ['WebAssembly', 'delete window.WebAssembly;'],
  ['shadow DOM', 'delete Element.prototype.attachShadow;'],
]) {
  test(`without ${what}: chathub:error unsupported_browser, an ErrorEvent, and the fallback contact as text`, async () => {
    const { driver } = session;
    // Inline scripts (no CSP here) run before the module loader: they take the feature away and listen.
    const head = `<script>${removal}
      window.__seen = [];
      document.addEventListener('chathub:error', (e) => window.__seen.push({ type: e.type, target: e.target.id, detail: e.detail }));
      window.addEventListener('error', (e) => { if (!e.isTrusted) window.__seen.push({ type: 'ErrorEvent', message: e.message }); });
    </script>`;
    const body = scriptTag(srv.url, await devToken(srv.url),
      'fallback-email="help@example.com" fallback-url="https://example.com/help"');
    await driver.get(host.page(`/unsupported-${what.replace(' ', '-')}`, { head, body }));
    const seen = await run(driver, async () => {
      for (let i = 0; i < 200 && window.__seen.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      return window.__seen;
    });
    const message = `unsupported browser: the chat panel needs ${what}`;
    assert.deepEqual(seen, [
      { type: 'chathub:error', target: ID, detail: { code: 'unsupported_browser', message } },
      { type: 'ErrorEvent', message },
    ]);
    const page = await run(driver, (id) => {
      const box = document.getElementById(`${id}-fallback`);
      return {
        host: !!document.getElementById(`${id}-host`),
        text: box && box.textContent,
        links: box ? [...box.querySelectorAll('a')].map((a) => a.getAttribute('href')) : [],
        inLightDom: !!box && box.getRootNode() === document,
      };
    }, ID);
    assert.equal(page.host, false, 'no panel host');
    assert.ok(page.inLightDom, 'the fallback is in the page itself');
    assert.match(page.text, /Chat is not available in this browser\. help@example\.com https:\/\/example\.com\/help/);
    assert.deepEqual(page.links, ['mailto:help@example.com', 'https://example.com/help']);
    await screenshot(session, `unsupported-${what.replace(' ', '-')}`);
  });
}
