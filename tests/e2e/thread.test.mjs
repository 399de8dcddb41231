// The open thread (issue 14, item 5 "Thread"): opening a chat with unread messages shows a "New
// messages" divider above the first unread one and scrolls there; while the operator reads further up,
// what arrives is counted on a "↓ N new" button that jumps to the newest message (from the keyboard
// too). Item 7: clicking a desktop notification focuses the page and opens the panel on its chat.
// axe-core checks both states; screenshots go to test-output/. The same flow runs against
// `--compat documented` (the hub and REST API with only the documented names).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { companyToken, inbound } from './lib/server.mjs';
import { screenshot } from './lib/browser.mjs';
import {
  withServer, until, panelPage, openChat, focused, installScriptFactory, inject, connected, devToken, HOST,
} from './lib/panel.mjs';
import { inPanel } from './lib/browser.mjs';

const T = { timeout: 180000 };
const axeSource = createRequire(import.meta.url)('axe-core').source;

/** axe-core over the panel host (it walks the open shadow root); the serious and critical violations. */
async function axeSerious(page) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
  const r = await page.evaluate((host) => window.axe.run(document.querySelector(host)),
    '#operator-chat-panel-script-host');
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} ${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')}`);
}

/** Where the thread's scroller is: its top, how far it is from its end, and its height. */
const scroller = (page) => page.evaluate(() => {
  const m = document.querySelector('#operator-chat-panel-script-host').shadowRoot.querySelector('.messages');
  return { top: m.scrollTop, below: m.scrollHeight - m.scrollTop - m.clientHeight, height: m.clientHeight };
});

/** Whether the element matching `css` in the thread is inside the scroller's visible part. */
const inView = (page, css) => page.evaluate((css) => {
  const root = document.querySelector('#operator-chat-panel-script-host').shadowRoot;
  const m = root.querySelector('.messages');
  const el = root.querySelector(css);
  if (!el) return false;
  const a = m.getBoundingClientRect();
  const b = el.getBoundingClientRect();
  return b.top >= a.top - 1 && b.bottom <= a.bottom + 1;
}, css);

