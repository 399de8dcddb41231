// The keyboard and saved replies (issue 14, items 2 and 3). Every action has a shortcut that acts only
// while focus is in the panel; `?` or Ctrl+/ opens a localized sheet listing them and Escape closes
// it; nothing fires from the host page or while the operator types in the composer, except the keys
// made for it. Saved replies come from the script's `replies` URL (fetched the first time `/` starts
// a message, never at start-up) or from `setReplies`; `/` filters, arrows move, Enter or Tab insert,
// Escape closes, a click inserts, `{client}` and `{operator}` are filled in; a bad URL or bad JSON
// says so and nothing breaks. axe-core checks the sheet and the open list; screenshots (light, dark,
// right to left) go to test-output/. The core flows run again against `--compat documented`.
// Assertions wait for conditions, never for wall-clock thresholds; GRACE only gives something that
// must not happen the time to happen anyway.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, companyToken, inbound, outbound, ROOT } from './lib/server.mjs';
import { launch, screenshot } from './lib/browser.mjs';
import { HOST, ID, panelPage, openChat, until, sleep, focused, events, devToken, blankPage, inject, connected } from './lib/panel.mjs';

const T = { timeout: 240000 };
const GRACE = 1000;
const axeSource = createRequire(import.meta.url)('axe-core').source;
const locale = (lang) => JSON.parse(readFileSync(join(ROOT, 'locales', `${lang}.json`), 'utf8'));

const REPLIES = [
  { shortcut: '/hello', title: 'Greeting', text: 'Hello {client}, this is {operator}. How can I help?' },
  { shortcut: 'refund', title: 'Refund policy', text: 'Refunds reach your card within 5 working days.' },
  { shortcut: 'refund-late', title: 'Late refund', text: 'Sorry the refund is late, {client}. I have chased it.' },
  { shortcut: 'bye', title: 'Closing', text: 'Thank you for writing to us, {client}!' },
];

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** A copy of www/ with the saved replies beside the demo pages, as an integrator would host them. */
function wwwWithReplies() {
  const dir = mkdtempSync(join(tmpdir(), 'chathub-keys-'));
  cpSync(join(ROOT, 'www'), dir, { recursive: true });
  writeFileSync(join(dir, 'replies.json'), JSON.stringify(REPLIES));
  writeFileSync(join(dir, 'broken.json'), '[{"shortcut": "a", "text": ');
  return dir;
}

/** Every axe-core violation over the panel host (any impact). */
async function axeAll(page) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
  const r = await page.evaluate((host) => window.axe.run(document.querySelector(host)), HOST);
  return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} ${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')}`);
}

/** Tabs from the host page into the panel. */
async function tabIntoPanel(page) {
  for (let i = 0; i < 12 && !(await focused(page))?.inPanel; i++) await page.keyboard.press('Tab');
  assert.ok((await focused(page))?.inPanel, 'Tab reaches the panel');
}

/** The sheet as the operator sees it, and where focus is. */
const sheetState = (page) => page.evaluate((host) => {
  const root = document.querySelector(host).shadowRoot;
  const sheet = root.querySelector('.sheet');
  let f = document.activeElement;
  while (f?.shadowRoot?.activeElement) f = f.shadowRoot.activeElement;
  return {
    open: !!sheet && !sheet.hidden,
    title: sheet?.querySelector('h3')?.textContent,
    rows: sheet ? [...sheet.querySelectorAll('dl > div')].map((d) => [d.querySelector('dt').textContent, d.querySelector('dd').textContent]) : [],
    focusInSheet: !!sheet && !!f && sheet.contains(f),
    focusCls: f?.className ?? null,
  };
}, HOST);

/** The composer's suggestion state (text box over a listbox) and the shown options. */
const combo = (page) => page.evaluate((host) => {
  const root = document.querySelector(host).shadowRoot;
  const t = root.querySelector('textarea');
  const list = root.querySelector('[role=listbox]');
  return {
    value: t.value,
    selection: t.value.slice(t.selectionStart, t.selectionEnd),
    autocomplete: t.getAttribute('aria-autocomplete'),
    popup: t.getAttribute('aria-haspopup'),
    controls: t.getAttribute('aria-controls'),
    active: t.getAttribute('aria-activedescendant'),
    role: t.getAttribute('role'),
    visible: !!list && !list.hidden,
    options: list && !list.hidden ? [...list.querySelectorAll('[role=option]')].map((o) => ({
      id: o.id, title: o.querySelector('.reply-title').textContent, selected: o.getAttribute('aria-selected'),
    })) : [],
  };
}, HOST);

