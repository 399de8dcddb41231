// The core flows against the documented-only hub (`--compat documented`), which behaves as the hosted
// ASP.NET Core ChatHub is documented: no extensions, strict argument binding, no `client` on chats.
// Every hub invocation the page sends is captured: the widget must only call what the server announced.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, companyToken, inbound, outbound } from './lib/server.mjs';
import { launch, screenshot, inPanel } from './lib/browser.mjs';
import { HOST, blankPage, inject, connected, openChat, until, sleep, devToken, allChats, api, PNG_2X2 } from './lib/panel.mjs';

const ARGS = ['--compat', 'documented'];
const GRACE = 1500;
const T = { timeout: 180000 };

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/**
 * A connected panel on a blank page whose sent WebSocket frames are recorded from the first one:
 * `invocations` collects every hub Invocation record (type 1) the page sent.
 */
async function documentedPanel(srv) {
  const { page, errors } = await blankPage(browser, srv);
  const invocations = [];
  page.on('websocket', (ws) => ws.on('framesent', ({ payload }) => {
    const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
    for (const record of text.split('\x1e').filter((r) => r.trim())) {
      let m;
      try { m = JSON.parse(record); } catch { invocations.push({ unparsable: record }); continue; }
      if (m.type === 1 || m.type === 4 || m.type === 5) invocations.push(m);
    }
  }));
  await inject(page, { token: await devToken(srv.url), api: srv.url, open: true });
  await connected(page);
  return { page, errors, invocations, $: (css) => inPanel(page, css, HOST) };
}

/** Every invocation is SendMessage or SendMediaMessage with exactly the two documented arguments. */
function onlyDocumented(invocations) {
  const odd = invocations.filter((m) => m.type !== 1 || !['SendMessage', 'SendMediaMessage'].includes(m.target)
    || !Array.isArray(m.arguments) || m.arguments.length !== 2);
  assert.deepEqual(odd, [], 'the widget invoked only announced methods, each with exactly 2 arguments');
}

const threadTexts = ($) => $('.messages .msg .text').allTextContents();
const outboxEmpty = async ($) => (await $('.msg.pending, .msg.sent').count()) === 0;
const settled = ($, text) => $('.messages .msg:not(.pending):not(.failed) .text').getByText(text, { exact: true });

async function write($, text) {
  await $('textarea').fill(text);
  await $('textarea').press('Enter');
}

/** The stored messages of a chat (oldest first), as the company sees them. */
const stored = async (url, company, chatId) => (await api(url, company, `/api/chat/${chatId}/messages?limit=200`)).items;

