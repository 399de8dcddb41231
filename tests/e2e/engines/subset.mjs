// The real subset of the end-to-end suite that runs in every engine (issue 15): the static embed, a live
// message, an operator reply, a reconnect after a server restart, inject/remove lifecycle and the
// strict-CSP page. firefox.mjs and webkit.mjs call defineSubset with their engine.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, companyToken, inbound, outbound } from '../lib/server.mjs';
import {
  startEngine, hostServer, scriptTag, run, waitIn, connected, clickIn, typeAndSend, seeText, threadTexts,
  takeErrors, screenshot, ID, HOST,
} from './lib.mjs';

const devToken = async (url) => (await (await fetch(`${url}/api/chathub/token`)).json()).token;
const hubConnections = async (url) => (await (await fetch(`${url}/api/debug/connections`)).json()).hub;

/** Polls a node-side probe until it returns something truthy. */
async function poll(fn, what, tries = 300) {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The panel is styled: its section is a flex box (unstyled, it would be a block). Runs in the page. */
function styled(host) {
  const panel = document.querySelector(host).shadowRoot.querySelector('section.panel');
  return !!panel && getComputedStyle(panel).display === 'flex';
}

export function defineSubset(engine) {
  let session, srv, host, company;
  before(async () => {
    srv = await startServer();
    host = await hostServer();
    company = await companyToken(srv.url);
    session = await startEngine(engine);
    console.log(`# ${engine} ${session.version}`);
  });
  after(async () => { await session?.quit(); await host?.close(); await srv?.stop(); });
  // Any page error fails the test that saw it (DESIGN.md, Testing).
  afterEach(async () => {
    if (!session) return;
    const errors = await takeErrors(session);
    assert.deepEqual(errors, [], `page errors in ${engine}`);
  });

  test(`${engine}: the static embed mounts one styled panel in a shadow root and connects`, async () => {
    const { driver } = session;
    await driver.get(host.page('/static', { body: scriptTag(srv.url, await devToken(srv.url)) }));
    await connected(driver);
    assert.equal(await run(driver, (id) => document.querySelectorAll(`#${id}-host`).length, ID), 1, 'one panel host');
    assert.ok(await run(driver, styled, HOST), 'the panel is styled');
    assert.ok(await run(driver, (h) => document.querySelector(h).shadowRoot.adoptedStyleSheets.length > 0, HOST),
      'through adoptedStyleSheets');
    await waitIn(driver, 'the chat list', (h) => document.querySelector(h).shadowRoot.querySelector('.chat') !== null, [HOST]);
    await screenshot(session, 'static-embed');
  });

  let chatId;
  const phone = '+380501234999';
  test(`${engine}: a customer's message appears live in the list`, async () => {
    const text = `Live in ${engine} ${Date.now()}`;
    ({ chatId } = await inbound(srv.url, company, { name: `Ann ${engine}`, phone, text }));
    await seeText(session.driver, `.chat[data-chat="${chatId}"]`, text);
  });

  test(`${engine}: the operator opens the chat and replies; the customer receives it`, async () => {
    const { driver } = session;
    await clickIn(driver, `button.chat[data-chat="${chatId}"]`);
    await seeText(driver, '.messages .msg.in', 'Live in');
    const reply = `Reply from ${engine} ${Date.now()}`;
    await typeAndSend(driver, reply);
    await seeText(driver, '.messages .msg.out:not(.pending)', reply);
    await poll(async () => (await outbound(srv.url, company, { phone })).items.some((m) => m.message === reply),
      'the reply on the customer channel');
    await screenshot(session, 'reply');
  });

  test(`${engine}: a server restart mid-conversation: reconnects, every message once, in order`, async () => {
    const { driver } = session;
    let own = await startServer();
    const { dir } = own;
    const addr = own.url.replace('http://', '');
    try {
      const co = await companyToken(own.url);
      const p = '+380503330001';
      const { chatId: id } = await inbound(own.url, co, { name: 'Restart Ann', phone: p, text: 'c1' });
      await driver.get(host.page('/restart', { body: scriptTag(own.url, await devToken(own.url)) }));
      await connected(driver);
      await clickIn(driver, `button.chat[data-chat="${id}"]`);
      await seeText(driver, '.messages .msg.in', 'c1');
      await typeAndSend(driver, 'o1');
      await seeText(driver, '.msg.out:not(.pending)', 'o1');

      await own.stop({ wipe: false });
      await waitIn(driver, 'the panel to see the server gone',
        (h) => document.querySelector(h).shadowRoot.querySelector('.conn:not([data-state=connected])') !== null, [HOST]);
      await typeAndSend(driver, 'o2');
      await seeText(driver, '.msg.out.pending', 'o2');

      own = await startServer({ dir, addr });
      await connected(driver);
      await waitIn(driver, 'the outbox to flush',
        (h) => document.querySelector(h).shadowRoot.querySelectorAll('.msg.pending').length === 0, [HOST]);
      await inbound(own.url, co, { name: 'Restart Ann', phone: p, text: 'c2' });
      await seeText(driver, '.messages .msg.in', 'c2');
      assert.deepEqual(await threadTexts(driver), ['c1', 'o1', 'o2', 'c2'], 'panel: once each, in order');
      const { items } = await outbound(own.url, co, { phone: p });
      assert.deepEqual(items.map((m) => m.message), ['o1', 'o2'], 'customer: once each, in order');
      // The restart's failed reconnects may be logged by the engine, but nothing may be thrown.
    } finally { await own.stop({ wipe: true }); }
  });

  test(`${engine}: inject and remove the script tag 12 times: no host, socket or hub connection left`, async () => {
    const { driver } = session;
    await driver.get(host.page('/blank'));
    const token = await devToken(srv.url);
    for (let round = 0; round < 12; round++) {
      const waitConnected = round % 3 === 2;
      const r = await run(driver, async (o) => {
        const poll = async (pred, ms) => {
          const end = performance.now() + ms;
          while (!pred()) {
            if (performance.now() > end) return false;
            await new Promise((ok) => setTimeout(ok, 10));
          }
          return true;
        };
        const s = document.createElement('script');
        s.type = 'module'; s.id = o.id; s.src = `${o.api}/operator-chat-panel/widget-script.js`;
        s.setAttribute('token', o.token); s.setAttribute('api', o.api); s.setAttribute('open', '');
        document[o.round % 2 ? 'body' : 'head'].appendChild(s);
        const host = () => document.getElementById(`${o.id}-host`);
        if (!await poll(host, 20000)) return 'the panel host never appeared';
        if (o.waitConnected && !await poll(() => host()?.shadowRoot?.querySelector('.conn[data-state=connected]'), 20000)) {
          return 'the panel never connected';
        }
        s.remove();
        if (!await poll(() => !host(), 5000)) return 'the panel host stayed after the script was removed';
        return 'ok';
      }, { id: ID, api: srv.url, token, round, waitConnected });
      assert.equal(r, 'ok', `round ${round}`);
    }
    await waitIn(driver, 'every WebSocket closed', () => window.__liveSockets() === 0);
    await poll(async () => (await hubConnections(srv.url)) === 0, 'no hub connection on the server');
  });

  test(`${engine}: the strict-CSP page: connects, a reply goes out, no securitypolicyviolation`, async () => {
    const { driver } = session;
    const csp = `default-src 'self'; script-src 'self' ${srv.url} 'wasm-unsafe-eval'; style-src 'self'; `
      + `connect-src ${srv.url} ws://127.0.0.1:*`;
    await driver.get(host.page('/csp', { body: scriptTag(srv.url, await devToken(srv.url)), csp }));
    await connected(driver);
    assert.ok(await run(driver, styled, HOST), 'the panel is styled under the policy');
    const p = '+380503330002';
    const text = `CSP in ${engine} ${Date.now()}`;
    const { chatId: id } = await inbound(srv.url, company, { name: 'Ann CSP', phone: p, text });
    await clickIn(driver, `button.chat[data-chat="${id}"]`);
    await seeText(driver, '.messages .msg.in', text);
    await typeAndSend(driver, 'CSP reply');
    await seeText(driver, '.messages .msg.out:not(.pending)', 'CSP reply');
    await run(driver, () => new Promise((r) => setTimeout(r, 250))); // late violation reports
    assert.deepEqual(await run(driver, () => window.__cspViolations), [], 'no CSP violations');
    await screenshot(session, 'csp');
  });
}