const openId = (page) => page.evaluate((host) => Number(document.querySelector(host).shadowRoot
  .querySelector('button.chat[aria-current=true]')?.dataset.chat ?? 0), HOST);

/** Empties the composer from the keyboard. */
async function clearComposer(page) {
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Backspace');
}

test('the shortcut sheet: ? and Ctrl+/ open it from the keyboard, it lists every shortcut, Escape closes it and focus comes back', T, async () => {
  const srv = await startServer();
  try {
    const { page, errors, $ } = await panelPage(browser, srv);
    await $('button.chat').first().waitFor({ timeout: 15000 });
    // The host page's keys are its own: with focus in the page, nothing happens in the panel.
    await page.evaluate(() => { const i = document.createElement('input'); i.id = 'host-input'; i.setAttribute('aria-label', 'host'); document.querySelector('main').append(i); });
    await page.focus('#host-input');
    await page.keyboard.type('?');
    await page.keyboard.press('Control+Slash');
    await page.keyboard.press('Alt+KeyO');
    await page.keyboard.press('Alt+ArrowDown');
    await sleep(GRACE);
    assert.equal(await page.inputValue('#host-input'), '?', 'the page got its ?');
    assert.equal((await sheetState(page)).open, false, 'no sheet from the host page');
    assert.equal(await $('select.sort').inputValue(), 'activity', 'no sort from the host page');
    assert.equal(await openId(page), 0, 'no chat opened from the host page');

    await tabIntoPanel(page);
    const before = await focused(page);
    await page.keyboard.press('?');
    let s = await until(() => sheetState(page), (v) => v.open);
    assert.equal(s.title, 'Keyboard shortcuts');
    assert.ok(s.focusInSheet, 'focus moves into the sheet');
    const rows = new Map(s.rows.map(([k, d]) => [d, k]));
    for (const [label, keys] of [
      ['Show the keyboard shortcuts', '? / Ctrl+/'],
      ['Next waiting customer', 'Alt+N'],
      ['Close the chat and move on', 'Alt+C'],
      ['Pause the chat and move on', 'Alt+P'],
      ['Reopen the chat', 'Alt+R'],
      ['Search chats', 'Alt+S'],
      ['Change the order of the chats', 'Alt+O'],
      ['Dismiss notice', 'Alt+D'],
      ['Back to chats', 'Alt+B'],
      ['Retry the failed messages', 'Alt+T'],
      ['Desktop notifications', 'Alt+E'],
      ['Copy phone number', 'Alt+H'],
      ['Go to the reply box', 'Alt+M'],
      ['Filter chats by status', 'Alt+F'],
      ['Open the next chat in the list', 'Alt+↓'],
      ['Open the previous chat in the list', 'Alt+↑'],
      ['Jump to the newest message', 'Alt+L'],
      ['Attach a file', 'Alt+A'],
      ['Send', 'Enter'],
      ['New line', 'Shift+Enter'],
      ['Saved replies: type / at the start of a message', '/'],
      ['Close the shortcuts, the saved replies or the panel', 'Esc'],
    ]) assert.equal(rows.get(label), keys, `the sheet lists ${label}`);
    assert.ok(s.rows.length >= 20, `every shortcut: ${s.rows.length} lines`);
    assert.equal(await $('.sheet').getAttribute('role'), 'dialog');
    assert.deepEqual(await axeAll(page), [], 'axe: the sheet');
    // Tab stays in the sheet; its keys do not reach the panel beneath.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Alt+ArrowDown');
    s = await sheetState(page);
    assert.ok(s.open && s.focusInSheet, 'Tab stays in the sheet');
    assert.equal(await openId(page), 0, 'the list beneath did not move');
    await page.keyboard.press('Escape');
    s = await until(() => sheetState(page), (v) => !v.open);
    assert.equal(s.open, false, 'Escape closes it');
    assert.deepEqual(await focused(page), before, 'focus is back where it was');
    assert.ok(await $('section.panel').isVisible(), 'Escape closed the sheet, not the panel');

    await page.keyboard.press('Control+Slash');
    assert.ok((await until(() => sheetState(page), (v) => v.open)).open, 'Ctrl+/ opens it');
    await page.keyboard.press('Control+Slash');
    assert.equal((await until(() => sheetState(page), (v) => !v.open)).open, false, 'and closes it');
    // And by mouse: the header's keyboard button.
    await $('header button.keys').click();
    assert.ok((await until(() => sheetState(page), (v) => v.open)).open, 'the header button opens it');
    await $('.sheet button.keys').click();
    assert.equal((await until(() => sheetState(page), (v) => !v.open)).open, false, 'its close button closes it');
    assert.deepEqual(errors, []);
    await page.close();

    // Localized: the same sheet in Ukrainian, and pictures of it in light, dark and Arabic (RTL).
    const uk = locale('uk');
    const ukPage = await panelPage(browser, srv, { attrs: { lang: 'uk' } });
    await ukPage.$('header h2').getByText(uk.title).waitFor({ timeout: 15000 });
    await tabIntoPanel(ukPage.page);
    await ukPage.page.keyboard.press('Control+Slash');
    s = await until(() => sheetState(ukPage.page), (v) => v.open);
    assert.equal(s.title, uk['keys.title']);
    const ukRows = new Map(s.rows.map(([k, d]) => [d, k]));
    assert.equal(ukRows.get(uk.next), 'Alt+N');
    assert.equal(ukRows.get(uk['keys.newline']), 'Shift+Enter');
    assert.equal(await ukPage.$('.sheet h4').first().textContent(), uk['keys.general']);
    await ukPage.page.close();

    for (const [suffix, attrs] of [['light', {}], ['dark', { theme: 'dark' }], ['rtl', { lang: 'ar' }]]) {
      const p = await panelPage(browser, srv, { attrs });
      await p.$('button.chat').first().waitFor({ timeout: 15000 });
      if (attrs.lang) await p.$('header h2').getByText(locale('ar').title).waitFor({ timeout: 15000 });
      await tabIntoPanel(p.page);
      await p.page.keyboard.press('?');
      await until(() => sheetState(p.page), (v) => v.open);
      assert.deepEqual(await axeAll(p.page), [], `axe: the sheet, ${suffix}`);
      await screenshot(p.page, `keys-sheet-${suffix}`);
      await p.page.close();
    }
  } finally { await srv.stop(); }
});