async function scenario(srv, browser, label) {
  const company = await companyToken(srv.url);
  const phone = '+380509140001';
  const other = await inbound(srv.url, company, { name: 'Otto Other', phone: '+380509140002', text: 'other chat' });
  let chatId;
  for (let i = 1; i <= 20; i++) {
    ({ chatId } = await inbound(srv.url, company, { name: 'Tess Thread', phone, text: `old ${i}` }));
  }
  const { page, errors, $ } = await panelPage(browser, srv);
  // Read the first twenty (open the chat while looking), then look at another chat.
  await openChat($, chatId);
  await $('.msg .text').getByText('old 20', { exact: true }).waitFor({ timeout: 15000 });
  await openChat($, other.chatId);
  for (let i = 1; i <= 3; i++) await inbound(srv.url, company, { name: 'Tess Thread', phone, text: `new ${i}` });
  // The list heard of the three (its row's preview is the newest), so the count is in.
  await $(`button.chat[data-chat="${chatId}"] .last`).getByText('new 3').waitFor({ timeout: 15000 });

  // Opened: the divider sits above the first unread message, and it is in view.
  await openChat($, chatId);
  await $('.messages .divider[role=separator]').waitFor({ timeout: 15000 });
  const before = await page.evaluate(() => {
    const d = document.querySelector('#operator-chat-panel-script-host').shadowRoot.querySelector('.messages .divider');
    return { text: d.textContent, next: d.nextElementSibling?.querySelector('.text')?.textContent };
  });
  assert.equal(before.text, 'New messages');
  if (label === 'extended') assert.equal(before.next, 'new 1', 'above the first unread message');
  else assert.match(before.next, /^(old|new) \d+$/, 'above a customer message');
  assert.ok(await until(() => inView(page, '.messages .divider'), Boolean), 'scrolled to the divider');
  assert.ok((await scroller(page)).top > 0, 'not left at the top of the thread');
  assert.deepEqual(await axeSerious(page), [], 'axe: the divider');
  await screenshot(page, `thread-divider-${label}`);

  // Read back (scrolled to the top), then three messages arrive: "↓ 3 new".
  await page.evaluate(() => {
    document.querySelector('#operator-chat-panel-script-host').shadowRoot.querySelector('.messages').scrollTop = 0;
  });
  await until(() => scroller(page), (s) => s.top === 0);
  // The scroll is told to the state before the messages come (the event is dispatched asynchronously).
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  for (let i = 1; i <= 3; i++) await inbound(srv.url, company, { name: 'Tess Thread', phone, text: `later ${i}` });
  const latest = $('button.latest');
  await latest.getByText('↓ 3 new').waitFor({ timeout: 15000 });
  assert.equal((await scroller(page)).top, 0, 'the reader stays where they read');
  assert.deepEqual(await axeSerious(page), [], 'axe: the "new" button');
  await screenshot(page, `thread-new-button-${label}`);

  // Keyboard only: Tab from the thread to the button, Enter jumps to the newest message.
  await $('.messages').focus();
  let hops = 0;
  while (hops++ < 5) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (f?.cls === 'latest') break;
  }
  assert.equal((await focused(page))?.cls, 'latest', 'the button is reached by Tab from the thread');
  await page.keyboard.press('Enter');
  await latest.waitFor({ state: 'hidden', timeout: 10000 });
  assert.ok((await until(() => scroller(page), (s) => s.below <= 30)).below <= 30, 'at the newest message');
  assert.ok(await inView(page, '.msg:last-of-type'), 'the newest message is in view');
  assert.equal(await $('.msg').last().locator('.text').textContent(), 'later 3');
  assert.equal((await focused(page))?.cls, 'messages', 'focus goes on to the thread');
  await screenshot(page, `thread-jumped-${label}`);

  // At the newest message, arrivals show as they come: no button.
  await inbound(srv.url, company, { name: 'Tess Thread', phone, text: 'live 1' });
  await $('.msg .text').getByText('live 1', { exact: true }).waitFor({ timeout: 15000 });
  assert.ok(await latest.isHidden(), 'no button while at the newest message');
  assert.deepEqual(errors, []);
  await page.close();
}

test('thread: the unread divider, the "↓ N new" button and the jump (extended server)', T, async () => {
  await withServer((srv, browser) => scenario(srv, browser, 'extended'));
});

test('thread: the unread divider and the "↓ N new" button against --compat documented', T, async () => {
  await withServer((srv, browser) => scenario(srv, browser, 'documented'), { args: ['--compat', 'documented'] });
});

// A stand-in for the browser's Notification, installed before the widget loads: headless Chromium
// shows no notification a test could click, so each one made is kept in `window.__notes`, and the test
// dispatches its click. `window.focus` is counted to see the page asked to come forward.
const NOTIFICATION_STUB = `(() => {
  const notes = [];
  class Notification extends EventTarget {
    static get permission() { return 'granted'; }
    static requestPermission() { return Promise.resolve('granted'); }
    constructor(title, options = {}) { super(); this.title = title; this.tag = options.tag; this.closed = false; notes.push(this); }
    close() { this.closed = true; }
  }
  Object.defineProperty(window, 'Notification', { value: Notification, configurable: true, writable: true });
  Object.defineProperty(window, '__notes', { value: notes });
  const focus = window.focus.bind(window);
  window.__focusCalls = 0;
  window.focus = () => { window.__focusCalls++; focus(); };
})()`;

