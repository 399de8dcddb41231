// An operator's shift, end to end: what counts as read, whose reply is whose, a chat deleted under the
// operator's hands, finding customers, and odd customer names. A real chathub-server with a fresh
// database per scenario, the panel on a blank host page in headless Chromium. Assertions wait for
// conditions; the few "grace" pauses only give an unwanted event the chance to show up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, companyToken, inbound, outbound } from './lib/server.mjs';
import { launch, screenshot } from './lib/browser.mjs';
import { HOST, panelPage, openChat, until, sleep, devToken, operatorToken, allChats } from './lib/panel.mjs';

const TITLE = 'Blank host page';
const GRACE = 1500;
const T = { timeout: 120000 };
const STORAGE_KEY = 'chathub:operator-chat-panel-script';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** The launcher badge as a number: 0 when hidden or empty. */
const badge = (page, host = HOST) => page.evaluate((host) => {
  const b = document.querySelector(host)?.shadowRoot?.querySelector('.badge');
  if (!b || b.hidden || getComputedStyle(b).display === 'none' || !b.textContent.trim()) return 0;
  return Number(b.textContent.trim());
}, host);

/** The `.unread` count on a chat's list row (0 when absent or hidden). */
const listUnread = (page, chatId, host = HOST) => page.evaluate(({ host, chatId }) => {
  const u = document.querySelector(host)?.shadowRoot?.querySelector(`button.chat[data-chat="${chatId}"] .unread`);
  if (!u || u.hidden || !u.textContent.trim()) return 0;
  return Number(u.textContent.trim());
}, { host, chatId });

/** Ids of the chats the list shows, in order. */
const listIds = (page, host = HOST) => page.evaluate((host) => [...document.querySelector(host).shadowRoot
  .querySelectorAll('button.chat[data-chat]')].map((b) => Number(b.dataset.chat)), host);

/** What the panel shows for unread: the badge, the document title and the chat's row. */
const unreadShown = async (page, chatId) => ({ badge: await badge(page), title: await page.title(), row: await listUnread(page, chatId) });
const shows = (n) => ({ badge: n, title: n > 0 ? `(${n}) ${TITLE}` : TITLE, row: n });

/** The server's countUnread of one chat, as this token sees it. */
const serverUnread = async (url, token, chatId) => (await allChats(url, token)).find((c) => c.id === chatId)?.countUnread;

/** Deletes every chat of organization 1 (the demo data), so that unread counts start at zero. */
async function clearDemo(url, company) {
  for (const c of await allChats(url, company, { organizationId: 1 })) await del(url, company, c.id);
}