test('every action from the keyboard alone; none fires while typing in the composer, except the ones made for it', T, async () => {
  const srv = await startServer();
  try {
    const token = await devToken(srv.url);
    const { page, errors, $ } = await panelPage(browser, srv, { token });
    await $('button.chat').nth(2).waitFor({ timeout: 15000 });
    const ids = await page.evaluate((host) => [...document.querySelector(host).shadowRoot
      .querySelectorAll('button.chat[data-chat]')].map((b) => Number(b.dataset.chat)), HOST);
    await tabIntoPanel(page);

    await page.keyboard.press('Alt+KeyS');
    assert.equal((await focused(page)).cls, 'search', 'Alt+S: the search box');
    // In the search box the operator types: Alt shortcuts and ? do not fire there.
    await page.keyboard.type('?');
    await page.keyboard.press('Alt+KeyO');
    await sleep(GRACE);
    assert.equal(await $('input.search').inputValue(), '?');
    assert.equal((await sheetState(page)).open, false);
    assert.equal(await $('select.sort').inputValue(), 'activity');
    await page.keyboard.press('Backspace');
    // The search emptied again: the whole list is back before the list's shortcuts are tried.
    await until(() => page.evaluate((host) => document.querySelector(host).shadowRoot.querySelectorAll('button.chat').length, HOST), (n) => n === ids.length);
    await sleep(GRACE);
    // Out of the text field (Tab, Tab: past the filter to the order), the shortcuts act again.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).cls, 'sort');
    await page.keyboard.press('Alt+KeyF');
    assert.equal((await focused(page)).cls, 'filter', 'Alt+F: the status filter');
    await page.keyboard.press('Alt+KeyO');
    assert.equal(await $('select.sort').inputValue(), 'waiting', 'Alt+O: the order flips');
    assert.equal(await until(() => page.evaluate(() => localStorage.getItem('chathub-sort:operator-chat-panel-script')), (v) => v === 'waiting'), 'waiting');
    await page.keyboard.press('Alt+KeyO');
    assert.equal(await $('select.sort').inputValue(), 'activity');

    // Alt+↓ / Alt+↑ walk the list, opening each chat with the caret in its composer.
    await page.keyboard.press('Alt+ArrowDown');
    assert.equal(await until(() => openId(page), (id) => id === ids[0]), ids[0], 'Alt+↓ opens the first chat');
    assert.equal((await focused(page)).tag, 'textarea');
    // While typing, the list's shortcuts are text or nothing: only the composer's own keys act.
    await page.keyboard.type('Is ? ok');
    await page.keyboard.press('Alt+ArrowDown');
    await page.keyboard.press('Alt+KeyS');
    await page.keyboard.press('Alt+KeyR');
    await page.keyboard.press('Control+Slash');
    await sleep(GRACE);
    assert.equal(await $('textarea').inputValue(), 'Is ? ok', 'the composer kept every character');
    assert.equal(await openId(page), ids[0], 'no chat change while typing');
    assert.equal((await focused(page)).tag, 'textarea', 'focus stayed in the composer');
    assert.equal((await sheetState(page)).open, false, 'no sheet while typing');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('second line');
    assert.equal(await $('textarea').inputValue(), 'Is ? ok\nsecond line', 'Shift+Enter: a new line');
    await clearComposer(page);

    // Out of the composer (Shift+Tab), the chat's shortcuts act.
    await page.keyboard.press('Shift+Tab');
    assert.notEqual((await focused(page)).tag, 'textarea');
    await page.keyboard.press('Alt+ArrowDown');
    assert.equal(await until(() => openId(page), (id) => id === ids[1]), ids[1], 'Alt+↓ the next chat');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Alt+ArrowUp');
    assert.equal(await until(() => openId(page), (id) => id === ids[0]), ids[0], 'Alt+↑ the previous one');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Alt+KeyM');
    assert.equal((await focused(page)).tag, 'textarea', 'Alt+M: the reply box');

    // Close (made for answering a queue: it acts from the composer too), then reopen.
    const closing = ids[0];
    await page.keyboard.press('Alt+KeyC');
    const statusOf = async (id) => (await (await fetch(`${srv.url}/api/chat/chats?per_page=100`, { headers: { authorization: `Bearer ${token}` } })).json()).items.find((c) => c.id === id)?.chatStatus;
    assert.equal(await until(() => statusOf(closing), (s) => s === 4), 4, 'Alt+C closed the chat');
    await $(`button.chat[data-chat="${closing}"]`).click();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Alt+KeyR');
    assert.equal(await until(() => statusOf(closing), (s) => s === 1), 1, 'Alt+R reopened it');
    assert.equal(await $('select.status').inputValue(), '1');

    // Alt+L jumps to the newest message and puts focus on the thread.
    await page.keyboard.press('Alt+KeyL');
    assert.ok((await focused(page)).inThread, 'Alt+L: focus on the thread');
    assert.equal((await focused(page)).cls, 'messages');
    // Alt+H copies the customer's phone.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.url });
    await page.keyboard.press('Alt+KeyH');
    await $('.note[data-shown] .note-text').getByText(/^Copied \+/).waitFor({ timeout: 10000 });
    // Alt+D dismisses the notice line.
    await page.keyboard.press('Alt+KeyD');
    await $('.note[data-shown]').waitFor({ state: 'detached', timeout: 5000 });
    // Alt+A opens the file chooser.
    const chooser = page.waitForEvent('filechooser', { timeout: 10000 });
    await page.keyboard.press('Alt+KeyA');
    assert.ok(await chooser, 'Alt+A: the file chooser');
    // Escape closes the panel and returns focus to the launcher.
    await page.keyboard.press('Escape');
    await $('button.launcher').waitFor({ state: 'visible', timeout: 5000 });
    assert.equal((await focused(page)).cls, 'launcher');
    assert.deepEqual(errors, []);
    await page.close();

    // On a phone the list and the thread take turns: Alt+B goes back to the list.
    const phone = await panelPage(browser, srv, { token, viewport: { width: 390, height: 800 } });
    await phone.$('button.chat').first().waitFor({ timeout: 15000 });
    await tabIntoPanel(phone.page);
    await phone.page.keyboard.press('Alt+ArrowDown');
    await phone.$('.body[data-open]').waitFor({ state: 'attached', timeout: 10000 });
    await phone.page.keyboard.press('Shift+Tab');
    await phone.page.keyboard.press('Alt+KeyB');
    await phone.$('.body:not([data-open])').waitFor({ state: 'attached', timeout: 10000 });
    assert.ok((await focused(phone.page)).inSide, 'focus is back in the list');
    assert.deepEqual(phone.errors, []);
    await phone.page.close();
  } finally { await srv.stop(); }
});

