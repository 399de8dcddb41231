// Working a queue (issue 14, items 1, 6 and 8): who waits and for how long, the list sorted by the
// longest wait and remembered, the next waiting customer by keyboard (never the one just answered),
// closing and pausing that move on, who and where in the thread header, a colleague at work in the
// open chat, a closed chat reopened by a reply, and list rows that use their width. A real
// chathub-server with a fresh database per scenario; the same flows against `--compat documented`
// where the feature can work there. Assertions wait for conditions, never for wall-clock thresholds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServer, companyToken, inbound, outbound } from './lib/server.mjs';
import { launch, screenshot, inPanel } from './lib/browser.mjs';
import { HOST, panelPage, openChat, until, sleep, devToken, operatorToken, allChats, focused, inject, connected, blankPage } from './lib/panel.mjs';

const T = { timeout: 240000 };
const GRACE = 1500;
const axeSource = createRequire(import.meta.url)('axe-core').source;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const del = (url, token, id) => fetch(`${url}/api/chat/chats/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })
  .then((r) => { assert.equal(r.status, 200, `DELETE chat ${id}`); });

/** Deletes the demo chats of organization 1, so that only this scenario's customers wait. */
async function clearDemo(url, company) {
  for (const c of await allChats(url, company, { organizationId: 1 })) await del(url, company, c.id);
}

const setStatus = (url, token, id, status) => fetch(`${url}/api/chat/status`, {
  method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ id, status }),
}).then((r) => { assert.ok(r.ok, `PUT status ${r.status}`); });

const statusOf = async (url, token, id) => (await allChats(url, token)).find((c) => c.id === id)?.chatStatus;

/** Ids of the chats the list shows, in order. */
const listIds = (page) => page.evaluate((host) => [...document.querySelector(host).shadowRoot
  .querySelectorAll('button.chat[data-chat]')].map((b) => Number(b.dataset.chat)), HOST);

const openId = (page) => page.evaluate((host) => Number(document.querySelector(host).shadowRoot
  .querySelector('button.chat[aria-current=true]')?.dataset.chat ?? 0), HOST);

const settled = ($, text) => $('.messages .msg:not(.pending):not(.failed) .text').getByText(text, { exact: true });

async function axeSerious(page) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
  const r = await page.evaluate((host) => window.axe.run(document.querySelector(host)), HOST);
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} ${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')}`);
}

/** Light, dark and RTL (Arabic) pictures of the same state. */
async function threeShots(srv, token, name, prepare) {
  for (const [suffix, attrs] of [['light', {}], ['dark', { theme: 'dark' }], ['rtl', { lang: 'ar' }]]) {
    const { page, $ } = await panelPage(browser, srv, { token, attrs });
    await prepare(page, $, suffix);
    assert.deepEqual(await axeSerious(page), [], `${name} ${suffix}: no serious or critical axe violations`);
    await screenshot(page, `queue-${name}-${suffix}`);
    await page.close();
  }
}

/** Tabs from the host page into the panel: the scenario starts from the keyboard. */
async function tabIntoPanel(page) {
  for (let i = 0; i < 12 && !(await focused(page))?.inPanel; i++) await page.keyboard.press('Tab');
  assert.ok((await focused(page))?.inPanel, 'Tab reaches the panel');
}

