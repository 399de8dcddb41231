// The panel's own controls (issue "Every message to the right customer, exactly once"): a failed send's
// Retry is a visible, named button and sends once; every button has an accessible name; the paperclip
// never throws into the host page; a file over the limit says so on the notice line; a draft over
// 4096 characters is kept whole and cannot be sent. Every page error fails a test (lib/browser.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { companyToken, inbound, outbound } from './lib/server.mjs';
import { screenshot, takePageErrors, inPanel } from './lib/browser.mjs';
import {
  HOST, ID, withServer, until, sleep, devToken, panelPage, blankPage, inject, connected, events, openChat,
} from './lib/panel.mjs';

const T = { timeout: 120000 };
const GRACE = 1500; // how long an event that must not happen gets to happen anyway
const axeSource = createRequire(import.meta.url)('axe-core').source;

async function injectAxe(page) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
}

/** Every rendered button in the panel with its accessible name, as axe-core computes it (accname). */
async function buttonNames(page, host = HOST) {
  await injectAxe(page);
  return page.evaluate((host) => {
    const el = document.querySelector(host);
    window.axe.setup(el);
    try {
      return [...el.shadowRoot.querySelectorAll('button')]
        .filter((b) => b.getClientRects().length > 0)
        .map((b) => ({
          cls: b.className,
          name: window.axe.commons.text.accessibleText(b).trim(),
          width: b.getBoundingClientRect().width,
        }));
    } finally { window.axe.teardown(); }
  }, host);
}

async function expectNamedButtons(page, state) {
  const buttons = await buttonNames(page);
  assert.ok(buttons.length > 0, `${state}: the panel shows buttons`);
  const unnamed = buttons.filter((b) => !b.name);
  assert.deepEqual(unnamed, [], `${state}: every button has an accessible name (${JSON.stringify(buttons)})`);
  return buttons;
}