/** Saved replies end to end, on a server whose www holds replies.json. */
async function repliesScenario(label, serverArgs = []) {
  const www = wwwWithReplies();
  const srv = await startServer({ www, args: serverArgs });
  const documented = serverArgs.length > 0;
  try {
    const company = await companyToken(srv.url);
    const phone = '+380509600001';
    const { chatId } = await inbound(srv.url, company, { name: 'Kate Client', phone, text: 'I want my money back' });
    const fetched = [];
    const { page, errors, $ } = await panelPage(browser, srv, { attrs: { replies: '/replies.json' } });
    page.on('request', (r) => { if (r.url().includes('replies.json')) fetched.push(r.url()); });
    await $(`button.chat[data-chat="${chatId}"]`).waitFor({ timeout: 15000 });
    await sleep(GRACE);
    assert.deepEqual(fetched, [], 'not fetched at start-up');

    await openChat($, chatId);
    await $('textarea').focus();
    let c = await combo(page);
    assert.deepEqual([c.role, c.autocomplete, c.popup, c.controls, c.visible], [null, 'list', 'listbox', null, false]);
    await page.keyboard.type('/');
    c = await until(() => combo(page), (v) => v.visible);
    assert.equal(fetched.length, 1, 'fetched once, when first needed');
    assert.deepEqual(c.options.map((o) => o.title), REPLIES.map((r) => r.title));
    assert.equal(c.controls, 'replies', 'the open list is named by aria-controls');
    assert.equal(c.active, c.options[0].id);
    assert.equal(c.options[0].selected, 'true');
    assert.deepEqual(await axeAll(page), [], `axe: the list open (${label})`);
    await screenshot(page, `keys-replies-${label}`);

    // Typing filters: the shortcut that starts with it first.
    await page.keyboard.type('ref');
    c = await until(() => combo(page), (v) => v.options.length === 2);
    assert.deepEqual(c.options.map((o) => o.title), ['Refund policy', 'Late refund']);
    await page.keyboard.press('ArrowDown');
    c = await combo(page);
    assert.equal(c.active, c.options[1].id, 'ArrowDown moves the active option');
    assert.deepEqual(c.options.map((o) => o.selected), ['false', 'true']);
    await page.keyboard.press('ArrowDown');
    assert.equal((await combo(page)).active, c.options[0].id, 'and wraps');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    c = await until(() => combo(page), (v) => !v.visible);
    const late = documented ? 'Sorry the refund is late, {client}. I have chased it.' : 'Sorry the refund is late, Kate Client. I have chased it.';
    assert.equal(c.value, late, 'Enter inserts the active reply, filled in');
    assert.equal(c.controls, null);
    assert.equal(c.active, null);
    if (documented) assert.equal(c.selection, '{client}', 'an unknown name stays, selected to type over');
    await sleep(GRACE);
    assert.deepEqual((await outbound(srv.url, company, { phone })).items, [], 'inserted, not sent');

    // Tab inserts too; {operator} is this operator's name from the session.
    await clearComposer(page);
    await page.keyboard.type('/hel');
    await until(() => combo(page), (v) => v.options.length === 1);
    await page.keyboard.press('Tab');
    c = await until(() => combo(page), (v) => !v.visible);
    const hello = documented ? 'Hello {client}, this is Olena. How can I help?' : 'Hello Kate Client, this is Olena. How can I help?';
    assert.equal(c.value, hello, 'Tab inserts, {operator} filled in');
    assert.equal((await focused(page)).tag, 'textarea', 'focus stays in the composer');
    if (!documented) {
      await page.keyboard.press('Enter');
      assert.deepEqual(await until(async () => (await outbound(srv.url, company, { phone })).items.map((m) => m.message), (v) => v.length === 1), [hello], 'sent as filled in');
    }

    // Escape closes the list only; the text stays, and the list stays closed for it.
    await clearComposer(page);
    await page.keyboard.type('/');
    await until(() => combo(page), (v) => v.visible);
    await page.keyboard.press('Escape');
    c = await until(() => combo(page), (v) => !v.visible);
    assert.equal(c.value, '/');
    assert.ok(await $('section.panel').isVisible(), 'the panel stays open');
    // Typing on opens it again, filtered.
    await page.keyboard.type('b');
    c = await until(() => combo(page), (v) => v.visible);
    assert.deepEqual(c.options.map((o) => o.title), ['Closing']);

    // The mouse: a click on an option inserts it.
    await clearComposer(page);
    await page.keyboard.type('/');
    c = await until(() => combo(page), (v) => v.options.length === 4);
    assert.equal(c.options.length, 4, JSON.stringify(c));
    await $('[role=option]').nth(3).click();
    c = await until(() => combo(page), (v) => !v.visible);
    assert.equal(c.value, documented ? 'Thank you for writing to us, {client}!' : 'Thank you for writing to us, Kate Client!');
    assert.equal((await focused(page)).tag, 'textarea');
    // The draft is the chat's: it survives switching away and back.
    assert.equal(fetched.length, 1, 'still fetched once');
    assert.deepEqual(errors, []);
    await page.close();
  } finally { await srv.stop(); rmSync(www, { recursive: true, force: true }); }
}

