// The widget's lifecycle bound to its script element (issue 5, items 1 and 3; DESIGN.md §2): inject and
// remove hundreds of times without a leak, StrictMode double mounts, duplicate ids, two organizations side
// by side, and the documented errors for an expired and a malformed token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { companyToken, inbound } from './lib/server.mjs';
import { inPanel } from './lib/browser.mjs';
import {
  ID, inject, withServer, until, devToken, operatorToken, blankPage as blankHostPage, connected,
} from './lib/panel.mjs';

const hubConnections = async (url) => (await (await fetch(`${url}/api/debug/connections`)).json()).hub;

/** Wraps `window.WebSocket` before any page script runs, to count sockets opened and still open. */
function countSockets() {
  const Native = window.WebSocket;
  const all = [];
  const stats = { created: 0, closeEvents: 0 };
  class CountedWebSocket extends Native {
    constructor(...args) {
      super(...args);
      stats.created++;
      all.push(this);
      this.addEventListener('close', () => { stats.closeEvents++; });
    }
  }
  window.WebSocket = CountedWebSocket;
  Object.defineProperty(window, '__sockets', {
    enumerable: false,
    value: () => ({ ...stats, live: all.filter((s) => s.readyState !== Native.CLOSED).length }),
  });
}

/** A blank same-origin host page with counted WebSockets (and `window.__widgetScript`). */
const blankPage = (browser, srv) => blankHostPage(browser, srv, { initScripts: [countSockets] });

const panelHosts = (page) => page.evaluate(
  () => document.querySelectorAll('[id^="operator-chat-panel-script"][id$="-host"]').length);

test('inject, remove and inject again 200 times: no socket, node, host or server connection left', async () => {
  await withServer(async (srv, browser) => {
    const { page, errors } = await blankPage(browser, srv);
    const token = await devToken(srv.url);
    const start = await page.evaluate(() => ({
      nodes: document.getElementsByTagName('*').length, title: document.title,
    }));
    await page.evaluate(() => Object.defineProperty(window, '__destroyed', { value: [0], enumerable: false }));

    const ROUNDS = 200;
    for (let round = 0; round < ROUNDS; round++) {
      // Every 10th round (including the last) waits for a live connection; the others remove the panel
      // at different moments of its start-up: at once, or a few milliseconds into negotiate/connect.
      const waitConnected = round % 10 === 9;
      const delay = waitConnected ? 0 : (round % 5) * 4;
      const r = await page.evaluate(async ({ token, api, id, waitConnected, delay, parent }) => {
        const poll = async (pred, ms) => {
          const end = performance.now() + ms;
          while (!pred()) {
            if (performance.now() > end) return false;
            await new Promise((ok) => setTimeout(ok, 5));
          }
          return true;
        };
        const s = window.__widgetScript({ id, token, api });
        s.addEventListener('chathub:destroyed', () => { window.__destroyed[0]++; });
        document[parent].appendChild(s);
        const host = () => document.getElementById(`${id}-host`);
        if (!await poll(host, 20000)) return 'the panel host never appeared';
        if (waitConnected && !await poll(() => host()?.shadowRoot?.querySelector('.conn[data-state=connected]'), 20000)) {
          return 'the panel never connected';
        }
        if (delay) await new Promise((ok) => setTimeout(ok, delay));
        s.remove();
        if (!await poll(() => !host(), 5000)) return 'the panel host stayed after the script was removed';
        return 'ok';
      }, { token, api: srv.url, id: ID, waitConnected, delay, parent: round % 2 ? 'body' : 'head' });
      assert.equal(r, 'ok', `round ${round}`);
      if (round === 9) {
        // The page's sockets really go through the counting wrapper (else "none open" would prove nothing).
        assert.ok(await page.evaluate(() => window.__sockets().created) > 0, 'the counted WebSocket wrapper was used');
      }
    }

    // After the last removal: give the event loop a moment, then nothing may be left.
    const sockets = await until(() => page.evaluate(() => window.__sockets()), (s) => s.live === 0, 5000);
    assert.equal(sockets.live, 0, `no WebSocket open in the page (${JSON.stringify(sockets)})`);
    assert.ok(sockets.created >= ROUNDS / 10, `a socket per connected round at least (${sockets.created})`);
    const end = await page.evaluate(() => ({
      nodes: document.getElementsByTagName('*').length,
      title: document.title,
      hosts: document.querySelectorAll('#operator-chat-panel-script-host').length,
      scripts: document.querySelectorAll('script[id^="operator-chat-panel-script"]').length,
      destroyed: window.__destroyed[0],
    }));
    assert.equal(end.hosts, 0, 'no panel host left');
    assert.equal(end.scripts, 0);
    assert.equal(end.nodes, start.nodes, 'the DOM is back to its starting node count');
    assert.equal(end.title, start.title, 'no title badge left');
    assert.equal(end.destroyed, ROUNDS, 'chathub:destroyed once per removal');
    const hub = await until(() => hubConnections(srv.url), (n) => n === 0, 10000, 200);
    assert.equal(hub, 0, 'the server shows no hub connection left');
    assert.deepEqual(errors, []);
    // 200 mounts in a few seconds, each with its negotiate, socket and list: well past the documented
    // 100 requests per second per token, which is not what this test is about.
  }, { args: ['--rate-limit', '100000'] });
});

