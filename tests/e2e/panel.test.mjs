// The operator chat panel end to end (issue 4, Tests): a real chathub-server with the demo data, the
// panel on a blank host page in headless Chromium, customers writing through the channel simulator.
// Selectors follow the panel's DOM contract. Assertions wait for conditions; there are no timing
// thresholds (a few short "grace" pauses only give an unwanted event the chance to show up).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, companyToken, inbound, outbound, typing } from './lib/server.mjs';
import {
  HOST, withServer, until, sleep, devToken, operatorToken, allChats, panelPage,
  events, chatButton, openChat, focused, PNG_2X2,
} from './lib/panel.mjs';

const TITLE = 'Blank host page';
const GRACE = 1500; // how long an event that must not happen gets to happen anyway
const T = { timeout: 120000 }; // a hard stop per scenario; each normally finishes well within a minute

/** The launcher badge as a number: 0 when hidden or empty. */
const badge = (page, host = HOST) => page.evaluate((host) => {
  const b = document.querySelector(host)?.shadowRoot?.querySelector('.badge');
  if (!b || b.hidden || getComputedStyle(b).display === 'none' || !b.textContent.trim()) return 0;
  return Number(b.textContent.trim());
}, host);

/** The organization's unread total as the server counts it for this operator. */
const serverUnread = async (url, token) => (await allChats(url, token)).reduce((n, c) => n + c.countUnread, 0);
const titleFor = (n) => (n > 0 ? `(${n}) ${TITLE}` : TITLE);

/** Waits until the badge and the title show `n`; asserts with what they show. */
async function expectUnread(page, n, what) {
  const got = await until(async () => ({ badge: await badge(page), title: await page.title() }),
    (v) => v.badge === n && v.title === titleFor(n), 15000);
  assert.deepEqual(got, { badge: n, title: titleFor(n) }, what);
}

/** The `.unread` count shown on a chat's list button (0 when absent or hidden). */
const listUnread = (page, chatId, host = HOST) => page.evaluate(({ host, chatId }) => {
  const u = document.querySelector(host)?.shadowRoot?.querySelector(`button.chat[data-chat="${chatId}"] .unread`);
  if (!u || u.hidden || getComputedStyle(u).display === 'none' || !u.textContent.trim()) return 0;
  return Number(u.textContent.trim());
}, { host, chatId });

/** Ids of the chats the list shows, in order. */
const listIds = (page, host = HOST) => page.evaluate((host) => [...document.querySelector(host).shadowRoot
  .querySelectorAll('button.chat[data-chat]')].filter((b) => b.offsetParent !== null || b.getClientRects().length)
  .map((b) => Number(b.dataset.chat)), host);

/** A regular expression matching exactly `text` (for Playwright's `hasText`, which normalizes whitespace). */
const exactly = (text) => new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+')}\\s*$`);

/** The bubble of a message by its text (exact `.text` content), as a locator. */
const bubble = ($, text) => {
  const msgs = $('.messages .msg');
  return msgs.filter({ has: msgs.page().locator('.text', { hasText: exactly(text) }) });
};

/** An operator's bubble (settled: stored, not pending or failed) holding a file link with this name. */
const sentFile = ($, name) => {
  const msgs = $('.messages .msg.out:not(.pending):not(.failed)');
  return msgs.filter({ has: msgs.page().locator('a.file', { hasText: exactly(name) }) });
};

/** Bounding boxes of the last element matching each selector, measured in one go (renders replace nodes). */
const boxes = (page, sels, host = HOST) => page.evaluate(({ host, sels }) => sels.map((sel) => {
  const all = document.querySelector(host).shadowRoot.querySelectorAll(sel);
  const r = all[all.length - 1]?.getBoundingClientRect();
  return r && { x: r.x, width: r.width, center: r.x + r.width / 2 };
}), { host, sels });

/** The accessible label of a control: its aria-label, else its text. */
const label = (loc) => loc.evaluate((el) => el.getAttribute('aria-label') || el.textContent.trim());

test('a customer writes: badge, title and chathub:sound while closed; no sound for the open chat in view; none with sound="off"', T, async () => {
  await withServer(async (srv, browser) => {
    const company = await companyToken(srv.url);
    const token = await devToken(srv.url);
    const { page, $, errors } = await panelPage(browser, srv, { token, open: false, record: ['chathub:sound', 'chathub:unread'] });
    await expectUnread(page, await serverUnread(srv.url, token), 'the demo data\'s unread count before anyone writes');

    // Closed panel, a new customer writes: badge and title count it, and the sound plays for that chat.
    const first = await inbound(srv.url, company, { name: 'Nina Sound', phone: '+380501110001', text: 'Hello, anyone there?' });
    const total = await serverUnread(srv.url, token);
    await expectUnread(page, total, 'badge and title after a message to the closed panel');
    const sounds = await until(() => events(page, 'chathub:sound'), (e) => e.length > 0, 10000);
    assert.ok(sounds.length >= 1, 'chathub:sound fired on the script element');
    assert.equal(Number(sounds.at(-1).detail?.chatId), first.chatId, 'chathub:sound names the chat');
    const unreadEvents = await events(page, 'chathub:unread');
    assert.equal(unreadEvents.at(-1)?.detail?.count, total, 'chathub:unread carries the new count');

    // Open panel, that chat open and in view: a new message in it makes no sound.
    await $('button.launcher').click();
    await $('section.panel').waitFor({ state: 'visible' });
    await openChat($, first.chatId);
    const soundsBefore = (await events(page, 'chathub:sound')).length;
    await inbound(srv.url, company, { name: 'Nina Sound', phone: '+380501110001', text: 'Are you reading this?' });
    await bubble($, 'Are you reading this?').waitFor({ timeout: 10000 });
    await sleep(GRACE);
    assert.equal((await events(page, 'chathub:sound')).length, soundsBefore, 'no chathub:sound for a message in the open, visible chat');

    // Control: closed again, the next message sounds again (so the silence above was not a dead listener).
    await $('button.close').click();
    await $('button.launcher').waitFor({ state: 'visible' });
    // A second panel page with sound="off", same operator: it hears the same message and stays silent.
    const off = await panelPage(browser, srv, { token, open: false, attrs: { sound: 'off' }, record: ['chathub:sound'] });
    await expectUnread(off.page, await serverUnread(srv.url, token), 'sound="off" page: unread before');
    const second = await inbound(srv.url, company, { name: 'Oleh Quiet', phone: '+380501110002', text: 'Quiet please' });
    const after = await serverUnread(srv.url, token);
    const again = await until(() => events(page, 'chathub:sound'), (e) => e.some((x) => Number(x.detail?.chatId) === second.chatId), 10000);
    assert.ok(again.some((x) => Number(x.detail?.chatId) === second.chatId), 'closed again: chathub:sound for the next customer message');
    await expectUnread(off.page, after, 'sound="off": badge and title still update');
    await sleep(GRACE);
    assert.deepEqual(await events(off.page, 'chathub:sound'), [], 'sound="off": no chathub:sound');
    assert.deepEqual(errors, []);
    assert.deepEqual(off.errors, []);
  });
});