/** axe-core over the panel host (it walks the open shadow root); the serious and critical violations. */
async function axeSerious(page, host = HOST) {
  await injectAxe(page);
  const r = await page.evaluate((host) => window.axe.run(document.querySelector(host)), host);
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `    ${JSON.stringify(n.target)}: ${n.failureSummary}`).join('\n')}`);
}

const customerTexts = async (url, company, phone) => (await outbound(url, company, { phone })).items.map((m) => m.message);

test('a failed send shows a visible, named Retry; every button is named (list, thread, failed); axe passes; Retry sends once', T, async () => {
  await withServer(async (srv, browser) => {
    const company = await companyToken(srv.url);
    const phone = '+380501120001';
    const { chatId } = await inbound(srv.url, company, { name: 'Rhea Retry', phone, text: 'Did you get my order?' });
    const text = 'Your order ships tomorrow.';
    const clientMessageId = '3f0c2a4e-9b1d-4c7a-8e2f-5a6b7c8d9e01';

    // States without a failed message: the list, then an open thread.
    const plain = await panelPage(browser, srv);
    await plain.$(`button.chat[data-chat="${chatId}"]`).waitFor({ timeout: 15000 });
    await expectNamedButtons(plain.page, 'chat list');
    await openChat(plain.$, chatId);
    await expectNamedButtons(plain.page, 'open thread');
    await plain.page.close();

    // A send the server refused, as the panel keeps it across a reload: the outbox in sessionStorage.
    const saved = { open: chatId, drafts: [], outbox: [{ chatId, text, clientMessageId, phase: 'failed' }] };
    const seed = `sessionStorage.setItem(${JSON.stringify(`chathub:${ID}`)}, ${JSON.stringify(JSON.stringify(saved))})`;
    const { page } = await blankPage(browser, srv, { initScripts: [seed] });
    await inject(page, { token: await devToken(srv.url), api: srv.url, open: true });
    await connected(page);
    const $ = (css) => inPanel(page, css);
    const failed = $(`.msg.out.failed[data-client-id="${clientMessageId}"]`);
    await failed.waitFor({ timeout: 15000 });
    const retry = failed.locator('button.retry');
    await retry.waitFor({ state: 'visible', timeout: 5000 });
    assert.equal((await retry.textContent()).trim(), 'Retry', 'Retry shows its label');
    assert.equal(await retry.locator('svg').count(), 0, 'no icon made of the label');
    const box = await retry.boundingBox();
    assert.ok(box && box.width > 20 && box.height > 10, `Retry takes visible room (${JSON.stringify(box)})`);
    const buttons = await expectNamedButtons(page, 'thread with a failed message');
    assert.ok(buttons.some((b) => b.cls === 'retry' && b.name === 'Retry'), 'Retry is named "Retry"');
    const serious = await axeSerious(page);
    assert.deepEqual(serious, [], `axe: serious or critical violations with a failed message:\n${serious.join('\n')}`);
    await screenshot(page, 'view-failed-retry');
    assert.deepEqual(await customerTexts(srv.url, company, phone), [], 'nothing reached the customer before Retry');

    // Retry (a double click: the second lands after the first redraw) sends it, once.
    await retry.dblclick();
    const settled = $('.msg.out:not(.pending):not(.failed)').filter({ hasText: text });
    await settled.waitFor({ timeout: 15000 });
    assert.equal(await $('.msg.out.failed').count(), 0, 'no failed bubble left');
    const got = await until(() => customerTexts(srv.url, company, phone), (t) => t.includes(text), 10000);
    assert.deepEqual(got.filter((t) => t === text), [text], 'the customer receives it');
    await sleep(GRACE);
    assert.deepEqual((await customerTexts(srv.url, company, phone)).filter((t) => t === text), [text], 'exactly once');
    assert.equal(await $('.msg.out').filter({ hasText: text }).count(), 1, 'one bubble in the thread');
  });
});

test('clicking the paperclip opens the file chooser without an error in the host page, every time', T, async () => {
  await withServer(async (srv, browser) => {
    const company = await companyToken(srv.url);
    const phone = '+380501120002';
    const { chatId } = await inbound(srv.url, company, { name: 'Piet Paperclip', phone, text: 'Can I send a file?' });
    const { page, $ } = await panelPage(browser, srv);
    await openChat($, chatId);
    for (let i = 0; i < 3; i++) {
      const chooser = page.waitForEvent('filechooser', { timeout: 10000 });
      await $('button.attach').click();
      const fc = await chooser;
      assert.equal(fc.isMultiple(), false);
      if (i === 2) await fc.setFiles({ name: 'clip.txt', mimeType: 'text/plain', buffer: Buffer.from('clipped') });
    }
    await $('.attachment .name').getByText('clip.txt', { exact: true }).waitFor({ timeout: 15000 });
    await $('.composer button.send').click();
    await $('.msg.out:not(.pending) a.file').filter({ hasText: 'clip.txt' }).waitFor({ timeout: 15000 });
    // Checked here too, not only by the suite's afterEach: this is the test of that defect.
    assert.deepEqual(takePageErrors(), [], 'no uncaught error in the host page');
  });
});

test('a file over 5 MB: the notice line names the limit and the size, the host gets chathub:error; dismiss clears it', T, async () => {
  await withServer(async (srv, browser) => {
    const company = await companyToken(srv.url);
    const phone = '+380501120003';
    const { chatId } = await inbound(srv.url, company, { name: 'Bea Bigfile', phone, text: 'Here is the contract' });
    const { page, $ } = await panelPage(browser, srv, { record: ['chathub:error'] });
    await openChat($, chatId);
    const note = $('.note .note-text');
    assert.equal(await note.getAttribute('role'), 'status');
    assert.equal(await note.getAttribute('aria-live'), 'polite');
    assert.equal((await note.textContent()).trim(), '', 'empty at first');
    assert.equal(await $('.note button.dismiss').isVisible(), false);

    const size = Math.ceil(7.2 * 1024 * 1024) - 1000; // 7.2 MB once rounded up to a tenth
    await $('.composer input[type=file]').setInputFiles({ name: 'contract.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(size, 1) });
    const shown = await until(() => note.textContent(), (t) => t.trim() !== '', 15000);
    assert.equal(shown.trim(), 'Files up to 5 MB can be sent; "contract.pdf" is 7.2 MB');
    const errs = await until(() => events(page, 'chathub:error'), (e) => e.length > 0, 10000);
    assert.deepEqual(errs.map((e) => e.detail.code), ['file_too_big'], 'the host also hears chathub:error');
    assert.equal(await $('.msg.out').filter({ hasText: 'contract.pdf' }).count(), 0, 'nothing was sent');
    assert.ok(await $('.attachment').isHidden(), 'nor left waiting in the composer');
    const serious = await axeSerious(page);
    assert.deepEqual(serious, [], `axe with the notice shown:\n${serious.join('\n')}`);
    await screenshot(page, 'view-notice-file-too-big');

    const dismiss = $('.note button.dismiss');
    assert.equal(await dismiss.getAttribute('aria-label'), 'Dismiss notice');
    await dismiss.click();
    await dismiss.waitFor({ state: 'hidden', timeout: 5000 });
    assert.equal((await note.textContent()).trim(), '', 'dismissed');
    assert.deepEqual(await customerTexts(srv.url, company, phone), [], 'the customer got nothing');
  });
});

test('a 4,200-character paste is kept whole: the counter reads -104 as an error, Send is disabled, Enter sends nothing until it fits', T, async () => {
  await withServer(async (srv, browser) => {
    const company = await companyToken(srv.url);
    const phone = '+380501120004';
    const { chatId } = await inbound(srv.url, company, { name: 'Lena Long', phone, text: 'Tell me everything' });
    const { page, $ } = await panelPage(browser, srv);
    await openChat($, chatId);
    const box = $('.composer textarea');
    const send = $('.composer button.send');
    const counter = $('.composer .counter');
    const long = 'word '.repeat(840); // 4,200 characters
    await box.focus();
    await page.keyboard.insertText(long); // as a paste inserts it: one input event
    assert.equal((await box.inputValue()).length, 4200, 'nothing is cut');
    await counter.waitFor({ state: 'visible', timeout: 5000 });
    assert.match(await counter.textContent(), /^-104\b/, 'the counter goes negative');
    assert.notEqual(await counter.getAttribute('data-over'), null, 'the counter is marked as an error');
    assert.equal(await box.getAttribute('aria-invalid'), 'true');
    assert.equal(await send.isDisabled(), true, 'Send is disabled');
    const weight = await counter.evaluate((el) => getComputedStyle(el).fontWeight);
    assert.ok(Number(weight) >= 600, 'the error reads bold');
    await screenshot(page, 'view-composer-over-limit');
    await box.press('Enter');
    await sleep(GRACE);
    assert.equal((await box.inputValue()).length, 4200, 'Enter did nothing');
    assert.equal(await $('.msg.out.pending, .msg.out.failed').count(), 0, 'no send started');
    assert.deepEqual(await customerTexts(srv.url, company, phone), []);

    // Shortened to fit, it sends as typed.
    const fits = long.slice(0, 4096);
    await box.fill(fits);
    assert.match(await counter.textContent(), /^0\b/);
    assert.equal(await counter.getAttribute('data-over'), null);
    assert.equal(await box.getAttribute('aria-invalid'), null);
    assert.equal(await send.isDisabled(), false);
    await box.press('Enter');
    const got = await until(() => customerTexts(srv.url, company, phone), (t) => t.length > 0, 15000);
    assert.deepEqual(got, [fits], 'the customer receives the 4096 characters, once');
  });
});