test('waiting rows show for how long; the list sorts by longest wait and remembers it; status on each row, closed dimmed; the preview uses the row', T, async () => {
  const srv = await startServer();
  try {
    const company = await companyToken(srv.url);
    await clearDemo(srv.url, company);
    const token = await devToken(srv.url);
    const ann = await inbound(srv.url, company, { name: 'Ann Oldest', phone: '+380507000001', text: 'I wrote first and still wait' });
    const bob = await inbound(srv.url, company, { name: 'Bob Second', phone: '+380507000002', text: 'Second in the queue' });
    const long = 'A long question about my parcel that went to the wrong city, the tracking number and what to do next';
    const cid = await inbound(srv.url, company, { name: 'Cid Answered', phone: '+380507000003', text: long });
    const { page, errors, $ } = await panelPage(browser, srv, { token });
    await $(`button.chat[data-chat="${cid.chatId}"]`).waitFor({ timeout: 15000 });

    // Cid gets an answer: he no longer waits. Ann and Bob do, with a time.
    await openChat($, cid.chatId);
    await $('textarea').fill('We are on it.');
    await $('textarea').press('Enter');
    await settled($, 'We are on it.').waitFor({ timeout: 15000 });
    assert.match(await $(`button.chat[data-chat="${ann.chatId}"] .wait`).textContent(), /^Waiting\s*\d+ min$/, 'Ann waits, for whole minutes');
    assert.equal(await $(`button.chat[data-chat="${cid.chatId}"] .wait`).count(), 0, 'Cid was answered');
    assert.deepEqual(await listIds(page), [cid.chatId, bob.chatId, ann.chatId], 'latest activity first by default');

    await $('select.sort').selectOption('waiting');
    assert.deepEqual(await until(() => listIds(page), (v) => v[0] === ann.chatId), [ann.chatId, bob.chatId, cid.chatId], 'longest wait first');
    assert.equal(await page.evaluate(() => localStorage.getItem('chathub-sort:operator-chat-panel-script')), 'waiting');

    // Each row shows its status; a closed chat is dimmed.
    await setStatus(srv.url, token, bob.chatId, 4);
    await $(`button.chat[data-chat="${bob.chatId}"][data-status="4"]`).waitFor({ timeout: 15000 });
    assert.equal(await $(`button.chat[data-chat="${bob.chatId}"] .state`).textContent(), 'Closed');
    assert.equal(await $(`button.chat[data-chat="${ann.chatId}"] .state`).textContent(), 'New');
    const [closedName, openName] = await Promise.all([bob.chatId, ann.chatId].map((id) =>
      $(`button.chat[data-chat="${id}"] .name`).evaluate((e) => getComputedStyle(e).color)));
    assert.notEqual(closedName, openName, 'the closed chat\'s name is dimmed');

    // Item 8: the preview fills the row, not ~20 characters.
    const fit = await $(`button.chat[data-chat="${cid.chatId}"]`).evaluate((b) => {
      const last = b.querySelector('.last');
      return { row: b.clientWidth, last: last.getBoundingClientRect().width, cols: getComputedStyle(b).gridTemplateColumns };
    });
    await screenshot(page, 'queue-list-waiting');
    assert.ok(fit.last > fit.row * 0.6, `the preview takes most of the row: ${JSON.stringify(fit)}`);
    assert.deepEqual(await axeSerious(page), [], 'no serious or critical axe violations');

    await page.close();
    assert.deepEqual(errors, []);

    await threeShots(srv, token, 'list', async (p, $$) => {
      await $$(`button.chat[data-chat="${ann.chatId}"] .wait`).waitFor({ timeout: 15000 });
    });
  } finally { await srv.stop(); }
});

test('the sort choice is remembered in this browser: a reload sorts by the longest wait again', T, async () => {
  const srv = await startServer();
  try {
    const company = await companyToken(srv.url);
    await clearDemo(srv.url, company);
    const ann = await inbound(srv.url, company, { name: 'Ann', phone: '+380507100001', text: 'first' });
    const bob = await inbound(srv.url, company, { name: 'Bob', phone: '+380507100002', text: 'second' });
    const token = await devToken(srv.url);
    const { page, errors, $ } = await panelPage(browser, srv, { token });
    await $(`button.chat[data-chat="${ann.chatId}"]`).waitFor({ timeout: 15000 });
    assert.deepEqual(await listIds(page), [bob.chatId, ann.chatId]);
    await $('select.sort').selectOption('waiting');
    await until(() => listIds(page), (v) => v[0] === ann.chatId);
    await page.reload();
    await inject(page, { token, api: srv.url, open: true });
    await connected(page);
    await $(`button.chat[data-chat="${ann.chatId}"]`).waitFor({ timeout: 15000 });
    assert.equal(await $('select.sort').inputValue(), 'waiting');
    assert.deepEqual(await until(() => listIds(page), (v) => v[0] === ann.chatId), [ann.chatId, bob.chatId]);
    assert.deepEqual(errors, []);
    await page.close();
  } finally { await srv.stop(); }
});