async function notificationScenario(srv, browser, label) {
  const company = await companyToken(srv.url);
  const a = await inbound(srv.url, company, { name: 'Nora Notify', phone: '+380509140011', text: 'first hello' });
  const b = await inbound(srv.url, company, { name: 'Bert Bell', phone: '+380509140012', text: 'second hello' });
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  await context.grantPermissions(['notifications'], { origin: srv.url });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript(NOTIFICATION_STUB);
  await installScriptFactory(page);
  await page.goto(`${srv.url}/blank.html`);
  // The panel starts closed: client messages then notify.
  await inject(page, { token: await devToken(srv.url), api: srv.url, open: false });
  await connected(page);
  const $ = (css) => inPanel(page, css, HOST);
  const notes = () => page.evaluate(() => window.__notes.map((n) => ({ title: n.title, tag: n.tag, closed: n.closed })));

  await inbound(srv.url, company, { name: 'Nora Notify', phone: '+380509140011', text: 'ping from Nora' });
  await until(notes, (n) => n.length === 1);
  await inbound(srv.url, company, { name: 'Bert Bell', phone: '+380509140012', text: 'ping from Bert' });
  const both = await until(notes, (n) => n.length === 2);
  assert.deepEqual(both.map((n) => n.tag), [String(a.chatId), String(b.chatId)]);
  assert.ok(both[0].closed, 'the newer notification replaces the older');

  // The replaced notification's listener is gone: clicking it does nothing.
  await page.evaluate(() => window.__notes[0].dispatchEvent(new Event('click')));
  await page.evaluate(() => new Promise((r) => setTimeout(r, 0)));
  assert.ok(await $('section.panel').isHidden(), 'a replaced notification no longer opens anything');

  await page.evaluate(() => window.__notes[1].dispatchEvent(new Event('click')));
  await $('section.panel').waitFor({ state: 'visible', timeout: 10000 });
  await $(`button.chat[data-chat="${b.chatId}"][aria-current=true]`).waitFor({ state: 'attached', timeout: 10000 });
  await $('.msg .text').getByText('ping from Bert', { exact: true }).waitFor({ timeout: 15000 });
  assert.ok(await page.evaluate(() => window.__focusCalls) >= 1, 'the page was asked to come forward');
  assert.ok((await notes())[1].closed, 'the clicked notification is closed');
  await screenshot(page, `thread-notification-opened-${label}`);
  assert.deepEqual(errors, []);
  await context.close();
}

test('notifications: clicking one focuses the page and opens the panel on its chat (extended server)', T, async () => {
  await withServer((srv, browser) => notificationScenario(srv, browser, 'extended'));
});

test('notifications: the same against --compat documented', T, async () => {
  await withServer((srv, browser) => notificationScenario(srv, browser, 'documented'), { args: ['--compat', 'documented'] });
});

// Item 4 "Composer": it grows with the text up to 8 lines, then scrolls, and shrinks again once the text
// is sent. Keyboard only: Shift+Enter is a new line, Enter sends.
async function composerScenario(srv, browser, label) {
  const company = await companyToken(srv.url);
  const { chatId } = await inbound(srv.url, company, { name: 'Gus Grow', phone: '+380509140021', text: 'tell me more' });
  const { page, errors, $ } = await panelPage(browser, srv);
  await openChat($, chatId);
  const box = $('textarea');
  await box.focus();
  const size = () => box.evaluate((t) => ({ h: t.getBoundingClientRect().height, scroll: t.scrollHeight, client: t.clientHeight }));
  const one = await size();
  const heights = [one.h];
  for (let i = 2; i <= 12; i++) {
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type(`line ${i}`);
    heights.push((await size()).h);
  }
  for (let i = 1; i < 8; i++) assert.ok(heights[i] > heights[i - 1], `grows at line ${i + 1}: ${heights}`);
  assert.ok(heights.slice(8).every((h) => h === heights[7]), `stops at 8 lines: ${heights}`);
  const full = await size();
  assert.ok(full.scroll > full.client, 'then scrolls');
  await screenshot(page, `thread-composer-8-lines-${label}`);
  await page.keyboard.press('Enter');
  await $('.msg .text').getByText(/line 12/).waitFor({ timeout: 15000 });
  assert.equal((await size()).h, one.h, 'back to one line once sent');
  assert.deepEqual(errors, []);
  await page.close();
}

test('composer: grows to 8 lines, then scrolls, and shrinks when sent (extended server)', T, async () => {
  await withServer((srv, browser) => composerScenario(srv, browser, 'extended'));
});

test('composer: the same against --compat documented', T, async () => {
  await withServer((srv, browser) => composerScenario(srv, browser, 'documented'), { args: ['--compat', 'documented'] });
});