test('opening a chat marks it read: its .unread, the badge and the title drop, and a second operator sees it cleared live', T, async () => {
  await withServer(async (srv, browser) => {
    const company = await companyToken(srv.url);
    const token = await devToken(srv.url);
    const mark = await operatorToken(srv.url, company, 2); // Mark, the second operator of organization 1
    const a = await panelPage(browser, srv, { token });
    const b = await panelPage(browser, srv, { token: mark });
    const { chatId } = await inbound(srv.url, company, { name: 'Rita Read', phone: '+380501110011', text: 'First question' });
    await inbound(srv.url, company, { name: 'Rita Read', phone: '+380501110011', text: 'Second question' });
    for (const [who, p] of [['operator 1', a.page], ['operator 2', b.page]]) {
      const n = await until(() => listUnread(p, chatId), (v) => v === 2, 15000);
      assert.equal(n, 2, `${who}: .unread shows 2 for the new chat`);
    }
    const before = await serverUnread(srv.url, token);
    await expectUnread(a.page, before, 'operator 1: badge and title before opening');
    const unreadLabel = await a.$(`button.chat[data-chat="${chatId}"] .unread`).getAttribute('aria-label');
    assert.match(unreadLabel ?? '', /2/, '.unread has an aria-label with the count ("{n} unread")');

    await openChat(a.$, chatId);
    await a.$(`button.chat[data-chat="${chatId}"] .unread`).waitFor({ state: 'hidden', timeout: 10000 });
    await expectUnread(a.page, before - 2, 'operator 1: badge and title drop by the chat\'s 2');
    const other = await until(() => listUnread(b.page, chatId), (v) => v === 0, 10000);
    assert.equal(other, 0, 'operator 2: the chat\'s unread count cleared live (MarkRead reaches everyone)');
    const onServer = (await allChats(srv.url, token)).find((c) => c.id === chatId);
    assert.equal(onServer.countUnread, 0, 'the server has the chat read');
    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
  });
});