test('StrictMode double mount (append, remove, append in one tick) gives exactly one panel, and it connects', async () => {
  await withServer(async (srv, browser) => {
    const token = await devToken(srv.url);
    // Same tick (React StrictMode runs mount, cleanup, mount synchronously), then with the first mount
    // already observed (a microtask and a task later) before cleanup and the second mount.
    for (const gap of ['none', 'task']) {
      const { page, errors } = await blankPage(browser, srv);
      await page.evaluate(async ({ token, api, id, gap }) => {
        const make = () => window.__widgetScript({ id, token, api });
        const first = make();
        document.body.appendChild(first);
        if (gap === 'task') {
          await new Promise((ok) => setTimeout(ok, 0));
          // Wait for the module to load and mount the first panel, so the cleanup really unmounts it.
          while (!document.getElementById(`${id}-host`)) await new Promise((ok) => setTimeout(ok, 5));
        }
        first.remove();
        document.body.appendChild(make());
      }, { token, api: srv.url, id: ID, gap });
      await connected(page);
      const sockets = await until(() => page.evaluate(() => window.__sockets()), (s) => s.live === 1, 5000);
      assert.equal(sockets.live, 1, `gap ${gap}: one WebSocket open (${JSON.stringify(sockets)})`);
      assert.equal(await panelHosts(page), 1, `gap ${gap}: exactly one panel host`);
      const hub = await until(() => hubConnections(srv.url), (n) => n === 1, 10000, 200);
      assert.equal(hub, 1, `gap ${gap}: one hub connection on the server`);
      assert.deepEqual(errors, []);
      await page.close();
      await until(() => hubConnections(srv.url), (n) => n === 0, 10000, 200);
    }
  });
});

test('two script elements with the same id give exactly one panel', async () => {
  await withServer(async (srv, browser) => {
    const { page, errors } = await blankPage(browser, srv);
    const token = await devToken(srv.url);
    // Two at once (a provider's loadWidgetOnce called twice in one tick) ...
    await page.evaluate(({ token, api, id }) => {
      for (const parent of ['head', 'body']) window.__widgetScript({ id, token, api, parent });
    }, { token, api: srv.url, id: ID });
    await connected(page);
    assert.equal(await panelHosts(page), 1, 'one panel for two simultaneous elements');
    // ... and a third one later, while the panel is connected.
    await inject(page, { token, api: srv.url, parent: 'body' });
    await page.evaluate(() => new Promise((ok) => setTimeout(ok, 300)));
    assert.equal(await panelHosts(page), 1, 'still one panel after a later duplicate');
    assert.equal(await inPanel(page, '.conn').count(), 1);
    const sockets = await until(() => page.evaluate(() => window.__sockets()), (s) => s.live === 1, 5000);
    assert.equal(sockets.live, 1, `one WebSocket open (${JSON.stringify(sockets)})`);
    const hub = await until(() => hubConnections(srv.url), (n) => n === 1, 10000, 200);
    assert.equal(hub, 1, 'one hub connection on the server');
    assert.deepEqual(errors, []);
  });
});