const del = (url, token, id) => fetch(`${url}/api/chat/chats/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })
  .then((r) => { assert.equal(r.status, 200, `DELETE chat ${id}`); });

/** Each drawn message of the open thread: its author label and text. */
const authored = ($) => $('.messages .msg').evaluateAll((els) => els.map((e) => ({
  author: e.querySelector('.author')?.textContent ?? null,
  text: e.querySelector('.text')?.textContent ?? null,
  pending: e.classList.contains('pending'),
})));
const labelOf = async ($, text) => (await authored($)).filter((m) => m.text === text && !m.pending).map((m) => m.author);

/** A settled bubble with this exact text. */
const settled = ($, text) => $('.messages .msg:not(.pending):not(.failed) .text').getByText(text, { exact: true });

async function write($, text) {
  await $('textarea').fill(text);
  await $('textarea').press('Enter');
}

/** Pretends the tab went to the background (or came back): document.hidden and visibilitychange. */
const setHidden = (page, hidden) => page.evaluate((hidden) => {
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
  document.dispatchEvent(new Event('visibilitychange'));
}, hidden);

test('a message arriving in the chat the operator is reading is read; closed panel or hidden tab, it counts until seen', T, async () => {
  const srv = await startServer();
  try {
    const company = await companyToken(srv.url);
    await clearDemo(srv.url, company);
    const token = await devToken(srv.url);
    const phone = '+380501010101';
    const { chatId } = await inbound(srv.url, company, { name: 'Reading Rosa', phone, text: 'First question' });
    const { page, errors, $ } = await panelPage(browser, srv, { token });
    await openChat($, chatId);
    assert.deepEqual(await until(() => unreadShown(page, chatId), (v) => v.badge === 0 && v.title === TITLE), shows(0), 'opening the chat read it');
    assert.equal(await until(() => serverUnread(srv.url, token, chatId), (n) => n === 0), 0, 'the server has it read');

    // Panel open, tab visible, this chat open: the next message is read as it arrives.
    await inbound(srv.url, company, { name: 'Reading Rosa', phone, text: 'Are you there?' });
    await settled($, 'Are you there?').waitFor({ timeout: 15000 });
    await screenshot(page, 'shift-read-while-looking');
    assert.equal(await until(() => serverUnread(srv.url, token, chatId), (n) => n === 0), 0, 'the server counts it read (MarkRead)');
    await sleep(GRACE);
    assert.deepEqual(await unreadShown(page, chatId), shows(0), 'no badge, no row count, no "(n)" in the title');
    assert.equal(await serverUnread(srv.url, token, chatId), 0, 'still read on the server');

    // The panel closed: a new message counts, and opening the panel again reads it.
    await page.evaluate(() => window.ChatHub.get().close());
    await $('button.launcher').waitFor({ state: 'visible' });
    await inbound(srv.url, company, { name: 'Reading Rosa', phone, text: 'Hello??' });
    assert.deepEqual(await until(() => unreadShown(page, chatId), (v) => v.badge === 1 && v.title === `(1) ${TITLE}`), shows(1), 'closed panel: it counts');
    assert.equal(await serverUnread(srv.url, token, chatId), 1, 'the server counts it unread');
    await screenshot(page, 'shift-closed-counts');
    await page.evaluate(() => window.ChatHub.get().open());
    await settled($, 'Hello??').waitFor({ timeout: 15000 });
    assert.deepEqual(await until(() => unreadShown(page, chatId), (v) => v.badge === 0 && v.title === TITLE && v.row === 0), shows(0), 'opening the panel read it');
    assert.equal(await until(() => serverUnread(srv.url, token, chatId), (n) => n === 0), 0, 'and told the server');
    await screenshot(page, 'shift-reopened-read');

    // The tab in the background: the same.
    await setHidden(page, true);
    await inbound(srv.url, company, { name: 'Reading Rosa', phone, text: 'Still waiting' });
    assert.deepEqual(await until(() => unreadShown(page, chatId), (v) => v.badge === 1), shows(1), 'hidden tab: it counts');
    assert.equal(await serverUnread(srv.url, token, chatId), 1, 'the server counts it unread');
    await setHidden(page, false);
    assert.deepEqual(await until(() => unreadShown(page, chatId), (v) => v.badge === 0 && v.title === TITLE && v.row === 0), shows(0), 'visible again: read');
    assert.equal(await until(() => serverUnread(srv.url, token, chatId), (n) => n === 0), 0, 'and told the server');
    assert.deepEqual(errors, []);
    await page.close();
  } finally { await srv.stop(); }
});

/** Olena's and Mark's panels on the seeded chat "Sofia" (assigned to Mark), both with it open. */
async function twoOperators(srv, find) {
  const company = await companyToken(srv.url);
  const olenaToken = await devToken(srv.url);
  const markToken = await operatorToken(srv.url, company, 2);
  const chat = (await allChats(srv.url, olenaToken)).find(find);
  assert.ok(chat, 'the seeded chat assigned to Mark');
  const olena = await panelPage(browser, srv, { token: olenaToken });
  const mark = await panelPage(browser, srv, { token: markToken });
  await openChat(olena.$, chat.id);
  await openChat(mark.$, chat.id);
  return { company, chat, olena, mark };
}

test('a colleague\'s reply is labelled with their name, never "You"; the header shows the assignee', T, async () => {
  const srv = await startServer();
  try {
    const { chat, olena, mark } = await twoOperators(srv, (c) => c.client?.phone === '+380504445566');
    assert.equal(chat.operator?.id, 2, 'Sofia\'s chat is Mark\'s');
    for (const [who, p] of [['Olena', olena], ['Mark', mark]]) {
      const line = await p.$('.assignee').textContent();
      assert.ok(await p.$('.assignee').isVisible(), `${who}: the assignee line shows`);
      assert.match(line, /Mark/, `${who}: the header says the chat is Mark's`);
    }
    const seeded = 'Yes, from 10:00 to 18:00.';
    assert.deepEqual(await labelOf(olena.$, seeded), ['Mark'], 'Olena sees Mark\'s earlier reply as "Mark"');
    assert.deepEqual(await labelOf(mark.$, seeded), ['You'], 'Mark sees his earlier reply as "You"');

    await write(mark.$, 'Mark here: we are open on Sunday too.');
    await settled(olena.$, 'Mark here: we are open on Sunday too.').waitFor({ timeout: 15000 });
    await settled(mark.$, 'Mark here: we are open on Sunday too.').waitFor({ timeout: 15000 });
    await write(olena.$, 'Olena adding: until 18:00.');
    await settled(olena.$, 'Olena adding: until 18:00.').waitFor({ timeout: 15000 });
    await settled(mark.$, 'Olena adding: until 18:00.').waitFor({ timeout: 15000 });
    await screenshot(olena.page, 'shift-colleague-olena');
    await screenshot(mark.page, 'shift-colleague-mark');
    assert.deepEqual(await labelOf(olena.$, 'Mark here: we are open on Sunday too.'), ['Mark'], 'Olena: Mark\'s reply is "Mark"');
    assert.deepEqual(await labelOf(olena.$, 'Olena adding: until 18:00.'), ['You'], 'Olena: her own is "You"');
    assert.deepEqual(await labelOf(mark.$, 'Mark here: we are open on Sunday too.'), ['You'], 'Mark: his own is "You"');
    assert.deepEqual(await labelOf(mark.$, 'Olena adding: until 18:00.'), ['Olena'], 'Mark: Olena\'s is "Olena"');
    assert.deepEqual(olena.errors, []);
    assert.deepEqual(mark.errors, []);
    await olena.page.close();
    await mark.page.close();
  } finally { await srv.stop(); }
});

