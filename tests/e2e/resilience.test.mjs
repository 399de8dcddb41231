// Token changes, the JS API, a server restart mid-conversation and a half-open socket.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, companyToken, inbound, outbound } from './lib/server.mjs';
import { launch, openPage, inPanel, screenshot } from './lib/browser.mjs';
import * as signalR from '@microsoft/signalr';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const connected = (page) => inPanel(page, '.conn[data-state=connected]').waitFor({ timeout: 60000 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freshToken(url) {
  await sleep(1100); // tokens carry whole-second iat: a new second gives a new token
  return (await (await fetch(`${url}/api/chathub/token`)).json()).token;
}

/** Texts of the open thread, stored and pending, in order. */
const threadTexts = (page) => page.evaluate(() => [...document.querySelector('#operator-chat-panel-script-host')
  .shadowRoot.querySelectorAll('.messages .msg .text')].map((e) => e.textContent));

async function poll(fn, what, tries = 200) {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v) return v;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('a token attribute swap, setToken and the remove-and-append refresh all keep the draft', async () => {
  const srv = await startServer();
  try {
    const { page } = await openPage(browser, `${srv.url}/`);
    await connected(page);
    await inPanel(page, '.chat').first().click();
    await inPanel(page, 'textarea').fill('half-written answer');
    const host = await page.$('#operator-chat-panel-script-host');

    const states = [];
    await page.exposeFunction('recordState', (s) => states.push(s));
    await page.evaluate(() => window.ChatHub.get().on('connection', (d) => window.recordState(d.state)));
    const t1 = await freshToken(srv.url);
    await page.evaluate((t) => document.getElementById('operator-chat-panel-script').setAttribute('token', t), t1);
    await poll(() => states.includes('connecting') && states.at(-1) === 'connected', 'reconnect with the new token');
    assert.equal(await inPanel(page, 'textarea').inputValue(), 'half-written answer');
    assert.ok(await host.evaluate((h) => h.isConnected), 'same panel, not a new one');
    assert.equal(await inPanel(page, '.chat[aria-current=true]').count(), 1, 'the open chat stays open');

    const t2 = await freshToken(srv.url);
    states.length = 0;
    await page.evaluate((t) => window.ChatHub.get().setToken(t), t2);
    await poll(() => states.at(-1) === 'connected' && states.length > 1, 'setToken reconnect');
    assert.equal(await page.getAttribute('#operator-chat-panel-script', 'token'), t2);

    // The provider's refresh pattern: remove the script, append a new one with a fresh token.
    const t3 = await freshToken(srv.url);
    await page.evaluate((t) => {
      const old = document.getElementById('operator-chat-panel-script');
      const s = document.createElement('script');
      for (const a of old.attributes) s.setAttribute(a.name, a.value);
      s.setAttribute('token', t);
      old.remove();
      document.head.append(s);
    }, t3);
    await connected(page);
    assert.equal(await inPanel(page, 'textarea').inputValue(), 'half-written answer', 'draft restored');
    assert.equal(await inPanel(page, '.chat[aria-current=true]').count(), 1);
    const saved = await page.evaluate(() => sessionStorage.getItem('chathub:operator-chat-panel-script'));
    assert.ok(saved.includes('half-written answer'));
    assert.ok(![t1, t2, t3].some((t) => saved.includes(t)), 'the token is never stored');
    await page.close();
  } finally { await srv.stop(); }
});

test('the JS API: ready, on/unsubscribe, open/close/toggle, destroy, and only one global', async () => {
  const srv = await startServer();
  try {
    const { page, errors } = await openPage(browser, `${srv.url}/customer.html`);
    const token = (await (await fetch(`${srv.url}/api/chathub/token`)).json()).token;
    const before = await page.evaluate(() => Object.keys(window));
    const result = await page.evaluate(async ({ token, api }) => {
      const s = document.createElement('script');
      Object.assign(s, { type: 'module', id: 'operator-chat-panel-script', src: '/operator-chat-panel/widget-script.js' });
      s.setAttribute('token', token);
      s.setAttribute('api', api);
      document.head.append(s);
      while (!window.ChatHub) await new Promise((r) => setTimeout(r, 10));
      const panel = window.ChatHub.get();
      let heard = 0;
      const off = panel.on('chathub:connection', () => { heard++; });
      await panel.ready;
      off();
      const shadow = () => document.getElementById('operator-chat-panel-script-host').shadowRoot;
      const shown = () => !shadow().querySelector('.panel').hidden;
      const seen = [shown()];
      await panel.open(); seen.push(shown());
      await panel.toggle(); seen.push(shown());
      await panel.toggle(); seen.push(shown());
      await panel.close(); seen.push(shown());
      const heardAfterOff = heard;
      let destroyed = false;
      s.addEventListener('chathub:destroyed', () => { destroyed = true; });
      await panel.destroy();
      return { heard: heardAfterOff, seen, destroyed, host: !!document.getElementById('operator-chat-panel-script-host') };
    }, { token, api: srv.url });
    assert.ok(result.heard >= 1, 'on() delivered connection events');
    assert.deepEqual(result.seen, [false, true, false, true, false]);
    assert.ok(result.destroyed, 'chathub:destroyed fired');
    assert.equal(result.host, false, 'destroy removed the panel');
    const added = (await page.evaluate(() => Object.keys(window))).filter((k) => !before.includes(k));
    assert.deepEqual(added, ['ChatHub']);
    assert.deepEqual(errors, []);
    await page.close();
  } finally { await srv.stop(); }
});

test('a server restart mid-conversation: every message arrives exactly once on both sides, in order', async () => {
  let srv = await startServer({ dir: undefined });
  const { dir } = srv;
  const addr = srv.url.replace('http://', '');
  try {
    const company = await companyToken(srv.url);
    const phone = '+380503330000';
    const { chatId } = await inbound(srv.url, company, { name: 'Restart Ann', phone, text: 'c1' });
    const { page } = await openPage(browser, `${srv.url}/`);
    await connected(page);
    await inPanel(page, `.chat[data-chat="${chatId}"]`).click();
    await inPanel(page, '.messages .msg.in').getByText('c1').waitFor();
    const send = async (text) => { await inPanel(page, 'textarea').fill(text); await inPanel(page, 'textarea').press('Enter'); };
    await send('o1');
    await inPanel(page, '.msg.out:not(.pending)').getByText('o1').waitFor();

    await srv.stop({ wipe: false });
    await inPanel(page, '.conn:not([data-state=connected])').waitFor();
    await send('o2');
    await send('o3');
    assert.equal(await inPanel(page, '.msg.out.pending').count(), 2, 'typed while down: waiting in the outbox');

    srv = await startServer({ dir, addr });
    await connected(page);
    await poll(async () => (await inPanel(page, '.msg.pending').count()) === 0, 'outbox flushed');
    await inbound(srv.url, company, { name: 'Restart Ann', phone, text: 'c2' });
    await inPanel(page, '.messages .msg.in').getByText('c2').waitFor();

    assert.deepEqual(await threadTexts(page), ['c1', 'o1', 'o2', 'o3', 'c2'], 'panel: once each, in order');
    const { items } = await outbound(srv.url, company, { phone });
    assert.deepEqual(items.map((m) => m.message), ['o1', 'o2', 'o3'], 'customer: once each, in order');
    await screenshot(page, 'resilience-after-restart');
    await page.close();
  } finally { await srv.stop({ wipe: true }); }
});

test('a half-open socket (server paused with SIGSTOP) is detected, reconnected and resynced', async () => {
  const srv = await startServer();
  try {
    const company = await companyToken(srv.url);
    const phone = '+380504440000';
    const { chatId } = await inbound(srv.url, company, { name: 'Paused Pat', phone, text: 'before pause' });
    const { page } = await openPage(browser, `${srv.url}/`);
    await connected(page);
    await inPanel(page, `.chat[data-chat="${chatId}"]`).click();
    await inPanel(page, '.msg.in').getByText('before pause').waitFor();

    srv.child.kill('SIGSTOP');
    try {
      // The socket stays open but silent: only the client's timeout can notice.
      await inPanel(page, '.conn:not([data-state=connected])').waitFor({ timeout: 45000 });
      await inPanel(page, 'textarea').fill('typed while paused');
      await inPanel(page, 'textarea').press('Enter');
    } finally { srv.child.kill('SIGCONT'); }
    await connected(page);
    await inbound(srv.url, company, { name: 'Paused Pat', phone, text: 'after pause' });
    await inPanel(page, '.msg.in').getByText('after pause').waitFor();
    await poll(async () => (await inPanel(page, '.msg.pending').count()) === 0, 'outbox flushed');
    assert.deepEqual(await threadTexts(page), ['before pause', 'typed while paused', 'after pause']);
    const { items } = await outbound(srv.url, company, { phone });
    assert.deepEqual(items.map((m) => m.message), ['typed while paused']);
    await page.close();
  } finally { await srv.stop(); }
});

test('a negotiate that never answers is given up and retried, and only the retry connects', async () => {
  const srv = await startServer();
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    // The first negotiate is held forever, like a server that accepts and never answers.
    const negotiates = [];
    await page.route('**/chathub/negotiate*', (route) => {
      negotiates.push(route.request());
      if (negotiates.length > 1) route.continue();
    });
    const failed = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    await page.goto(`${srv.url}/`);
    await connected(page);
    assert.equal(negotiates.length, 2, 'one held negotiate, one retry');
    await poll(() => failed.some((u) => u.includes('/negotiate')), 'the held negotiate aborted');
    await inPanel(page, '.chat').first().waitFor();
  } finally { await context.close(); await srv.stop(); }
});

test('going offline shows it, keeps typed messages, and reconnects as soon as the network is back', async () => {
  const srv = await startServer();
  const context = await browser.newContext();
  try {
    const company = await companyToken(srv.url);
    const { chatId } = await inbound(srv.url, company, { name: 'Offline Olga', phone: '+380505550000', text: 'hello?' });
    const page = await context.newPage();
    await page.goto(`${srv.url}/`);
    await connected(page);
    await inPanel(page, `.chat[data-chat="${chatId}"]`).click();
    await context.setOffline(true);
    await inPanel(page, '.conn[data-state=offline]').waitFor();
    await inPanel(page, '.notice:not([hidden])').waitFor();
    await inPanel(page, 'textarea').fill('sent while offline');
    await inPanel(page, 'textarea').press('Enter');
    await context.setOffline(false);
    await connected(page);
    await poll(async () => (await inPanel(page, '.msg.pending').count()) === 0, 'outbox flushed');
    const { items } = await outbound(srv.url, company, { phone: '+380505550000' });
    assert.deepEqual(items.map((m) => m.message), ['sent while offline']);
  } finally { await context.close(); await srv.stop(); }
});

test('a panel away for longer than the event log is kept loads its thread again: the missed message shows once', async () => {
  // The server keeps one second of events, so a short absence outlives the log.
  const srv = await startServer({ args: ['--event-retention-secs', '1'] });
  const context = await browser.newContext();
  const { token } = await (await fetch(`${srv.url}/api/chathub/token`)).json();
  // A colleague's session (the official client) sees the event ids and tells when they are pruned.
  const watcher = new signalR.HubConnectionBuilder()
    .withUrl(`${srv.url}/chathub`, { accessTokenFactory: () => token })
    .configureLogging(signalR.LogLevel.None)
    .build();
  try {
    const company = await companyToken(srv.url);
    const phone = '+380505550101';
    const { chatId } = await inbound(srv.url, company, { name: 'Pruned Pia', phone, text: 'first' });
    const page = await context.newPage();
    await page.goto(`${srv.url}/`);
    await connected(page);
    await inPanel(page, `.chat[data-chat="${chatId}"]`).click();
    await poll(async () => (await threadTexts(page)).includes('first'), 'the thread shown');
    await watcher.start();

    await context.setOffline(true);
    await inPanel(page, '.conn[data-state=offline]').waitFor();
    const seen = new Promise((ok) => watcher.on('ReceiveMessage', (m, meta) => m.message === 'while away' && ok(meta)));
    await inbound(srv.url, company, { name: 'Pruned Pia', phone, text: 'while away' });
    const { eventId } = await seen;
    await poll(() => watcher.invoke('Resume', eventId - 1).then(() => false, (e) => /no longer kept/.test(e.message)),
      'the log pruned past the missed message');

    const histories = [];
    page.on('request', (r) => { if (new URL(r.url()).pathname === `/api/chat/chats/${chatId}/messages`) histories.push(r); });
    await context.setOffline(false);
    await connected(page);
    await poll(async () => (await threadTexts(page)).includes('while away'), 'the missed message shown');
    assert.ok(histories.length >= 1, 'the thread was asked again, since nothing could be replayed');
    await inbound(srv.url, company, { name: 'Pruned Pia', phone, text: 'and now live' });
    await poll(async () => (await threadTexts(page)).includes('and now live'), 'a live message after the catch-up');
    assert.deepEqual(await threadTexts(page), ['first', 'while away', 'and now live']);
    await screenshot(page, 'resilience-pruned-log-caught-up');
  } finally { await watcher.stop(); await context.close(); await srv.stop(); }
});