/** Records every `setInterval` by its period, so a test can count the panel's timers and run one. */
const RECORD_INTERVALS = `(() => {
  const set = window.setInterval;
  Object.defineProperty(window, '__intervals', { value: [], enumerable: false });
  window.setInterval = function (fn, ms, ...rest) { window.__intervals.push({ ms, fn }); return set.call(this, fn, ms, ...rest); };
})();`;

test('one shared timer, not one per row, moves the waiting times on each minute', T, async () => {
  const srv = await startServer();
  try {
    const company = await companyToken(srv.url);
    await clearDemo(srv.url, company);
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await inbound(srv.url, company, { name: `Timer ${i}`, phone: `+38050730000${i}`, text: `t${i}` })).chatId);
    const { page, errors } = await blankPage(browser, srv, { initScripts: [RECORD_INTERVALS] });
    await inject(page, { token: await devToken(srv.url), api: srv.url, open: true });
    await connected(page);
    const $ = (css) => inPanel(page, css);
    for (const id of ids) await $(`button.chat[data-chat="${id}"] .wait`).waitFor({ timeout: 15000 });
    const minuteTimers = () => page.evaluate(() => window.__intervals.filter((t) => t.ms === 60000).length);
    assert.equal(await minuteTimers(), 1, 'one minute timer for the whole list');
    // The timer's own callback, run with the clock five minutes on (and put back at once, so nothing
    // else sees it): every row's wait moves on, with no other change to the list.
    const after = await page.evaluate((host) => {
      const real = Date.now;
      const later = real() + 5 * 60000 + 5000;
      Date.now = () => later;
      try { for (const t of window.__intervals.filter((t) => t.ms === 60000)) t.fn(); } finally { Date.now = real; }
      return [...document.querySelector(host).shadowRoot.querySelectorAll('.wait')].map((w) => w.textContent);
    }, HOST);
    assert.equal(after.length, ids.length);
    for (const text of after) assert.match(text, /^Waiting (5|6) min$/, `every row moved on: ${after}`);
    assert.equal(await minuteTimers(), 1, 'still one timer');
    assert.deepEqual(errors, []);
    await page.close();
  } finally { await srv.stop(); }
});

test('a scripted shift: one operator answers 20 waiting customers with the keyboard alone, oldest wait first, each exactly once', T, async () => {
  const srv = await startServer();
  try {
    const company = await companyToken(srv.url);
    await clearDemo(srv.url, company);
    const customers = [];
    for (let i = 0; i < 20; i++) {
      const phone = `+3805080000${String(i).padStart(2, '0')}`;
      const name = `Queue ${String(i + 1).padStart(2, '0')}`;
      const { chatId } = await inbound(srv.url, company, { name, phone, text: `Question ${i + 1}` });
      customers.push({ phone, name, chatId });
    }
    const { page, errors, $ } = await panelPage(browser, srv);
    await $(`button.chat[data-chat="${customers[19].chatId}"]`).waitFor({ timeout: 15000 });
    // The host page's keys are its own: with focus outside the panel, Alt+N does nothing.
    await page.keyboard.press('Alt+KeyN');
    await sleep(GRACE);
    assert.equal(await openId(page), 0, 'no chat opened from outside the panel');
    await tabIntoPanel(page);

    for (const [i, c] of customers.entries()) {
      await page.keyboard.press('Alt+KeyN');
      const now = await until(() => openId(page), (id) => id === c.chatId, 10000);
      assert.equal(now, c.chatId, `reply ${i + 1} goes to ${c.name}, the oldest wait`);
      await settled($, `Question ${i + 1}`).waitFor({ timeout: 15000 });
      const f = await focused(page);
      assert.equal(f?.tag, 'textarea', 'the caret is in the composer');
      await page.keyboard.type(`Hello ${c.name}, answer ${i + 1}`);
      await page.keyboard.press('Enter');
      await settled($, `Hello ${c.name}, answer ${i + 1}`).waitFor({ timeout: 15000 });
      if (i === 0) {
        await $('button.next').waitFor({ timeout: 5000 });
        assert.equal(await $('button.next').getAttribute('aria-keyshortcuts'), 'Alt+N');
        await screenshot(page, 'queue-after-reply-next');
        assert.deepEqual(await axeSerious(page), [], 'the "next waiting" state passes axe');
      }
    }
    // Nobody else waits: the shortcut says so and stays.
    await page.keyboard.press('Alt+KeyN');
    await $('.note[data-shown] .note-text').getByText('No other customer is waiting.').waitFor({ timeout: 5000 });
    assert.equal(await openId(page), customers[19].chatId);
    await sleep(GRACE);

    const replies = [];
    for (const [i, c] of customers.entries()) {
      const got = (await outbound(srv.url, company, { phone: c.phone })).items;
      assert.deepEqual(got.map((m) => m.message), [`Hello ${c.name}, answer ${i + 1}`], `${c.name} got exactly one reply`);
      replies.push(got[0].id);
    }
    assert.deepEqual(replies, [...replies].sort((a, b) => a - b), 'the oldest wait was answered first');
    await screenshot(page, 'queue-shift-done');
    assert.deepEqual(errors, []);
    await page.close();
  } finally { await srv.stop(); }
});