test('the operator answers: Enter sends (pending, then settled), the customer receives it; Shift+Enter adds a line; the counter near 4096', T, async () => {
  await withServer(async (srv, browser) => {
    const company = await companyToken(srv.url);
    const phone = '+380501110021';
    const { page, $, errors } = await panelPage(browser, srv);
    const { chatId } = await inbound(srv.url, company, { name: 'Carl Composer', phone, text: 'Do you ship to Lviv?' });
    await openChat($, chatId);

    // Watch the thread for the optimistic bubble, however briefly it lives.
    await page.evaluate((host) => {
      const root = document.querySelector(host).shadowRoot;
      const seen = [];
      Object.defineProperty(window, '__pendingSeen', { value: seen, enumerable: false });
      const look = () => root.querySelectorAll('.msg.out.pending').forEach((m) => {
        seen.push({ text: m.querySelector('.text')?.textContent, clientId: m.getAttribute('data-client-id') });
      });
      new MutationObserver(look).observe(root, { subtree: true, childList: true, attributes: true, characterData: true });
    }, HOST);
    const box = $('.composer textarea');
    await box.fill('Yes, we ship to Lviv.');
    await box.press('Enter');
    const settled = bubble($, 'Yes, we ship to Lviv.').and($('.msg.out:not(.pending):not(.failed)'));
    await settled.waitFor({ timeout: 15000 });
    const pending = await page.evaluate(() => window.__pendingSeen);
    assert.ok(pending.some((p) => p.text === 'Yes, we ship to Lviv.'), `the bubble showed as .msg.out.pending first (${JSON.stringify(pending)})`);
    assert.ok(pending.every((p) => p.clientId), 'a pending bubble carries data-client-id');
    const id = Number(await settled.getAttribute('data-id'));
    assert.ok(id > 0, 'the settled bubble has the stored message id');
    assert.equal(await box.inputValue(), '', 'the composer is empty after sending');
    assert.equal(await $('.msg.out.pending').count(), 0, 'no bubble left pending');
    const out1 = await until(() => outbound(srv.url, company, { phone }), (o) => o.items?.some((m) => m.id === id), 10000);
    assert.ok(out1.items.some((m) => m.id === id && m.message === 'Yes, we ship to Lviv.'), 'the customer receives the answer');
    assert.equal(out1.items.filter((m) => m.message === 'Yes, we ship to Lviv.').length, 1, 'exactly once');

    // Shift+Enter adds a line and does not send.
    const outCount = await $('.msg.out').count();
    await box.click();
    await page.keyboard.type('Line one');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('Line two');
    assert.equal(await box.inputValue(), 'Line one\nLine two', 'Shift+Enter inserted a newline');
    await sleep(GRACE);
    assert.equal(await $('.msg.out').count(), outCount, 'Shift+Enter did not send');
    await page.keyboard.press('Enter');
    const two = $('.messages .msg.out:not(.pending)').filter({ hasText: 'Line two' });
    await two.waitFor({ timeout: 15000 });
    assert.equal(await two.locator('.text').evaluate((el) => el.textContent), 'Line one\nLine two', 'the bubble keeps the line break');
    const out2 = await until(() => outbound(srv.url, company, { phone }), (o) => o.items?.some((m) => m.message === 'Line one\nLine two'), 10000);
    assert.ok(out2.items.some((m) => m.message === 'Line one\nLine two'), 'the customer receives both lines in one message');

    // The 4096 limit and its counter.
    await box.fill('x'.repeat(3800));
    await sleep(300);
    assert.equal(await $('.counter').isVisible(), false, '.counter hidden with 296 characters left');
    await box.fill('x'.repeat(3990));
    await $('.counter').waitFor({ state: 'visible', timeout: 5000 });
    assert.match(await $('.counter').textContent(), /\b106\b/, '.counter shows the characters left');
    await box.press('End');
    await page.keyboard.type('y');
    const c2 = await until(() => $('.counter').textContent(), (t) => /\b105\b/.test(t), 5000);
    assert.match(c2, /\b105\b/, '.counter follows typing');
    // Characters, not UTF-16 units: 4096 emoji fit. A key typed past the limit is kept (never cut):
    // the counter goes negative and Send is disabled (tests/e2e/view.test.mjs has the whole story).
    await box.fill('😀'.repeat(4096));
    assert.match(await $('.counter').textContent(), /\b0\b/);
    assert.equal(await $('button.send').isDisabled(), false, '4096 emoji can be sent');
    await box.press('End');
    await page.keyboard.type('z');
    assert.equal(await box.inputValue(), `${'😀'.repeat(4096)}z`, 'nothing is cut');
    assert.match(await $('.counter').textContent(), /^-1\b/);
    assert.equal(await $('button.send').isDisabled(), true, 'over the limit Send is disabled');
    await box.fill('');
    await $('.counter').waitFor({ state: 'hidden', timeout: 5000 });
    assert.deepEqual(errors, []);
  });
});

test('a status change reaches the second operator live; select.filter filters the list', T, async () => {
  await withServer(async (srv, browser) => {
    const company = await companyToken(srv.url);
    const token = await devToken(srv.url);
    const a = await panelPage(browser, srv, { token });
    const b = await panelPage(browser, srv, { token: await operatorToken(srv.url, company, 2) });
    const { chatId } = await inbound(srv.url, company, { name: 'Stan Status', phone: '+380501110031', text: 'Status please' });
    for (const p of [a, b]) await chatButton(p.$, chatId).waitFor({ timeout: 15000 });
    const idsWith = async (status) => (await allChats(srv.url, token, status == null ? {} : { status }))
      .map((c) => c.id).sort((x, y) => x - y);
    const shown = async (p, want) => {
      const got = await until(async () => (await listIds(p.page)).sort((x, y) => x - y), (v) => JSON.stringify(v) === JSON.stringify(want), 10000);
      return got;
    };

    // Operator 2 filters by Waiting (2): the new chat (New) is not there.
    assert.deepEqual(await b.$('select.filter option').evaluateAll((os) => os.map((o) => o.value)), ['', '0', '1', '2', '3', '4']);
    await b.$('select.filter').selectOption('2');
    assert.deepEqual(await shown(b, await idsWith(2)), await idsWith(2), 'operator 2, filter Waiting: exactly the waiting chats');
    assert.ok(!(await listIds(b.page)).includes(chatId));

    // Operator 1 opens it and sets Waiting: it shows up in operator 2's filtered list, live.
    await openChat(a.$, chatId);
    assert.equal(await a.$('select.status').inputValue(), '0', 'select.status shows New');
    assert.deepEqual(await a.$('select.status option').evaluateAll((os) => os.map((o) => o.value)), ['0', '1', '2', '3', '4']);
    await a.$('select.status').selectOption('2');
    const st = await until(async () => (await allChats(srv.url, token)).find((c) => c.id === chatId)?.chatStatus, (s) => s === 2, 10000);
    assert.equal(st, 2, 'the server has the new status');
    const live = await until(() => listIds(b.page), (ids) => ids.includes(chatId), 10000);
    assert.ok(live.includes(chatId), 'operator 2: the chat appears under filter Waiting live');
    assert.deepEqual(await shown(b, await idsWith(2)), await idsWith(2));

    // Operator 2 opens it: select.status says Waiting; operator 1 moves it to On pause: it follows live.
    await b.$('select.filter').selectOption('');
    await openChat(b.$, chatId);
    assert.equal(await b.$('select.status').inputValue(), '2', 'operator 2 sees Waiting');
    await a.$('select.status').selectOption('3');
    const v = await until(() => b.$('select.status').inputValue(), (x) => x === '3', 10000);
    assert.equal(v, '3', 'operator 2: select.status follows the change live');

    // The filter on operator 1's list: each status shows exactly that status's chats; "" shows all.
    for (const s of ['4', '3', '0', '']) {
      await a.$('select.filter').selectOption(s);
      const want = await idsWith(s === '' ? null : Number(s));
      assert.deepEqual(await shown(a, want), want, `filter "${s}"`);
      if (want.length === 0) await a.$('li.empty').waitFor({ state: 'visible', timeout: 5000 });
    }
    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
  });
});