test('Alt+T sends the open chat\'s failed messages again, each once and in order; Alt+E asks for desktop notifications', T, async () => {
  const srv = await startServer();
  try {
    const company = await companyToken(srv.url);
    const phone = '+380509700077';
    const { chatId } = await inbound(srv.url, company, { name: 'Tess Retry', phone, text: 'Any news?' });
    // Two sends the server refused, as the panel keeps them across a reload (the outbox in sessionStorage).
    const outbox = [
      { chatId, text: 'First answer', clientMessageId: '3f0c2a4e-9b1d-4c7a-8e2f-5a6b7c8d9e11', phase: 'failed' },
      { chatId, text: 'Second answer', clientMessageId: '3f0c2a4e-9b1d-4c7a-8e2f-5a6b7c8d9e12', phase: 'failed' },
    ];
    const seed = `sessionStorage.setItem(${JSON.stringify(`chathub:${ID}`)}, ${JSON.stringify(JSON.stringify({ open: chatId, drafts: [], outbox }))});
      window.__asked = 0;
      Object.defineProperty(Notification, 'permission', { get: () => 'default' });
      Notification.requestPermission = () => { window.__asked++; return Promise.resolve('denied'); };`;
    const { page, errors } = await blankPage(browser, srv, { initScripts: [seed] });
    await inject(page, { token: await devToken(srv.url), api: srv.url, open: true });
    await connected(page);
    const $ = (css) => page.locator(`${HOST} ${css}`);
    await $('.msg.out.failed').nth(1).waitFor({ timeout: 15000 });
    const sent = async () => (await outbound(srv.url, company, { phone })).items.map((m) => m.message);
    assert.deepEqual(await sent(), [], 'nothing went before the shortcut');
    // From the thread (not the composer, where only the keys made for writing act).
    await $('.messages').focus();
    await page.keyboard.press('Alt+KeyT');
    assert.deepEqual(await until(sent, (v) => v.length === 2), ['First answer', 'Second answer']);
    await $('.msg.out.failed').first().waitFor({ state: 'detached', timeout: 10000 });
    // Typed in the composer, Alt+T is not taken, and nothing goes again.
    await $('textarea').focus();
    await page.keyboard.press('Alt+KeyT');
    await sleep(GRACE);
    assert.deepEqual(await sent(), ['First answer', 'Second answer'], 'each once');

    // Alt+E is the notifications button: it asks the browser, from the operator's own key press.
    await $('.messages').focus();
    await $('button.notify').waitFor({ state: 'visible', timeout: 5000 });
    await page.keyboard.press('Alt+KeyE');
    assert.equal(await until(() => page.evaluate(() => window.__asked), (n) => n === 1), 1);
    assert.deepEqual(errors, []);
    await page.close();
  } finally { await srv.stop(); }
});