test('a chat a colleague takes while the operator reads it: the header names the new assignee', T, async () => {
  const srv = await startServer();
  try {
    const company = await companyToken(srv.url);
    const { chatId } = await inbound(srv.url, company, { name: 'Unassigned Ulla', phone: '+380502020202', text: 'Anyone?' });
    const olenaToken = await devToken(srv.url);
    const olena = await panelPage(browser, srv, { token: olenaToken });
    const mark = await panelPage(browser, srv, { token: await operatorToken(srv.url, company, 2) });
    await openChat(olena.$, chatId);
    await openChat(mark.$, chatId);
    assert.ok(await olena.$('.assignee').isHidden(), 'unassigned: no assignee line');
    await write(mark.$, 'I will take this one.');
    await settled(olena.$, 'I will take this one.').waitFor({ timeout: 15000 });
    const onServer = (await allChats(srv.url, olenaToken)).find((c) => c.id === chatId);
    assert.equal(onServer.operator?.id, 2, 'the server assigned the chat to Mark (his first reply)');
    const line = await until(async () => (await olena.$('.assignee').isVisible()) && await olena.$('.assignee').textContent(),
      (t) => typeof t === 'string' && /Mark/.test(t), 10000);
    await screenshot(olena.page, 'shift-taken-by-colleague');
    assert.match(String(line), /Mark/, 'Olena\'s header says Mark has the chat now');
    assert.deepEqual(olena.errors, []);
    assert.deepEqual(mark.errors, []);
    await olena.page.close();
    await mark.page.close();
  } finally { await srv.stop(); }
});

test('documented-only hub (no message operator): operator replies are "Operator", never "You" for a colleague', T, async () => {
  const srv = await startServer({ args: ['--compat', 'documented'] });
  try {
    const { chat, olena, mark } = await twoOperators(srv, (c) => c.theme === 'Opening hours');
    assert.equal(chat.client, undefined, 'documented chats carry no client');
    assert.match(await olena.$('.assignee').textContent(), /Mark/, 'the documented chat operator still names the assignee');
    const seeded = 'Yes, from 10:00 to 18:00.';
    assert.deepEqual(await labelOf(olena.$, seeded), ['Operator'], 'Olena: Mark\'s earlier reply is "Operator"');
    await write(mark.$, 'Mark (documented): open on Sunday.');
    await settled(olena.$, 'Mark (documented): open on Sunday.').waitFor({ timeout: 15000 });
    await settled(mark.$, 'Mark (documented): open on Sunday.').waitFor({ timeout: 15000 });
    await screenshot(olena.page, 'shift-colleague-documented-olena');
    assert.deepEqual(await labelOf(olena.$, 'Mark (documented): open on Sunday.'), ['Operator'], 'Olena: Mark\'s reply is "Operator"');
    const all = await authored(olena.$);
    assert.ok(!all.some((m) => m.author === 'You'), `Olena sees no "You" where she wrote nothing: ${JSON.stringify(all)}`);
    assert.deepEqual(olena.errors, []);
    assert.deepEqual(mark.errors, []);
    await olena.page.close();
    await mark.page.close();
  } finally { await srv.stop(); }
});