test('input.search goes to the server: a chat beyond the loaded page is found by name and by phone', T, async () => {
  await withServer(async (srv, browser) => {
    const company = await companyToken(srv.url);
    // The target first, then 45 newer chats: the target sorts below them, past the first page.
    await inbound(srv.url, company, { name: 'Zelda Searchable', phone: '+380661234500', text: 'Find me' });
    for (let i = 0; i < 45; i++) {
      await inbound(srv.url, company, { name: `Filler ${String(i).padStart(2, '0')}`, phone: `+38066000${String(i).padStart(4, '0')}`, text: `Filler message ${i}` });
    }
    const { page, $, errors } = await panelPage(browser, srv);
    await $('button.chat').first().waitFor({ timeout: 15000 });
    const searches = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname === '/api/chat/chats' && u.searchParams.get('search')) searches.push(u.searchParams.get('search'));
    });
    const onlyZelda = async () => {
      const names = await until(() => $('button.chat .name').allTextContents(),
        (n) => n.length === 1 && n[0] === 'Zelda Searchable', 15000);
      assert.deepEqual(names, ['Zelda Searchable']);
    };

    const search = async (term) => {
      const req = page.waitForRequest((r) => {
        const u = new URL(r.url());
        return u.pathname === '/api/chat/chats' && u.searchParams.get('search') === term;
      }, { timeout: 15000 }).catch(() => null);
      await $('input.search').fill(term);
      const r = await req;
      assert.ok(r, `searching "${term}" asked the server (/api/chat/chats?search=...; saw ${JSON.stringify(searches)})`);
      await r.response();
    };
    await search('Zelda');
    await onlyZelda();
    await search('661234500');
    await onlyZelda();
    await search('nobody-by-this-name');
    await $('li.empty').waitFor({ state: 'visible', timeout: 15000 });
    assert.equal(await $('button.chat').count(), 0, 'no chat matches');
    assert.equal((await $('li.empty').textContent()).trim(), 'No chats match');
    await $('input.search').fill('');
    const n = await until(() => $('button.chat').count(), (c) => c > 1, 15000);
    assert.ok(n > 1, 'clearing the search shows the list again');
    assert.equal(await $('input.search').getAttribute('type'), 'search');
    assert.ok(await $('input.search').getAttribute('aria-label'), 'input.search has an aria-label');
    assert.deepEqual(errors, []);
  });
});

test('history paging over the 10,000-message chat: older pages load at the top without a jump, the DOM stays bounded', T, async (t) => {
  await withServer(async (srv, browser) => {
    const token = await devToken(srv.url);
    const history = (await allChats(srv.url, token)).find((c) => c.client?.name === 'History Load');
    assert.ok(history, 'the demo data has the History Load chat');
    const { page, $, errors } = await panelPage(browser, srv, { token });
    await openChat($, history.id);
    await bubble($, 'History message 10000').waitFor({ timeout: 15000 });
    // Track the largest number of .msg nodes the thread ever holds.
    await page.evaluate((host) => {
      const root = document.querySelector(host).shadowRoot;
      const max = [root.querySelectorAll('.msg').length];
      Object.defineProperty(window, '__maxMsgs', { value: max, enumerable: false });
      new MutationObserver(() => { max[0] = Math.max(max[0], root.querySelectorAll('.msg').length); })
        .observe(root, { subtree: true, childList: true });
    }, HOST);
    const snap = () => page.evaluate((host) => {
      const log = document.querySelector(host).shadowRoot.querySelector('.messages');
      const msgs = [...log.querySelectorAll('.msg[data-id]')];
      return {
        ids: msgs.map((m) => Number(m.dataset.id)),
        first: msgs[0]?.querySelector('.text')?.textContent,
        scrollable: log.scrollHeight > log.clientHeight,
      };
    }, HOST);
    const s0 = await snap();
    assert.ok(s0.scrollable, '.messages is the scrolling element and overflows');
    assert.equal(s0.ids.at(-1), Math.max(...s0.ids), 'ascending by id');

    let earliest = Math.min(...s0.ids);
    const PAGES = 6;
    for (let i = 0; i < PAGES; i++) {
      // Scroll to the top and note where the first message sits, in the same task (before any handler runs).
      const before = await page.evaluate((host) => {
        const log = document.querySelector(host).shadowRoot.querySelector('.messages');
        log.scrollTop = 0;
        const first = log.querySelector('.msg[data-id]');
        return { anchor: first.dataset.id, top: first.getBoundingClientRect().top - log.getBoundingClientRect().top };
      }, HOST);
      const s = await until(snap, (v) => v.ids.length && Math.min(...v.ids) < earliest, 15000);
      const min = Math.min(...s.ids);
      assert.ok(min < earliest, `page ${i + 1}: older messages loaded (earliest id ${min}, was ${earliest})`);
      // Let the view settle its scroll correction (two frames), then the anchor must be where it was.
      const afterTop = await page.evaluate(async ({ host, anchor }) => {
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        const log = document.querySelector(host).shadowRoot.querySelector('.messages');
        const el = log.querySelector(`.msg[data-id="${anchor}"]`);
        return el ? el.getBoundingClientRect().top - log.getBoundingClientRect().top : null;
      }, { host: HOST, anchor: before.anchor });
      assert.notEqual(afterTop, null, `page ${i + 1}: the anchor message is still in the DOM`);
      assert.ok(Math.abs(afterTop - before.top) <= 2,
        `page ${i + 1}: no jump — message ${before.anchor} was at ${before.top}px, is at ${afterTop}px`);
      // The window is contiguous, ascending, and labelled consistently (ids 1..10000 are messages 1..10000).
      for (let k = 1; k < s.ids.length; k++) assert.equal(s.ids[k], s.ids[k - 1] + 1, `page ${i + 1}: contiguous ids at ${k}`);
      const firstNow = await snap();
      assert.equal(firstNow.first, `History message ${Math.min(...firstNow.ids) - Math.min(...s0.ids) + Number(s0.first.match(/\d+/)[0])}`);
      earliest = min;
      const max = await page.evaluate(() => window.__maxMsgs[0]);
      t.diagnostic(`page ${i + 1}: ids ${min}..${Math.max(...s.ids)} (${s.ids.length} in the DOM, most ever ${max}); message ${before.anchor} at ${before.top.toFixed(1)}px -> ${afterTop.toFixed(1)}px`);
      assert.ok(max <= 200, `page ${i + 1}: at most ~200 .msg nodes in the DOM (max so far ${max})`);
    }
    assert.ok(earliest <= Math.min(...s0.ids) - PAGES, 'earliest ids decreased page after page');

    // Back down: newer pages come back until the live edge (message 10000) is in the DOM again.
    let back = false;
    for (let i = 0; i < 2 * PAGES + 2 && !back; i++) {
      await page.evaluate((host) => {
        const log = document.querySelector(host).shadowRoot.querySelector('.messages');
        log.scrollTop = log.scrollHeight;
      }, HOST);
      back = await until(() => bubble($, 'History message 10000').count(), (c) => c > 0, 3000).then((c) => c > 0);
    }
    assert.ok(back, 'scrolling down returns to the newest message');
    const max = await page.evaluate(() => window.__maxMsgs[0]);
    assert.ok(max <= 200, `at most ~200 .msg nodes in the DOM at any time (max ${max})`);
    assert.deepEqual(errors, []);
  });
});