test('closing or pausing from the keyboard moves on to the next waiting chat; a reply to a closed chat reopens it', T, async () => {
  const srv = await startServer();
  try {
    const company = await companyToken(srv.url);
    await clearDemo(srv.url, company);
    const token = await devToken(srv.url);
    const chats = [];
    for (const [i, name] of ['Ada', 'Ben', 'Cy'].entries()) {
      chats.push(await inbound(srv.url, company, { name, phone: `+38050900000${i}`, text: `Hi from ${name}` }));
    }
    const { page, errors, $ } = await panelPage(browser, srv, { token });
    await $(`button.chat[data-chat="${chats[2].chatId}"]`).waitFor({ timeout: 15000 });
    await tabIntoPanel(page);
    await page.keyboard.press('Alt+KeyN');
    assert.equal(await until(() => openId(page), (id) => id === chats[0].chatId), chats[0].chatId, 'Ada waited longest');
    await page.keyboard.press('Alt+KeyC');
    assert.equal(await until(() => openId(page), (id) => id === chats[1].chatId), chats[1].chatId, 'closing Ada moved on to Ben');
    assert.equal(await until(() => statusOf(srv.url, token, chats[0].chatId), (s) => s === 4), 4, 'Ada\'s chat is closed on the server');
    await page.keyboard.press('Alt+KeyP');
    assert.equal(await until(() => openId(page), (id) => id === chats[2].chatId), chats[2].chatId, 'pausing Ben moved on to Cy');
    assert.equal(await until(() => statusOf(srv.url, token, chats[1].chatId), (s) => s === 3), 3, 'Ben\'s chat is paused');

    // The operator writes to Ada's closed chat: the reply reopens it, and the operator is told.
    await openChat($, chats[0].chatId);
    assert.equal(await $(`button.chat[data-chat="${chats[0].chatId}"]`).getAttribute('data-status'), '4');
    await $('textarea').fill('Reopening for you, Ada.');
    await $('textarea').press('Enter');
    await settled($, 'Reopening for you, Ada.').waitFor({ timeout: 15000 });
    await $('.note[data-shown] .note-text').getByText(/reopened/).waitFor({ timeout: 10000 });
    assert.equal(await until(() => statusOf(srv.url, token, chats[0].chatId), (s) => s === 1), 1, 'status Open on the server');
    assert.equal(await $('select.status').inputValue(), '1');
    await screenshot(page, 'queue-reopened');
    assert.deepEqual(await axeSerious(page), []);
    assert.deepEqual(errors, []);
    await page.close();
  } finally { await srv.stop(); }
});