test('documented hub: list by theme, open, a live customer message, Enter sends once, a PNG sends once', T, async () => {
  const srv = await startServer({ args: ARGS });
  try {
    const company = await companyToken(srv.url);
    const token = await devToken(srv.url);
    const phone = '+380505050501';
    const { chatId } = await inbound(srv.url, company, { name: 'Theme Tanya', phone, text: 'My order #812 is late' });
    const { page, errors, invocations, $ } = await documentedPanel(srv);

    // The list: no `client` on documented chats, so rows are labelled by theme.
    const chats = await allChats(srv.url, token);
    assert.ok(chats.length > 1 && chats.every((c) => c.client === undefined), 'documented chats carry no client');
    await $(`button.chat[data-chat="${chatId}"]`).waitFor({ timeout: 15000 });
    for (const c of chats) {
      const name = await $(`button.chat[data-chat="${c.id}"] .name`).textContent();
      assert.equal(name, c.theme, `chat ${c.id} is labelled by its theme`);
    }
    await screenshot(page, 'compat-list');

    await openChat($, chatId);
    assert.ok((await $('.thread-title').textContent()).includes('My order #812 is late'), 'the thread title is the theme');
    await inbound(srv.url, company, { name: 'Theme Tanya', phone, text: 'Any news?' });
    await settled($, 'Any news?').waitFor({ timeout: 15000 });
    await screenshot(page, 'compat-live-message');

    await write($, 'It ships today.');
    await settled($, 'It ships today.').waitFor({ timeout: 15000 });
    assert.ok(await until(() => outboxEmpty($), Boolean, 15000), 'nothing left pending');
    await sleep(GRACE);
    const got = (await outbound(srv.url, company, { phone })).items.map((m) => m.message);
    assert.deepEqual(got, ['It ships today.'], 'the customer received the reply exactly once');
    assert.equal((await threadTexts($)).filter((t) => t === 'It ships today.').length, 1, 'the panel shows it once');
    await screenshot(page, 'compat-sent');

    // Media: the file input, as an operator attaching a picture; it waits in the preview until Send.
    await $('.composer input[type=file]').setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: PNG_2X2 });
    await $('.attachment').waitFor({ timeout: 15000 });
    await $('.composer button.send').click();
    const file = $('.messages .msg.out:not(.pending):not(.failed) a.file').filter({ hasText: 'dot.png' });
    await file.waitFor({ state: 'attached', timeout: 15000 });
    assert.ok(await until(() => outboxEmpty($), Boolean, 15000), 'the picture is not left pending');
    await sleep(GRACE);
    const media = (await stored(srv.url, company, chatId)).filter((m) => m.media?.name === 'dot.png');
    assert.equal(media.length, 1, 'the server stored the picture once');
    assert.equal(await file.count(), 1, 'the panel shows it once');
    await screenshot(page, 'compat-media');

    const targets = invocations.map((m) => m.target);
    assert.ok(targets.includes('SendMessage') && targets.includes('SendMediaMessage'), `both sends went over the hub: ${targets}`);
    onlyDocumented(invocations);
    assert.deepEqual(errors, []);
    await page.close();
  } finally { await srv.stop(); }
});

test('documented hub: a SIGKILL restart mid-conversation catches up once, in order, losing nothing typed', T, async () => {
  let srv = await startServer({ args: ARGS });
  const { dir } = srv;
  const addr = srv.url.replace('http://', '');
  try {
    const company = await companyToken(srv.url);
    const phone = '+380505050502';
    const { chatId } = await inbound(srv.url, company, { name: 'Restart Roman', phone, text: 'c1' });
    const { page, errors, invocations, $ } = await documentedPanel(srv);
    const context = page.context();
    await openChat($, chatId);
    await write($, 'o1');
    await settled($, 'o1').waitFor({ timeout: 15000 });

    // The server dies; the browser is cut off too, so the panel stays disconnected until we say.
    const gone = new Promise((ok) => srv.child.once('exit', ok));
    srv.child.kill('SIGKILL');
    await gone;
    await context.setOffline(true);
    await $('.conn:not([data-state=connected])').waitFor({ state: 'attached', timeout: 40000 });
    await write($, 'o2');
    await write($, 'o3');
    assert.equal(await $('.msg.out.pending').count(), 2, 'typed during the outage: waiting');
    await screenshot(page, 'compat-restart-down');

    srv = await startServer({ dir, addr, args: ARGS });
    // The customer writes while the panel is still disconnected.
    await inbound(srv.url, company, { name: 'Restart Roman', phone, text: 'c2' });
    await inbound(srv.url, company, { name: 'Restart Roman', phone, text: 'c3' });
    await sleep(GRACE);
    assert.notEqual(await $('.conn').getAttribute('data-state'), 'connected', 'still cut off from the restarted server');
    assert.ok(!(await threadTexts($)).includes('c2'), 'c2 has not reached the panel live');
    await context.setOffline(false);
    await $('.conn[data-state=connected]').waitFor({ state: 'attached', timeout: 60000 });
    assert.ok(await until(() => outboxEmpty($), Boolean, 20000), 'the outbox drains');
    await settled($, 'c3').waitFor({ timeout: 15000 });
    await write($, 'o4');
    await settled($, 'o4').waitFor({ timeout: 15000 });
    await inbound(srv.url, company, { name: 'Restart Roman', phone, text: 'c4' });
    await settled($, 'c4').waitFor({ timeout: 15000 });
    await sleep(GRACE);
    await screenshot(page, 'compat-restart-caught-up');

    const expected = ['c1', 'o1', 'c2', 'c3', 'o2', 'o3', 'o4', 'c4'];
    const server = (await stored(srv.url, company, chatId)).map((m) => m.message);
    assert.deepEqual(server, expected, 'the server holds each message once, in order');
    assert.deepEqual(await threadTexts($), server, 'the panel shows each once, in the server\'s order');
    const got = (await outbound(srv.url, company, { phone })).items.map((m) => m.message);
    assert.deepEqual(got, ['o1', 'o2', 'o3', 'o4'], 'the customer got every reply once, in order');
    onlyDocumented(invocations);
    // The panel keeps retrying on its backoff while the browser says offline (navigator.onLine can be
    // wrong); Chromium logs each attempt the emulated outage fails as a console error of its own.
    const outage = /^Failed to load resource: net::ERR_(INTERNET_DISCONNECTED|CONNECTION_REFUSED)$/;
    assert.deepEqual(errors.filter((e) => !outage.test(e)), []);
    await page.close();
  } finally { await srv.stop({ wipe: true }); }
});