test('Arabic renders right to left with Arabic labels and a mirrored composer; Korean labels and Hangul messages', T, async () => {
  await withServer(async (srv, browser) => {
    const company = await companyToken(srv.url);
    const hangulName = '김민지';
    const hangul = '안녕하세요! 주문 #491 배송 상태를 알려 주세요.';
    const ko = await inbound(srv.url, company, { name: hangulName, phone: '+821012345678', text: hangul });

    const ar = await panelPage(browser, srv, { attrs: { lang: 'ar' } });
    const host = ar.page.locator(HOST);
    const sendAr = await until(() => label(ar.$('button.send')), (t) => t === 'إرسال', 10000);
    assert.equal(sendAr, 'إرسال', 'the send button is labelled from locales/ar.json');
    assert.equal(await host.getAttribute('dir'), 'rtl', 'host dir=rtl');
    assert.equal(await host.getAttribute('lang'), 'ar', 'host lang=ar');
    assert.equal((await ar.$('header h2').textContent()).trim(), 'المحادثات');
    assert.equal(await ar.$('input.search').getAttribute('aria-label'), 'البحث في المحادثات');
    assert.equal((await ar.$('select.filter option[value=""]').textContent()).trim(), 'كل المحادثات');
    await openChat(ar.$, ko.chatId);
    await inbound(srv.url, company, { name: hangulName, phone: '+821012345678', text: 'رسالة عربية' });
    await bubble(ar.$, 'رسالة عربية').waitFor({ timeout: 10000 });
    await ar.$('.composer textarea').fill('رد المشغل');
    await ar.$('.composer textarea').press('Enter');
    await ar.$('.msg.out:not(.pending)').filter({ hasText: 'رد المشغل' }).waitFor({ timeout: 10000 });
    const [send, area, inB, outB] = await boxes(ar.page, ['button.send', '.composer textarea', '.msg.in', '.msg.out']);
    assert.ok(send.x + send.width <= area.x + 1, `RTL: the send button (x ${send.x}) is left of the textarea (x ${area.x})`);
    assert.ok(outB.center < inB.center, `RTL: operator bubbles sit left of client bubbles (out ${outB.x}, in ${inB.x})`);
    assert.equal(await ar.$('select.status option[value="1"]').textContent(), 'مفتوحة');
    assert.deepEqual(ar.errors, []);

    const k = await panelPage(browser, srv, { attrs: { lang: 'ko' } });
    const sendKo = await until(() => label(k.$('button.send')), (t) => t === '보내기', 10000);
    assert.equal(sendKo, '보내기', 'the send button is labelled from locales/ko.json');
    assert.equal(await k.page.locator(HOST).getAttribute('lang'), 'ko');
    assert.notEqual(await k.page.locator(HOST).getAttribute('dir'), 'rtl');
    assert.equal((await k.$(`button.chat[data-chat="${ko.chatId}"] .name`).textContent()).trim(), hangulName, 'the Hangul client name in the list');
    await openChat(k.$, ko.chatId);
    await bubble(k.$, hangul).waitFor({ timeout: 10000 });
    const width = await k.page.evaluate(({ host, hangul }) => [...document.querySelector(host).shadowRoot
      .querySelectorAll('.msg.in .text')].find((e) => e.textContent === hangul)?.getBoundingClientRect().width, { host: HOST, hangul });
    assert.ok(width > 20, `the Hangul message is laid out with a size (${width})`);
    assert.equal((await k.$('.thread-title').textContent()).trim().includes(hangulName), true, 'the thread title shows the Hangul name');
    const [sendB, areaB, inK, outK] = await boxes(k.page, ['button.send', '.composer textarea', '.msg.in', '.msg.out']);
    assert.ok(sendB.x >= areaB.x + areaB.width - 1, 'LTR: the send button is right of the textarea');
    assert.ok(outK.center > inK.center, 'LTR: operator bubbles sit right of client bubbles');
    assert.deepEqual(k.errors, []);
  });
});