test('two organizations side by side: independent panels, each sees only its own chats', async () => {
  await withServer(async (srv, browser) => {
    const { page, errors } = await blankPage(browser, srv);
    const company1 = await companyToken(srv.url);
    const company2 = await companyToken(srv.url, 'demo2', 'demo2');
    const tokenA = await devToken(srv.url); // operator 1, organization 1
    const tokenB = await operatorToken(srv.url, company2, 3); // operator 3, organization 2
    await inject(page, { id: `${ID}-a`, token: tokenA, api: srv.url });
    await inject(page, { id: `${ID}-b`, token: tokenB, api: srv.url, parent: 'body' });
    const A = `#${ID}-a-host`;
    const B = `#${ID}-b-host`;
    await connected(page, A);
    await connected(page, B);
    assert.equal(await panelHosts(page), 2, 'two panels');
    const hub = await until(() => hubConnections(srv.url), (n) => n === 2, 10000, 200);
    assert.equal(hub, 2, 'each panel has its own hub connection');

    // A customer writes to organization 2: it appears in panel b ...
    const text2 = `For org 2 only ${Date.now()}`;
    const { chatId: chat2 } = await inbound(srv.url, company2, { organizationId: 2, name: 'Org2 Client', phone: '+380504440002', text: text2 });
    await inPanel(page, `.chat[data-chat="${chat2}"]`, B).getByText(text2).waitFor();
    // ... then one to organization 1, after it: once panel a shows that, it has had every chance to
    // show the earlier organization-2 message too.
    const text1 = `For org 1 only ${Date.now()}`;
    const { chatId: chat1 } = await inbound(srv.url, company1, { organizationId: 1, name: 'Org1 Client', phone: '+380504440001', text: text1 });
    await inPanel(page, `.chat[data-chat="${chat1}"]`, A).getByText(text1).waitFor();

    assert.equal(await inPanel(page, `.chat[data-chat="${chat2}"]`, A).count(), 0, 'org 2 chat never in panel a');
    assert.equal(await inPanel(page, `.chat[data-chat="${chat1}"]`, B).count(), 0, 'org 1 chat never in panel b');
    const texts = await page.evaluate(([a, b]) => [a, b].map((h) => document.querySelector(h).shadowRoot.textContent), [A, B]);
    assert.ok(!texts[0].includes(text2), 'org 2 text never in panel a');
    assert.ok(!texts[1].includes(text1), 'org 1 text never in panel b');
    assert.deepEqual(errors, []);
  });
});

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const EXPIRED = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ exp: 1000 })}.${b64url('sig')}`;

for (const [kind, token, message, state] of [
  ['an expired', EXPIRED, 'token expired', 'expired'],
  ['a malformed', 'not-a-jwt', 'Invalid token', 'invalid'],
]) {
  test(`${kind} token raises the documented errors and the panel shows "${state}"`, async () => {
    await withServer(async (srv, browser) => {
      const { page } = await blankPage(browser, srv);
      const got = await page.evaluate(({ token, api, id }) => new Promise((resolve) => {
        const out = { error: null, windowError: null };
        const done = () => { if (out.error && out.windowError) resolve(out); };
        setTimeout(() => resolve(out), 20000);
        window.addEventListener('error', (e) => {
          if (!(e instanceof ErrorEvent)) return;
          out.windowError = { message: String(e.message), isErrorEvent: true };
          done();
        });
        const s = window.__widgetScript({ id, token, api });
        s.addEventListener('chathub:error', (e) => {
          out.error = { ...e.detail, isCustomEvent: e instanceof CustomEvent, bubbles: e.bubbles };
          done();
        });
        document.head.appendChild(s);
      }), { token, api: srv.url, id: ID });

      assert.ok(got.error, 'chathub:error was dispatched on the script element');
      assert.equal(got.error.message, message);
      assert.equal(typeof got.error.code, 'string');
      assert.ok(got.error.code.length > 0, 'the error has a code');
      assert.ok(got.error.isCustomEvent && got.error.bubbles, 'a bubbling CustomEvent');
      assert.ok(got.windowError, 'an ErrorEvent was dispatched on window');
      assert.ok(got.windowError.message.includes(message), `window ErrorEvent message "${got.windowError.message}"`);

      await inPanel(page, '.conn').and(page.locator(`[data-state=${state}]`)).waitFor({ state: 'attached', timeout: 10000 });
      // The token is checked before connecting: no WebSocket was ever opened with it.
      assert.equal(await page.evaluate(() => window.__sockets().created), 0, 'no WebSocket opened');
    });
  });
}