test('documented hub: the list keeps the server\'s order (latest activity first), as its items carry no times', T, async () => {
  const srv = await startServer({ args: ARGS });
  try {
    const token = await devToken(srv.url);
    // The server orders by last activity; documented items have no lastMessage or updatedAt, so the
    // server's order is all a client can know.
    const order = (await allChats(srv.url, token)).map((c) => c.id);
    const { page, errors, invocations, $ } = await documentedPanel(srv);
    await $(`button.chat[data-chat="${order[0]}"]`).waitFor({ timeout: 15000 });
    const shown = await until(() => page.evaluate((host) => [...document.querySelector(host).shadowRoot
      .querySelectorAll('button.chat[data-chat]')].map((b) => Number(b.dataset.chat)), HOST),
    (v) => JSON.stringify(v) === JSON.stringify(order), 5000);
    await screenshot(page, 'compat-list-order');
    assert.deepEqual(shown, order, 'the panel lists the chats in the server\'s order');
    onlyDocumented(invocations);
    assert.deepEqual(errors, []);
    await page.close();
  } finally { await srv.stop(); }
});

test('documented hub: search finds the customer by name and phone (the server\'s answer), not by what others wrote', T, async () => {
  const srv = await startServer({ args: ARGS });
  try {
    const company = await companyToken(srv.url);
    const token = await devToken(srv.url);
    const one = await inbound(srv.url, company, { name: 'Customer 1', phone: '+380500000001', text: 'Where is my parcel?' });
    const later = await inbound(srv.url, company, { name: 'Later', phone: '+380671400014', text: 'Later customer 14 asked about Customer 1 and his parcel' });
    const bySearch = async (term) => (await allChats(srv.url, token, { search: term })).map((c) => c.id);
    assert.deepEqual(await bySearch('Customer 1'), [one.chatId], 'the server matches the name, not the theme');
    assert.deepEqual(await bySearch('500000001'), [one.chatId], 'and the phone');
    const { page, errors, invocations, $ } = await documentedPanel(srv);
    await $(`button.chat[data-chat="${later.chatId}"]`).waitFor({ timeout: 15000 });
    const ids = () => page.evaluate((host) => [...document.querySelector(host).shadowRoot
      .querySelectorAll('button.chat[data-chat]')].map((b) => Number(b.dataset.chat)), HOST);
    for (const term of ['Customer 1', '500000001']) {
      await $('input.search').fill(term);
      await sleep(GRACE); // the debounce and the server's answer
      const shown = await until(ids, (v) => JSON.stringify(v) === JSON.stringify([one.chatId]), 5000);
      await screenshot(page, `compat-search-${term.replace(/\W/g, '')}`);
      assert.deepEqual(shown, [one.chatId], `"${term}" lists the chat the server found, and only it`);
    }
    onlyDocumented(invocations);
    assert.deepEqual(errors, []);
    await page.close();
  } finally { await srv.stop(); }
});