test('keyboard only: Tab to the launcher, open, move through the list, open a chat, send, Escape closes and focus returns', T, async () => {
  await withServer(async (srv, browser) => {
    const { page, $, errors } = await panelPage(browser, srv, { open: false });
    await $('button.launcher').waitFor({ state: 'visible' });
    const kb = page.keyboard;
    let f = await focused(page);
    assert.equal(f?.inShadow, false, `mounting the collapsed panel leaves the page's focus alone (focus is on ${JSON.stringify(f)})`);

    await kb.press('Tab');
    f = await focused(page);
    assert.ok(f?.inShadow && f.cls.includes('launcher'), `Tab reaches the launcher (${JSON.stringify(f)})`);
    await kb.press('Enter');
    await $('section.panel').waitFor({ state: 'visible', timeout: 5000 });
    f = await until(() => focused(page), (v) => v?.inPanel, 5000);
    assert.ok(f?.inPanel, `focus lands inside the panel (${JSON.stringify(f)})`);

    // Tab (bounded) until a chat button has focus.
    for (let i = 0; i < 15 && !(f?.cls.split(' ').includes('chat')); i++) { await kb.press('Tab'); f = await focused(page); }
    assert.ok(f?.cls.split(' ').includes('chat') && f.chat, `Tab reaches the chat list (${JSON.stringify(f)})`);
    const order = (await $('button.chat[data-chat]').evaluateAll((bs) => bs.map((b) => b.dataset.chat)));
    const at = order.indexOf(f.chat);
    await kb.press('ArrowDown');
    f = await focused(page);
    assert.equal(f.chat, order[at + 1], 'ArrowDown moves to the next chat');
    await kb.press('ArrowUp');
    f = await focused(page);
    assert.equal(f.chat, order[at], 'ArrowUp moves back');
    await kb.press('End');
    assert.equal((await focused(page)).chat, order.at(-1), 'End: the last chat');
    await kb.press('Home');
    assert.equal((await focused(page)).chat, order[0], 'Home: the first chat');
    await kb.press('ArrowDown');
    const target = (await focused(page)).chat;
    assert.equal(target, order[1]);
    await kb.press('Enter');
    await $(`button.chat[data-chat="${target}"][aria-current=true]`).waitFor({ state: 'attached', timeout: 10000 });
    await $('.messages .msg').first().waitFor({ state: 'attached', timeout: 10000 });

    for (let i = 0; i < 20 && !(f?.tag === 'textarea'); i++) {
      f = await focused(page);
      if (f?.tag !== 'textarea') await kb.press('Tab');
    }
    f = await focused(page);
    assert.equal(f?.tag, 'textarea', `focus reaches the composer (${JSON.stringify(f)})`);
    await kb.type('Sent with the keyboard');
    await kb.press('Enter');
    await $('.msg.out:not(.pending)').filter({ hasText: 'Sent with the keyboard' }).waitFor({ timeout: 10000 });

    await kb.press('Escape');
    await $('section.panel').waitFor({ state: 'hidden', timeout: 5000 });
    f = await until(() => focused(page), (v) => v?.cls.includes('launcher'), 5000);
    assert.ok(f?.cls.includes('launcher'), `Escape closes and focus returns to the launcher (${JSON.stringify(f)})`);
    assert.equal(await $('button.launcher').getAttribute('aria-expanded'), 'false');
    assert.deepEqual(errors, []);
  });
});

/** Runs axe-core on the panel host (axe walks its open shadow root); returns violations and a shadow check. */
async function axeScan(page) {
  if (!(await page.evaluate(() => !!window.axe))) {
    await page.addScriptTag({ path: join(ROOT, 'node_modules/axe-core/axe.min.js') });
  }
  return page.evaluate(async (host) => {
    const r = await window.axe.run(document.querySelector(host), { resultTypes: ['violations', 'passes'] });
    return {
      violations: r.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })),
      })),
      // Shadow DOM targets are nested arrays: proof the scan went inside the shadow root.
      shadowNodes: r.passes.reduce((n, p) => n + p.nodes.filter((x) => Array.isArray(x.target[0])).length, 0),
    };
  }, HOST);
}

