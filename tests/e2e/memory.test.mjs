// What a long shift must not pile up: the object URLs of media previews. A URL made for a message's bytes
// is revoked once the message leaves the drawn window of its thread, or its chat is left. Counts, not
// times (the figures are in BENCHMARKS.md, from tests/bench/panel.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, companyToken, inbound } from './lib/server.mjs';
import { launch } from './lib/browser.mjs';
import { blankPage, inject, connected, devToken, HOST, openChat, until, PNG_2X2 } from './lib/panel.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Counts the page's object URLs: made, revoked, and live (made and not yet revoked). */
const BLOB_COUNTER = `(() => {
  const live = new Set();
  const c = { made: 0, revoked: 0, get live() { return live.size; } };
  Object.defineProperty(window, '__blobs', { value: c });
  const make = URL.createObjectURL, revoke = URL.revokeObjectURL;
  URL.createObjectURL = function (o) { const u = make.call(URL, o); c.made++; live.add(u); return u; };
  URL.revokeObjectURL = function (u) { if (live.delete(u)) c.revoked++; return revoke.call(URL, u); };
})();`;

const blobs = (page) => page.evaluate(() => ({ made: window.__blobs.made, revoked: window.__blobs.revoked, live: window.__blobs.live }));

async function image(url, company, phone, name) {
  const r = await fetch(`${url}/api/channel/inbound`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${company}` },
    body: JSON.stringify({ organizationId: 1, client: { name: 'Pics', phone }, media: { name, format: 'image/png', dataBase64: PNG_2X2.toString('base64'), type: 1 } }),
  });
  assert.equal(r.status, 200, await r.clone().text());
  return r.json();
}

test('media object URLs are revoked when their messages leave the thread window, and when the chat is left', { timeout: 180000 }, async () => {
  const srv = await startServer({ args: ['--rate-limit', '100000'] });
  try {
    const company = await companyToken(srv.url);
    const a = '+380501110001';
    const b = '+380501110002';
    const chatA = (await inbound(srv.url, company, { name: 'Pics', phone: a, text: 'pictures follow' })).chatId;
    const chatB = (await inbound(srv.url, company, { name: 'Other', phone: b, text: 'one more' })).chatId;
    const { page } = await blankPage(browser, srv, { initScripts: [BLOB_COUNTER] });
    await inject(page, { token: await devToken(srv.url), api: srv.url });
    await connected(page);
    const $ = (css) => page.locator(`${HOST} ${css}`);
    await openChat($, chatA);

    for (let i = 0; i < 3; i++) await image(srv.url, company, a, `p${i}.png`);
    const previews = $('.messages img.preview[src^="blob:"]');
    await until(() => previews.count(), (n) => n === 3);
    assert.equal(await previews.count(), 3, 'each picture shows from an object URL');
    assert.deepEqual(await blobs(page), { made: 3, revoked: 0, live: 3 });

    // 150 texts (the window's size) push the pictures out of the drawn window.
    for (let i = 0; i < 150; i++) await inbound(srv.url, company, { name: 'Pics', phone: a, text: `text ${i}` });
    await $('.messages .msg .text').getByText('text 149', { exact: true }).waitFor({ state: 'attached' });
    await until(() => previews.count(), (n) => n === 0);
    assert.equal(await $('.messages img.preview').count(), 0, 'the pictures are out of the window');
    assert.deepEqual(await blobs(page), { made: 3, revoked: 3, live: 0 }, 'and their URLs are revoked');

    // A picture in another chat: opened, then left.
    await image(srv.url, company, b, 'b.png');
    await openChat($, chatB);
    await until(() => previews.count(), (n) => n === 1);
    assert.equal((await blobs(page)).live, 1);
    await openChat($, chatA);
    assert.deepEqual(await blobs(page), { made: 4, revoked: 4, live: 0 }, 'leaving the chat revokes its URL');

    // Coming back asks for the bytes again and shows them.
    await openChat($, chatB);
    await until(() => previews.count(), (n) => n === 1);
    assert.equal(await previews.count(), 1, 'the picture shows again');
    assert.equal((await blobs(page)).live, 1);
    await page.close();
  } finally { await srv.stop(); }
});

test('a live message redraws its own chat row only: the other rows are not moved, and the focused row keeps focus', { timeout: 180000 }, async () => {
  const srv = await startServer({ args: ['--rate-limit', '100000'] });
  try {
    const company = await companyToken(srv.url);
    const phones = Array.from({ length: 12 }, (_, i) => `+3805011200${String(i).padStart(2, '0')}`);
    const ids = [];
    for (const [i, phone] of phones.entries()) ids.push(String((await inbound(srv.url, company, { name: `Row ${i}`, phone, text: 'hello' })).chatId));
    const { page, errors } = await blankPage(browser, srv);
    await inject(page, { token: await devToken(srv.url), api: srv.url, open: true });
    await connected(page);
    const $ = (css) => page.locator(`${HOST} ${css}`);
    await $('button.chat').nth(11).waitFor({ timeout: 15000 });
    // The operator clicks the newest chat (the top row) and reads; messages come into the oldest.
    const top = await $('button.chat').first().getAttribute('data-chat');
    await $('button.chat').first().click();
    await $(`button.chat[data-chat="${top}"][aria-current=true]`).waitFor({ state: 'attached', timeout: 10000 });
    // Rows added to the list per draw, and focus calls, from here on.
    await page.evaluate((host) => {
      const list = document.querySelector(host).shadowRoot.querySelector('.chats');
      window.__added = 0;
      new MutationObserver((records) => { for (const r of records) window.__added += r.addedNodes.length; })
        .observe(list, { childList: true });
      window.__focus = 0;
      const focus = HTMLElement.prototype.focus;
      HTMLElement.prototype.focus = function (...a) { window.__focus++; return focus.apply(this, a); };
    }, HOST);
    const rows = () => page.evaluate((host) => [...document.querySelector(host).shadowRoot.querySelectorAll('button.chat')].map((b) => b.dataset.chat), HOST);
    const before = await rows();
    for (let i = 0; i < 5; i++) {
      await inbound(srv.url, company, { name: 'Row 0', phone: phones[0], text: `news ${i}` });
      await $('button.chat').first().filter({ hasText: `news ${i}` }).waitFor({ timeout: 10000 });
    }
    const after = await rows();
    assert.equal(after[0], ids[0], 'the chat with the news is on top');
    assert.deepEqual(after.slice(1), before.filter((id) => id !== ids[0]), 'the others kept their order');
    const counts = await page.evaluate(() => ({ added: window.__added, focus: window.__focus }));
    assert.equal(counts.added, 5, `one row added per message, no other row moved: ${JSON.stringify(counts)}`);
    assert.equal(counts.focus, 0, 'focus was never taken and given back');
    const focused = await page.evaluate(() => { let e = document.activeElement; while (e?.shadowRoot?.activeElement) e = e.shadowRoot.activeElement; return e?.dataset?.chat; });
    assert.equal(focused, top, 'focus stays on the row the operator clicked');
    assert.deepEqual(errors, []);
    await page.close();
  } finally { await srv.stop(); }
});