/** Opens a chat, types a draft, waits until it is saved; returns what the panel had saved. */
async function draftIn(page, $, chatId, draft) {
  await openChat($, chatId);
  await $('textarea').fill(draft);
  const saved = await until(() => page.evaluate((k) => sessionStorage.getItem(k), STORAGE_KEY), (s) => s?.includes(draft), 10000);
  assert.ok(saved?.includes(draft), 'the draft is saved in sessionStorage');
}

/** The chat left the list, the thread closed, a notice tells of the deletion, the draft is gone. */
async function expectGone(page, $, chatId, draft) {
  await $(`button.chat[data-chat="${chatId}"]`).waitFor({ state: 'detached', timeout: 15000 });
  await $('.note[data-shown] .note-text').waitFor({ timeout: 10000 });
  const notice = await $('.note .note-text').textContent();
  assert.match(notice, /deleted/i, `the notice tells of the deletion: "${notice}"`);
  assert.ok(await $('textarea').isHidden(), 'the thread closed: no composer');
  assert.equal(await $('button.chat[aria-current=true]').count(), 0, 'no chat is current');
  const saved = await until(() => page.evaluate((k) => sessionStorage.getItem(k), STORAGE_KEY), (s) => !s?.includes(draft), 10000);
  assert.ok(!saved?.includes(draft), `the draft is gone from sessionStorage: ${saved}`);
  assert.ok(!saved?.includes(`"${chatId}"`) && !(saved ?? '').includes(`:${chatId},`), `nothing of the chat is kept: ${saved}`);
}

test('a chat deleted elsewhere leaves the list, closes the thread with a notice and takes its draft', T, async () => {
  const srv = await startServer();
  try {
    const company = await companyToken(srv.url);
    const { chatId } = await inbound(srv.url, company, { name: 'Deleted Dora', phone: '+380503030303', text: 'Please help' });
    const other = await inbound(srv.url, company, { name: 'Staying Stan', phone: '+380503030304', text: 'Hi' });
    const { page, errors, $ } = await panelPage(browser, srv);
    const draft = 'Dora, I am looking into it right now';
    await draftIn(page, $, chatId, draft);
    await screenshot(page, 'shift-deleted-before');
    await del(srv.url, company, chatId);
    await expectGone(page, $, chatId, draft);
    await screenshot(page, 'shift-deleted-notice');
    assert.ok((await listIds(page)).includes(other.chatId), 'the other chats stay');
    assert.deepEqual(errors, []);
    await page.close();
  } finally { await srv.stop(); }
});