test('on a Mac, Option with a letter in the composer types its character (ñ, ç) instead of moving the queue', T, async () => {
  const srv = await startServer();
  try {
    const company = await companyToken(srv.url);
    for (const [name, phone] of [['Nora Uno', '+380509700081'], ['Olga Dos', '+380509700082']]) {
      await inbound(srv.url, company, { name, phone, text: '¿Hola?' });
    }
    const mac = "Object.defineProperty(Navigator.prototype, 'platform', { get: () => 'MacIntel' });";
    const { page, errors } = await blankPage(browser, srv, { initScripts: [mac] });
    await inject(page, { token: await devToken(srv.url), api: srv.url, open: true });
    await connected(page);
    const $ = (css) => page.locator(`${HOST} ${css}`);
    await $('button.chat').nth(1).waitFor({ timeout: 15000 });
    await $('button.chat').first().click();
    await $('textarea').waitFor({ state: 'visible', timeout: 10000 });
    const open = await openId(page);
    // The keydown macOS sends for Option+N (a dead key, for ñ) and Option+C (ç), on the composer.
    const press = (key, code) => page.evaluate(([host, key, code]) => {
      const t = document.querySelector(host).shadowRoot.querySelector('textarea');
      t.focus();
      const e = new KeyboardEvent('keydown', { key, code, altKey: true, bubbles: true, composed: true, cancelable: true });
      t.dispatchEvent(e);
      return e.defaultPrevented;
    }, [HOST, key, code]);
    assert.equal(await press('Dead', 'KeyN'), false, 'Option+N is left to the text');
    assert.equal(await press('ç', 'KeyC'), false, 'Option+C is left to the text');
    await sleep(GRACE);
    assert.equal(await openId(page), open, 'the queue did not move');
    // Out of the composer, the same keys are the shortcuts.
    await $('.messages').focus();
    await page.keyboard.press('Alt+KeyN');
    assert.notEqual(await until(() => openId(page), (id) => id !== open), open, 'Alt+N from the thread: the next waiting chat');
    assert.deepEqual(errors, []);
    await page.close();
  } finally { await srv.stop(); }
});