const printViolations = (vs) => vs.map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `    ${JSON.stringify(n.target)}: ${n.summary}`).join('\n')}`).join('\n');

test('axe-core finds no violations: list and thread, light and dark', T, async () => {
  await withServer(async (srv, browser) => {
    const company = await companyToken(srv.url);
    const { chatId } = await inbound(srv.url, company, { name: 'Axel Access', phone: '+380501110041', text: 'Is this accessible?' });
    for (const theme of ['light', 'dark']) {
      const { page, $, errors } = await panelPage(browser, srv, { attrs: { theme } });
      assert.equal(await page.locator(HOST).getAttribute('data-theme'), theme);
      await chatButton($, chatId).waitFor({ timeout: 15000 });
      const list = await axeScan(page);
      assert.ok(list.shadowNodes > 0, 'axe checked nodes inside the shadow root');
      assert.equal(list.violations.length, 0, `${theme}, list: axe violations:\n${printViolations(list.violations)}`);
      await openChat($, chatId);
      const answer = `Yes, it is (${theme}).`;
      await $('.composer textarea').fill(answer);
      await $('.composer textarea').press('Enter');
      await bubble($, answer).and($('.msg.out:not(.pending)')).waitFor({ timeout: 10000 });
      const thread = await axeScan(page);
      assert.equal(thread.violations.length, 0, `${theme}, chat open: axe violations:\n${printViolations(thread.violations)}`);
      assert.deepEqual(errors, []);
      await page.close();
    }
  });
});

test('hostile names, messages and file names render as literal text; nothing executes or becomes markup', T, async () => {
  await withServer(async (srv, browser) => {
    const company = await companyToken(srv.url);
    const phone = '+380501110666';
    const name = '<img src=x onerror=window.__pwned=1>';
    const t1 = '</style><script>window.__pwned=2</script>';
    const t2 = 'RLO \u202Egnp.exe\u202C and a zero\u200Bwidth <b>bold?</b> &amp;';
    const long = 'W'.repeat(4096); // the server's maximum message length (a 5,000-character message is refused with 400)
    const imgName = '"><img src=x onerror=window.__pwned=3>.png';
    const fileName = '<svg onload=window.__pwned=4>\u202Etxt.exe';
    const attachName = '<img src=x onerror=window.__pwned=5>.txt';

    // Before the panel loads (the REST path) ...
    const first = await inbound(srv.url, company, { name, phone, text: t1 });
    const { page, $, errors } = await panelPage(browser, srv);
    await chatButton($, first.chatId).waitFor({ timeout: 15000 });
    const styles0 = await page.evaluate((host) => document.querySelector(host).shadowRoot.querySelectorAll('style').length, HOST);
    await openChat($, first.chatId);
    // ... and live, while the chat is open.
    const m2 = await inbound(srv.url, company, { name, phone, text: t2 });
    const m3 = await inbound(srv.url, company, { name, phone, text: long });
    const png = PNG_2X2.toString('base64');
    const m4 = await fetch(`${srv.url}/api/channel/inbound`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${company}` },
      body: JSON.stringify({ organizationId: 1, client: { name, phone }, media: { name: imgName, format: 'image/png', dataBase64: png, type: 1 } }),
    }).then(async (r) => { assert.equal(r.status, 200, await r.clone().text()); return r.json(); });
    const m5 = await fetch(`${srv.url}/api/channel/inbound`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${company}` },
      body: JSON.stringify({ organizationId: 1, client: { name, phone }, media: { name: fileName, format: 'text/html', dataBase64: Buffer.from('<b>hi</b>').toString('base64'), type: 0 } }),
    }).then(async (r) => { assert.equal(r.status, 200, await r.clone().text()); return r.json(); });
    // The operator attaches a file with a hostile name.
    await $('.composer input[type=file]').setInputFiles({ name: attachName, mimeType: 'text/plain', buffer: Buffer.from('plain') });
    await $('.attachment .name').getByText(attachName, { exact: true }).waitFor({ timeout: 15000 });
    await $('.composer button.send').click();

    const msg = (id) => $(`.msg[data-id="${id}"]`);
    for (const id of [first.message.id, m2.message.id, m3.message.id, m4.message.id, m5.message.id]) {
      await msg(id).waitFor({ state: 'attached', timeout: 15000 });
    }
    const attached = $('.msg.out:not(.pending) a.file').filter({ hasText: attachName });
    await attached.waitFor({ state: 'attached', timeout: 15000 });

    assert.equal(await msg(first.message.id).locator('.text').evaluate((e) => e.textContent), t1);
    assert.equal(await msg(m2.message.id).locator('.text').evaluate((e) => e.textContent), t2);
    assert.equal(await msg(m3.message.id).locator('.text').evaluate((e) => e.textContent), long);
    assert.equal(await $(`button.chat[data-chat="${first.chatId}"] .name`).evaluate((e) => e.textContent), name, 'the name is literal text in the list');
    assert.ok((await $('.thread-title').evaluate((e) => e.textContent)).includes(name), 'and in the thread title');
    assert.equal(await msg(m4.message.id).locator('a.file').evaluate((e) => e.textContent.trim()), imgName, 'image file name as link text');
    assert.equal(await msg(m4.message.id).locator('img.preview').getAttribute('alt'), imgName, 'image file name as alt');
    assert.equal(await msg(m5.message.id).locator('a.file').evaluate((e) => e.textContent.trim()), fileName, 'file name as link text');
    assert.equal(await msg(m5.message.id).locator('img').count(), 0, 'no preview for a non-image');
    const src = await until(() => msg(m4.message.id).locator('img.preview').getAttribute('src'), (s) => s?.startsWith('blob:'), 10000);
    assert.ok(src?.startsWith('blob:'), `the hostile-named image still previews from a blob: URL (${src})`);

    const dom = await page.evaluate((host) => {
      const root = document.querySelector(host).shadowRoot;
      const all = [...root.querySelectorAll('*')];
      return {
        scripts: root.querySelectorAll('script').length,
        styles: root.querySelectorAll('style').length,
        imgs: [...root.querySelectorAll('img')].filter((i) => !i.matches('img.preview, img.thumb')).length,
        svgs: root.querySelectorAll('svg b, b, svg[onload]').length,
        onAttrs: all.flatMap((e) => [...e.attributes].filter((a) => a.name.startsWith('on')).map((a) => `${e.tagName}[${a.name}]`)),
        hrefs: [...root.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')).filter((h) => !/^(blob:|mailto:|https?:)/.test(h)),
        lightImgs: document.querySelectorAll('img, script:not([id^="operator-chat-panel-script"])').length,
        pwned: window.__pwned,
        overflow: (() => { const l = root.querySelector('.messages'); return l.scrollWidth - l.clientWidth; })(),
      };
    }, HOST);
    assert.equal(dom.pwned, undefined, 'window.__pwned stays undefined');
    assert.equal(dom.scripts, 0, 'no script element in the shadow root');
    assert.equal(dom.styles, styles0, 'no extra style element');
    assert.equal(dom.imgs, 0, 'no img other than img.preview');
    assert.equal(dom.svgs, 0, 'no markup from the texts (<b>, <svg>)');
    assert.deepEqual(dom.onAttrs, [], 'no on* attributes');
    assert.deepEqual(dom.hrefs, [], 'no link to anything but blob:, mailto: or http(s):');
    assert.equal(dom.lightImgs, 0, 'nothing leaked into the host page');
    assert.ok(dom.overflow <= 1, `the 4096-character word wraps inside the thread (horizontal overflow ${dom.overflow}px)`);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    assert.deepEqual(errors, []);
  });
});

test('attach: an image goes out as a media message with a blob: preview and the file name; the customer gets it', T, async () => {
  await withServer(async (srv, browser) => {
    const company = await companyToken(srv.url);
    const phone = '+380501110051';
    const { chatId } = await inbound(srv.url, company, { name: 'Paula Picture', phone, text: 'Send me a photo' });
    const { page, $, errors } = await panelPage(browser, srv);
    await openChat($, chatId);
    assert.ok(await $('button.attach').getAttribute('aria-label'), 'button.attach has an aria-label');
    await $('.composer input[type=file]').setInputFiles({ name: 'pixel.png', mimeType: 'image/png', buffer: PNG_2X2 });
    await $('.attachment').waitFor({ timeout: 15000 });
    await $('.composer button.send').click();
    const m = sentFile($, 'pixel.png');
    await m.waitFor({ timeout: 15000 });
    const img = m.locator('img.preview');
    assert.equal(await img.getAttribute('alt'), 'pixel.png');
    const src = await until(() => img.getAttribute('src'), (s) => s?.startsWith('blob:'), 10000);
    assert.ok(src?.startsWith('blob:'), `img.preview src becomes a blob: URL (${src})`);
    const loaded = await until(() => img.evaluate((i) => i.complete && i.naturalWidth), (w) => w === 2, 10000);
    assert.equal(loaded, 2, 'the preview decodes (a 2x2 PNG)');
    const link = m.locator('a.file');
    assert.equal((await link.textContent()).trim(), 'pixel.png');
    const href = await until(() => link.getAttribute('href'), (h) => h?.startsWith('blob:'), 10000);
    assert.ok(href?.startsWith('blob:'), 'a.file links the blob');
    assert.ok(await link.getAttribute('download') !== null, 'a.file has a download attribute');

    const out = await until(() => outbound(srv.url, company, { phone }), (o) => o.items?.some((x) => x.media), 10000);
    const media = out.items.find((x) => x.media)?.media;
    assert.ok(media, 'the customer\'s outbound API sees a media message');
    assert.equal(media.name, 'pixel.png');
    assert.equal(media.format, 'image/png');
    assert.equal(media.size, PNG_2X2.length);

    // A non-image file: a link, no preview.
    await $('.composer input[type=file]').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('some notes') });
    await $('.attachment .name').getByText('notes.txt', { exact: true }).waitFor({ timeout: 15000 });
    await $('.composer textarea').press('Enter');
    const f = sentFile($, 'notes.txt');
    await f.waitFor({ timeout: 15000 });
    assert.equal(await f.locator('img').count(), 0, 'no preview for a text file');
    const out2 = await until(() => outbound(srv.url, company, { phone }), (o) => o.items?.some((x) => x.media?.name === 'notes.txt'), 10000);
    assert.ok(out2.items.some((x) => x.media?.name === 'notes.txt' && x.media.format === 'text/plain'));
    assert.deepEqual(errors, []);
  });
});

test('typing from the customer\'s side shows .typing in the open thread and hides by itself', T, async () => {
  await withServer(async (srv, browser) => {
    const company = await companyToken(srv.url);
    const phone = '+380501110061';
    const { chatId } = await inbound(srv.url, company, { name: 'Tina Typing', phone, text: 'Wait, one more thing' });
    await inbound(srv.url, company, { name: 'Omar Other', phone: '+380501110062', text: 'Me too' });
    const { $, errors } = await panelPage(browser, srv);
    await openChat($, chatId);
    const tl = $('.typing');
    await tl.waitFor({ state: 'attached', timeout: 10000 });
    assert.equal(await tl.isVisible(), false, '.typing hidden at first');
    assert.equal(await tl.getAttribute('aria-live'), 'polite');

    // The customer types (the channel's typing route emits Typing to the operators).
    await typing(srv.url, company, { phone });
    await tl.waitFor({ state: 'visible', timeout: 10000 });
    const text = (await tl.textContent()).trim();
    assert.match(text, /Tina Typing/, `.typing names who types (${text})`);
    assert.match(text, /typing/);
    await tl.waitFor({ state: 'hidden', timeout: 15000 });

    // Typing in another chat does not show in this one.
    await typing(srv.url, company, { phone: '+380501110062' });
    await sleep(GRACE);
    assert.equal(await tl.isVisible(), false, 'typing in another chat is not shown');
    assert.deepEqual(errors, []);
  });
});