test('documented-only hub (no ChatDeleted): sending to, or reopening, a deleted chat finds the 404 and the chat leaves the same way', T, async () => {
  const srv = await startServer({ args: ['--compat', 'documented'] });
  try {
    const company = await companyToken(srv.url);
    const phone = '+380503030305';
    const { chatId } = await inbound(srv.url, company, { name: 'Deleted Dina', phone, text: 'Please help' });
    const b = await inbound(srv.url, company, { name: 'Deleted Bohdan', phone: '+380503030306', text: 'Hello?' });
    const { page, errors, $ } = await panelPage(browser, srv);
    const draft = 'Dina, one moment please';
    await draftIn(page, $, chatId, draft);
    await del(srv.url, company, chatId);
    await sleep(GRACE);
    assert.equal(await $(`button.chat[data-chat="${chatId}"]`).count(), 1, 'no event: the panel cannot know yet');
    await $('textarea').press('Enter');
    await expectGone(page, $, chatId, draft);
    await screenshot(page, 'shift-deleted-documented-notice');
    assert.deepEqual((await outbound(srv.url, company, { phone })).items, [], 'nothing reached the customer');

    // Reopening a chat deleted meanwhile: its history answers 404, and it leaves the same way.
    await del(srv.url, company, b.chatId);
    await sleep(GRACE);
    await $(`button.chat[data-chat="${b.chatId}"]`).click();
    await $(`button.chat[data-chat="${b.chatId}"]`).waitFor({ state: 'detached', timeout: 15000 });
    await $('.note[data-shown] .note-text').waitFor({ timeout: 10000 });
    assert.match(await $('.note .note-text').textContent(), /Deleted Bohdan|Hello\?/, 'the notice names the chat reopened');
    assert.match(await $('.note .note-text').textContent(), /deleted/i);
    assert.ok(await $('textarea').isHidden(), 'no thread is left open');
    await screenshot(page, 'shift-deleted-documented-reopen');
    // The 404 the panel learns from is logged by Chromium itself as a console error; it is expected
    // here, and nothing else is.
    const expected404 = 'Failed to load resource: the server responded with a status of 404 (Not Found)';
    assert.deepEqual(errors.filter((e) => e !== expected404), []);
    await page.close();
  } finally { await srv.stop(); }
});

test('search matches the customer\'s name and phone, not what other customers wrote', T, async () => {
  const srv = await startServer();
  try {
    const company = await companyToken(srv.url);
    const one = await inbound(srv.url, company, { name: 'Customer 1', phone: '+380500000001', text: 'Where is my parcel?' });
    const later = await inbound(srv.url, company, { name: 'Later', phone: '+380671400014', text: 'Later customer 14 asked about Customer 1 and his parcel' });
    const { page, errors, $ } = await panelPage(browser, srv);
    await $(`button.chat[data-chat="${later.chatId}"]`).waitFor();
    const search = async (term, want) => {
      await $('input.search').fill(term);
      const ids = await until(() => listIds(page), (v) => JSON.stringify(v) === JSON.stringify(want), 10000);
      return ids;
    };
    assert.deepEqual(await search('Customer 1', [one.chatId]), [one.chatId], '"Customer 1" shows Customer 1 only');
    assert.equal(await $(`button.chat[data-chat="${one.chatId}"] .name`).textContent(), 'Customer 1');
    await screenshot(page, 'shift-search-name');
    await sleep(GRACE);
    assert.deepEqual(await listIds(page), [one.chatId], 'and stays so once the server answered');
    assert.deepEqual(await search('500000001', [one.chatId]), [one.chatId], 'the phone\'s digits find Customer 1');
    assert.deepEqual(await search('671400014', [later.chatId]), [later.chatId], 'and the other customer by theirs');
    await screenshot(page, 'shift-search-phone');
    await sleep(GRACE);
    assert.deepEqual(await listIds(page), [later.chatId]);
    assert.deepEqual(errors, []);
    await page.close();
  } finally { await srv.stop(); }
});

test('a customer name over 100 characters: the message is kept and shown, the name cut', T, async () => {
  const srv = await startServer();
  try {
    const company = await companyToken(srv.url);
    const name = `Very Long Name ${'Oleksandr-'.repeat(15)}end`;
    assert.ok(name.length > 100);
    const r = await fetch(`${srv.url}/api/channel/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${company}` },
      body: JSON.stringify({ organizationId: 1, source: 0, client: { name, phone: '+380504040404' }, text: 'My name is long' }),
    });
    assert.equal(r.status, 200, await r.clone().text());
    const { chatId } = await r.json();
    const { page, errors, $ } = await panelPage(browser, srv);
    await openChat($, chatId);
    await settled($, 'My name is long').waitFor({ timeout: 15000 });
    const shown = await $(`button.chat[data-chat="${chatId}"] .name`).textContent();
    assert.equal(shown, name.slice(0, 100), 'the list shows the name cut at 100 characters');
    assert.ok((await $('.thread-title').textContent()).startsWith(name.slice(0, 100)));
    await screenshot(page, 'shift-long-name');
    assert.deepEqual(errors, []);
    await page.close();
  } finally { await srv.stop(); }
});