test('who and where: phone with a copy button, channel, status, assignee; a colleague typing and replying is named', T, async () => {
  const srv = await startServer();
  try {
    const company = await companyToken(srv.url);
    const phone = '+380509111222';
    const { chatId } = await inbound(srv.url, company, { name: 'Where Wanda', phone, source: 2, text: 'Where is my order?' });
    const olenaToken = await devToken(srv.url);
    const olena = await panelPage(browser, srv, { token: olenaToken });
    await olena.page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.url });
    const mark = await panelPage(browser, srv, { token: await operatorToken(srv.url, company, 2) });
    await openChat(olena.$, chatId);
    await openChat(mark.$, chatId);
    assert.equal(await olena.$('.thread-head .phone').textContent(), phone);
    assert.equal(await olena.$('.thread-head .channel').textContent(), 'Telegram');
    assert.ok(await olena.$('.thread-head select.status').isVisible());
    await olena.$('.thread-head button.copy').click();
    await olena.$('.note[data-shown] .note-text').getByText(`Copied ${phone}`).waitFor({ timeout: 10000 });
    assert.equal(await olena.page.evaluate(() => navigator.clipboard.readText()), phone);

    // Mark types in the chat Olena has open: she sees his name.
    await mark.$('textarea').pressSequentially('Let me', { delay: 20 });
    await olena.$('.colleague').getByText('Mark is typing in this chat…').waitFor({ timeout: 10000 });
    assert.ok(await olena.$('.typing').isHidden(), 'not shown as the customer typing');
    await screenshot(olena.page, 'queue-colleague-typing');
    assert.deepEqual(await axeSerious(olena.page), []);
    await mark.$('textarea').press('Enter');
    await olena.$('.colleague').getByText('Mark just replied in this chat').waitFor({ timeout: 10000 });
    assert.match(await olena.$('.assignee').textContent(), /Mark/, 'the header names the assignee');
    assert.ok(await mark.$('.colleague').isHidden(), 'Mark is not told about himself');
    await screenshot(olena.page, 'queue-colleague-replied');
    assert.deepEqual(olena.errors, []);
    assert.deepEqual(mark.errors, []);
    await olena.page.close();
    await mark.page.close();

    await threeShots(srv, olenaToken, 'header', async (p, $$) => {
      await openChat($$, chatId);
      await $$('.thread-head .phone').waitFor();
    });
  } finally { await srv.stop(); }
});

test('documented hub: what needs our extensions hides itself; live waits, next waiting and reopen still work', T, async () => {
  const srv = await startServer({ args: ['--compat', 'documented'] });
  try {
    const company = await companyToken(srv.url);
    await clearDemo(srv.url, company);
    const token = await devToken(srv.url);
    const { page, errors, $ } = await panelPage(browser, srv, { token });
    const one = await inbound(srv.url, company, { name: 'Doc One', phone: '+380509200001', text: 'documented first' });
    const two = await inbound(srv.url, company, { name: 'Doc Two', phone: '+380509200002', text: 'documented second' });
    await $(`button.chat[data-chat="${two.chatId}"] .wait`).waitFor({ timeout: 15000 });
    await $(`button.chat[data-chat="${one.chatId}"] .wait`).waitFor({ timeout: 15000 });
    await tabIntoPanel(page);
    await page.keyboard.press('Alt+KeyN');
    assert.equal(await until(() => openId(page), (id) => id === one.chatId), one.chatId, 'the oldest live wait first');
    await settled($, 'documented first').waitFor({ timeout: 15000 });
    assert.ok(await $('.thread-head .phone').isHidden(), 'no client on documented chats: no phone');
    assert.ok(await $('.thread-head button.copy').isHidden(), 'and no copy button');
    assert.ok(await $('.thread-head .channel').isHidden(), 'no source: no channel');
    await page.keyboard.type('Documented answer');
    await page.keyboard.press('Enter');
    await settled($, 'Documented answer').waitFor({ timeout: 15000 });
    await page.keyboard.press('Alt+KeyN');
    assert.equal(await until(() => openId(page), (id) => id === two.chatId), two.chatId, 'never back to the one just answered');

    // Close, then reply: reopened through PUT /api/chat/status.
    await page.keyboard.press('Alt+KeyC');
    assert.equal(await until(() => statusOf(srv.url, token, two.chatId), (s) => s === 4), 4);
    await openChat($, two.chatId);
    await $('textarea').fill('Documented reopen');
    await $('textarea').press('Enter');
    await $('.note[data-shown] .note-text').getByText(/reopened/).waitFor({ timeout: 10000 });
    assert.equal(await until(() => statusOf(srv.url, token, two.chatId), (s) => s === 1), 1, 'reopened on the documented server');
    assert.ok(await $('.colleague').isHidden());
    await screenshot(page, 'queue-documented');
    assert.deepEqual(errors, []);
    await page.close();
  } finally { await srv.stop(); }
});