test('saved replies from the replies attribute: fetched when first needed; / filters; arrows, Enter, Tab, Escape, click; placeholders filled; axe', T, async () => {
  await repliesScenario('light');
});

test('saved replies against --compat documented: the same flow; names the server does not give stay as placeholders', T, async () => {
  await repliesScenario('documented', ['--compat', 'documented']);
});

test('setReplies in the JS API; a bad URL or bad JSON tells the operator and nothing breaks; pictures in dark and RTL', T, async () => {
  const www = wwwWithReplies();
  const srv = await startServer({ www });
  try {
    const company = await companyToken(srv.url);
    const phone = '+380509700001';
    const { chatId } = await inbound(srv.url, company, { name: 'Bea Broken', phone, text: 'hello?' });
    for (const [what, url] of [['a missing file', '/nope.json'], ['bad JSON', '/broken.json'], ['a data: URL with bad JSON', 'data:application/json,{oops']]) {
      const { page, errors, $ } = await panelPage(browser, srv, { attrs: { replies: url }, record: ['chathub:error'] });
      await openChat($, chatId);
      await $('textarea').focus();
      await page.keyboard.type('/');
      await $('.note[data-shown] .note-text').getByText('The saved replies could not be loaded.').waitFor({ timeout: 10000 });
      const errs = await events(page, 'chathub:error');
      assert.deepEqual(errs.map((e) => e.detail.code), ['replies_failed'], `${what}: the host hears of it`);
      assert.equal((await combo(page)).visible, false);
      // Nothing broke: the message is typed and sent as written.
      await page.keyboard.type(`x is fine (${what})`);
      assert.equal((await combo(page)).visible, false, 'no second notice or list while the same message goes on');
      await page.keyboard.press('Enter');
      await $('.messages .msg .text').getByText(`/x is fine (${what})`, { exact: true }).waitFor({ timeout: 15000 });
      assert.equal((await events(page, 'chathub:error')).length, 1, `${what}: asked once for that message`);
      // The browser's own console line for the 404 is the page telling the integrator; nothing else.
      assert.deepEqual(errors.filter((e) => !/status of 404/.test(e)), [], what);
      await page.close();
    }

    // setReplies: the integrator's list wins over the attribute, which is then never fetched.
    const fetched = [];
    const { page, errors, $ } = await panelPage(browser, srv, { attrs: { replies: '/replies.json' } });
    page.on('request', (r) => { if (r.url().includes('replies.json')) fetched.push(r.url()); });
    await page.evaluate(() => window.ChatHub.get().setReplies([
      { shortcut: 'thanks', title: 'Thanks', text: 'Thanks, {client}! {operator}' },
      { shortcut: 'wait', title: 'One moment', text: 'One moment please.' },
      { shortcut: 'cmd', title: 'Command', text: '/restart is on its way' },
    ]));
    const refused = await page.evaluate(() => window.ChatHub.get().setReplies({ not: 'a list' }).then(() => 'resolved', (e) => `rejected: ${e.message}`));
    assert.match(refused, /^rejected: setReplies: expected a list/);
    const nobody = await page.evaluate(() => window.ChatHub.get('operator-chat-panel-script-none').setReplies([]).then(() => 'resolved', (e) => `rejected: ${e.message}`));
    assert.equal(nobody, 'rejected: setReplies: no panel operator-chat-panel-script-none');
    await openChat($, chatId);
    await $('textarea').focus();
    await page.keyboard.type('/');
    let c = await until(() => combo(page), (v) => v.visible);
    assert.deepEqual(c.options.map((o) => o.title), ['Thanks', 'One moment', 'Command'], 'the bad call changed nothing');
    await page.keyboard.press('Enter');
    c = await until(() => combo(page), (v) => !v.visible);
    assert.equal(c.value, 'Thanks, Bea Broken! Olena');
    // A reply that starts with / is text once inserted: the list does not open on it again.
    await clearComposer(page);
    await page.keyboard.type('/cmd');
    await until(() => combo(page), (v) => v.options.length === 1);
    await page.keyboard.press('Enter');
    await sleep(GRACE);
    c = await combo(page);
    assert.deepEqual([c.value, c.visible], ['/restart is on its way', false]);
    assert.deepEqual(fetched, [], 'the attribute was never fetched');
    assert.deepEqual(errors, []);
    await page.close();

    // Pictures of the open list in dark and right to left.
    for (const [suffix, attrs] of [['dark', { theme: 'dark' }], ['rtl', { lang: 'ar' }]]) {
      const p = await panelPage(browser, srv, { attrs: { ...attrs, replies: '/replies.json' } });
      await openChat(p.$, chatId);
      if (attrs.lang) await p.$('header h2').getByText(locale('ar').title).waitFor({ timeout: 15000 });
      await p.$('textarea').focus();
      await p.page.keyboard.type('/');
      await until(() => combo(p.page), (v) => v.visible);
      await p.page.keyboard.press('ArrowDown');
      if (attrs.lang) assert.equal(await p.$('[role=listbox]').getAttribute('aria-label'), locale('ar')['replies.label']);
      assert.deepEqual(await axeAll(p.page), [], `axe: the list, ${suffix}`);
      await screenshot(p.page, `keys-replies-${suffix}`);
      await p.page.close();
    }
  } finally { await srv.stop(); rmSync(www, { recursive: true, force: true }); }
});

test('documented hub: the sheet and the keyboard actions work the same', T, async () => {
  const srv = await startServer({ args: ['--compat', 'documented'] });
  try {
    const { page, errors, $ } = await panelPage(browser, srv);
    await $('button.chat').nth(1).waitFor({ timeout: 15000 });
    await tabIntoPanel(page);
    await page.keyboard.press('?');
    assert.ok((await until(() => sheetState(page), (v) => v.open)).open);
    await page.keyboard.press('Escape');
    await until(() => sheetState(page), (v) => !v.open);
    await page.keyboard.press('Alt+ArrowDown');
    const first = await until(() => openId(page), (id) => id > 0);
    assert.ok(first > 0, 'Alt+↓ opens a chat');
    await page.keyboard.type('?');
    await sleep(GRACE);
    assert.equal((await sheetState(page)).open, false, 'a ? in the composer is text');
    assert.equal(await $('textarea').inputValue(), '?');
    await clearComposer(page);
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Alt+ArrowDown');
    assert.notEqual(await until(() => openId(page), (id) => id !== first), first, 'and the next one');
    await screenshot(page, 'keys-documented');
    assert.deepEqual(errors, []);
    await page.close();
  } finally { await srv.stop(); }
});
