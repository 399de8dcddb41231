// The composer's attachments (issue 14, item 4): an image pasted from the clipboard, a file dropped onto
// the thread (with a drop target while dragging), or one picked with the paperclip waits in a preview
// (name, size, a thumbnail for images, a remove button) and goes with Send, after the text. It belongs to
// its chat like the draft: switching chats never sends it to another customer. The thumbnail's object
// URL is revoked when the file is removed, sent or its chat left. The paste and the drop are synthesized
// in the page (a ClipboardEvent / DragEvent holding a DataTransfer with a File), as a browser makes them.
// axe-core checks the preview and the drop target; the core flow also runs against `--compat documented`.
// Screenshots (light, dark, RTL) of the preview, the drop target, the "New messages" divider and the
// "↓ N new" button go to test-output/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { companyToken, inbound, outbound } from './lib/server.mjs';
import { screenshot } from './lib/browser.mjs';
import { withServer, until, panelPage, openChat, focused, sleep, HOST } from './lib/panel.mjs';

const T = { timeout: 240000 };
const GRACE = 1500; // how long a message that must not be sent gets to arrive anyway
const axeSource = createRequire(import.meta.url)('axe-core').source;

async function axeSerious(page) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
  const r = await page.evaluate((host) => window.axe.run(document.querySelector(host)), HOST);
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} ${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')}`);
}

// Runs in the page: a File from a canvas drawing (an image) or from text, kept on window.__files[name].
const MAKE_FILE = async ({ name, type, text }) => {
  window.__files ??= {};
  let blob;
  if (type.startsWith('image/')) {
    const c = document.createElement('canvas');
    c.width = 160; c.height = 100;
    const g = c.getContext('2d');
    const grad = g.createLinearGradient(0, 0, 160, 100);
    grad.addColorStop(0, '#0b57d0'); grad.addColorStop(1, '#f9ab00');
    g.fillStyle = grad; g.fillRect(0, 0, 160, 100);
    g.fillStyle = '#fff'; g.beginPath(); g.arc(50, 45, 22, 0, 7); g.fill();
    blob = await new Promise((r) => c.toBlob(r, type));
  } else {
    blob = new Blob([text], { type });
  }
  window.__files[name] = new File([blob], name, { type });
  return window.__files[name].size;
};

/** Pastes a file into the composer as the clipboard would; whether the panel took the default. */
const paste = (page, name) => page.evaluate(({ host, name }) => {
  const box = document.querySelector(host).shadowRoot.querySelector('.composer textarea');
  const dt = new DataTransfer();
  dt.items.add(window.__files[name]);
  const e = new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true, composed: true });
  box.dispatchEvent(e);
  return e.defaultPrevented;
}, { host: HOST, name });

/** A drag event with files over the thread's messages; whether the panel accepted it (preventDefault). */
const drag = (page, type, name) => page.evaluate(({ host, type, name }) => {
  const target = document.querySelector(host).shadowRoot.querySelector('.messages');
  const dt = new DataTransfer();
  if (name) dt.items.add(window.__files[name]);
  const e = new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true, composed: true });
  target.dispatchEvent(e);
  return e.defaultPrevented;
}, { host: HOST, type, name });

/** Records the object URLs the page revokes (fetching a revoked one would log a console error). */
const watchRevokes = (page) => page.evaluate(() => {
  const revoke = URL.revokeObjectURL.bind(URL);
  window.__revoked = [];
  URL.revokeObjectURL = (u) => { window.__revoked.push(u); revoke(u); };
});
/** Whether a blob: URL is still live: made by the panel and not revoked. */
const alive = (page, url) => page.evaluate((u) => !window.__revoked.includes(u), url);

const thumbSrc = ($) => $('.attachment img.thumb').getAttribute('src');

/** The operator replies that reached a customer: texts and file names. */
async function received(url, company, phone) {
  const items = (await outbound(url, company, { phone })).items;
  return { texts: items.filter((m) => m.message).map((m) => m.message), files: items.filter((m) => m.media).map((m) => m.media.name) };
}

async function composeScenario(srv, browser, label) {
  const company = await companyToken(srv.url);
  const ana = { name: 'Ana Attach', phone: '+380509150001' };
  const ben = { name: 'Ben Bystander', phone: '+380509150002' };
  const a = await inbound(srv.url, company, { ...ana, text: 'Can you send the photo?' });
  const b = await inbound(srv.url, company, { ...ben, text: 'Hello there' });
  const { page, errors, $ } = await panelPage(browser, srv);
  await watchRevokes(page);
  await page.evaluate(MAKE_FILE, { name: 'shot.png', type: 'image/png' });
  await page.evaluate(MAKE_FILE, { name: 'notes.txt', type: 'text/plain', text: 'n'.repeat(2560) });
  await page.evaluate(MAKE_FILE, { name: 'photo.png', type: 'image/png' });
  await openChat($, a.chatId);
  const preview = $('.attachment');
  assert.ok(await preview.isHidden(), 'no preview before a file');

  // Paste an image: the preview shows its name, its size and a thumbnail; the paste's default is taken.
  assert.equal(await paste(page, 'shot.png'), true, 'the paste of a file (no text) is taken by the panel');
  await preview.waitFor({ state: 'visible', timeout: 10000 });
  assert.equal(await $('.attachment .name').textContent(), 'shot.png');
  assert.match(await $('.attachment .size').textContent(), /^\d+(\.\d)? (B|KB)$/);
  const said = $('.composer .sr[role=status]');
  assert.match(await said.textContent(), /^Attached: shot\.png \(\d+(\.\d)? (B|KB)\)$/, 'the new file is announced');
  const first = await until(() => thumbSrc($), (s) => s?.startsWith('blob:'));
  assert.ok(first?.startsWith('blob:'), `the thumbnail is an object URL (${first})`);
  const w = await until(() => $('.attachment img.thumb').evaluate((i) => i.complete && i.naturalWidth), (n) => n === 160);
  assert.equal(w, 160, 'the thumbnail decodes');
  const remove = $('.attachment button.remove');
  assert.equal(await remove.getAttribute('aria-label'), 'Remove the attachment shot.png');
  assert.deepEqual(await axeSerious(page), [], 'axe: the preview');
  await screenshot(page, `compose-preview-${label}`);

  // Another chat: its composer has no file, and Enter there sends only its own text.
  await openChat($, b.chatId);
  assert.ok(await preview.isHidden(), 'the file stays with its chat');
  assert.equal(await until(() => alive(page, first), (v) => !v), false, 'leaving the chat revoked the thumbnail');
  await $('.composer textarea').fill('Hi Ben');
  await $('.composer textarea').press('Enter');
  await $('.msg.out:not(.pending) .text').getByText('Hi Ben', { exact: true }).waitFor({ timeout: 15000 });

  // Back: the file is still there, with a new thumbnail. Remove it: gone, and its URL revoked.
  await openChat($, a.chatId);
  await preview.waitFor({ state: 'visible', timeout: 10000 });
  assert.equal(await $('.attachment .name').textContent(), 'shot.png');
  assert.equal(await said.textContent(), '', 'a file shown with its chat is not announced again');
  const again = await until(() => thumbSrc($), (s) => s?.startsWith('blob:') && s !== first);
  assert.ok(again !== first && again?.startsWith('blob:'), 'a thumbnail made again');
  await remove.click();
  await preview.waitFor({ state: 'hidden', timeout: 10000 });
  assert.equal(await until(() => alive(page, again), (v) => !v), false, 'removing revoked the thumbnail');
  assert.equal((await focused(page))?.tag, 'textarea', 'focus goes back to the text');

  // Drop a file on the thread: the drop target shows while dragging, and the drop attaches it.
  const drop = $('.thread .drop');
  assert.equal(await drag(page, 'dragenter', 'notes.txt'), true);
  await drop.waitFor({ state: 'visible', timeout: 5000 });
  assert.equal(await $('.thread').getAttribute('data-drop'), '');
  assert.equal(await drag(page, 'dragover', 'notes.txt'), true, 'dragover is taken, so the drop lands here');
  assert.deepEqual(await axeSerious(page), [], 'axe: while dragging');
  await screenshot(page, `compose-drop-target-${label}`);
  await drag(page, 'drop', 'notes.txt');
  await drop.waitFor({ state: 'hidden', timeout: 5000 });
  await preview.waitFor({ state: 'visible', timeout: 10000 });
  assert.equal(await $('.attachment .name').textContent(), 'notes.txt');
  assert.equal(await $('.attachment .size').textContent(), '2.5 KB', '2,560 bytes');
  assert.equal(await said.textContent(), 'Attached: notes.txt (2.5 KB)');
  assert.ok(await $('.attachment img.thumb').isHidden(), 'no thumbnail for a text file');
  await screenshot(page, `compose-preview-file-${label}`);
  // A second drop replaces it: one file per chat.
  await drag(page, 'dragenter', 'photo.png');
  await drag(page, 'drop', 'photo.png');
  await $('.attachment .name').getByText('photo.png', { exact: true }).waitFor({ timeout: 10000 });
  const last = await until(() => thumbSrc($), (s) => s?.startsWith('blob:') && s !== again);

  // Send with text: the text, then the file, each exactly once, to Ana only.
  await $('.composer textarea').fill('Here it is');
  await $('.composer textarea').press('Enter');
  await preview.waitFor({ state: 'hidden', timeout: 10000 });
  assert.equal(await until(() => alive(page, last), (v) => !v), false, 'sending revoked the thumbnail');
  await $('.messages .msg.out:not(.pending):not(.failed) a.file').getByText('photo.png', { exact: true }).waitFor({ timeout: 15000 });
  const got = await until(() => received(srv.url, company, ana.phone), (r) => r.files.length > 0 && r.texts.length > 0, 15000);
  await sleep(GRACE);
  const settled = await received(srv.url, company, ana.phone);
  assert.deepEqual(settled, got, 'nothing more arrived later');
  assert.deepEqual(settled, { texts: ['Here it is'], files: ['photo.png'] }, 'Ana got the text and the photo, once each');
  assert.deepEqual(await received(srv.url, company, ben.phone), { texts: ['Hi Ben'], files: [] }, 'Ben got only his text');
  const items = (await outbound(srv.url, company, { phone: ana.phone })).items;
  assert.ok(items.findIndex((m) => m.message) < items.findIndex((m) => m.media), 'the text came first');
  assert.equal(await $('.msg.out a.file').filter({ hasText: 'photo.png' }).count(), 1, 'one bubble for the file');
  assert.equal(await $('.msg.out.pending').count(), 0, 'nothing left pending');

  // A file alone (the paperclip) goes with Send and no text.
  await $('.composer input[type=file]').setInputFiles({ name: 'alone.txt', mimeType: 'text/plain', buffer: Buffer.from('alone') });
  await $('.attachment .name').getByText('alone.txt', { exact: true }).waitFor({ timeout: 10000 });
  await $('.composer button.send').click();
  await until(() => received(srv.url, company, ana.phone), (r) => r.files.length === 2, 15000);
  await sleep(GRACE);
  assert.deepEqual((await received(srv.url, company, ana.phone)).files, ['photo.png', 'alone.txt'], 'once');
  assert.deepEqual(errors, []);
  await page.close();
}

test('compose: paste, drop, preview, remove, per-chat attachment, send once (extended server)', T, async () => {
  await withServer((srv, browser) => composeScenario(srv, browser, 'extended'));
});

test('compose: the same against --compat documented', T, async () => {
  await withServer((srv, browser) => composeScenario(srv, browser, 'documented'), { args: ['--compat', 'documented'] });
});

test('compose: a paste with text keeps the text; a drag without files is left alone; unmounting revokes the thumbnail', T, async () => {
  await withServer(async (srv, browser) => {
    const company = await companyToken(srv.url);
    const { chatId } = await inbound(srv.url, company, { name: 'Tom Text', phone: '+380509150011', text: 'hi' });
    const { page, errors, $ } = await panelPage(browser, srv);
    await openChat($, chatId);
    await page.evaluate(MAKE_FILE, { name: 'doc.png', type: 'image/png' });
    const taken = await page.evaluate((host) => {
      const box = document.querySelector(host).shadowRoot.querySelector('.composer textarea');
      const dt = new DataTransfer();
      dt.items.add(window.__files['doc.png']);
      dt.setData('text/plain', 'words');
      const e = new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true, composed: true });
      box.dispatchEvent(e);
      return e.defaultPrevented;
    }, HOST);
    assert.equal(taken, false, 'the text still pastes');
    await $('.attachment').waitFor({ state: 'visible', timeout: 10000 });
    assert.equal(await drag(page, 'dragenter', null), false, 'a drag of text is not ours');
    assert.ok(await $('.thread .drop').isHidden());
    // Enter and leave across children: the target stays until the drag has left the thread.
    await page.evaluate(MAKE_FILE, { name: 'x.txt', type: 'text/plain', text: 'x' });
    await drag(page, 'dragenter', 'x.txt');
    await drag(page, 'dragenter', 'x.txt');
    await drag(page, 'dragleave', 'x.txt');
    assert.ok(await $('.thread .drop').isVisible(), 'still over the thread');
    await drag(page, 'dragleave', 'x.txt');
    await $('.thread .drop').waitFor({ state: 'hidden', timeout: 5000 });
    // Unmounting the panel revokes the thumbnail it showed.
    const url = await until(() => thumbSrc($), (s) => s?.startsWith('blob:'));
    await watchRevokes(page);
    await page.evaluate(() => document.getElementById('operator-chat-panel-script').remove());
    await page.locator(HOST).waitFor({ state: 'detached', timeout: 10000 });
    assert.equal(await alive(page, url), false, 'revoked on unmount');
    assert.deepEqual(errors, []);
  });
});

// The new states in the light and dark themes and right to left: the "New messages" divider, the
// "↓ N new" button, the attachment preview and the drop target.
test('compose: screenshots of the preview, the drop target, the divider and the "new" button (light, dark, RTL)', T, async () => {
  await withServer(async (srv, browser) => {
    const company = await companyToken(srv.url);
    const themes = [['light', {}], ['dark', { theme: 'dark' }], ['rtl', { lang: 'ar' }]];
    for (const [n, [suffix, attrs]] of themes.entries()) {
      const phone = `+38050916000${n}`;
      const name = ['Lina Light', 'Dora Dark', 'ليلى حسن'][n];
      const other = await inbound(srv.url, company, { name: 'Otto Other', phone: `+38050916100${n}`, text: 'other chat' });
      let chatId;
      for (let i = 1; i <= 12; i++) ({ chatId } = await inbound(srv.url, company, { name, phone, text: `earlier message ${i}` }));
      const { page, errors, $ } = await panelPage(browser, srv, { attrs });
      await openChat($, chatId);
      await $('.msg .text').getByText('earlier message 12', { exact: true }).waitFor({ timeout: 15000 });
      await openChat($, other.chatId);
      for (let i = 1; i <= 3; i++) await inbound(srv.url, company, { name, phone, text: `new ${i}` });
      await $(`button.chat[data-chat="${chatId}"] .last`).getByText('new 3').waitFor({ timeout: 15000 });
      await openChat($, chatId);
      await $('.messages .divider').waitFor({ timeout: 15000 });
      await sleep(300); // let the scroll to the divider paint
      await screenshot(page, `compose-divider-${suffix}`);

      await page.evaluate((host) => { document.querySelector(host).shadowRoot.querySelector('.messages').scrollTop = 0; }, HOST);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      for (let i = 1; i <= 3; i++) await inbound(srv.url, company, { name, phone, text: `later ${i}` });
      await $('button.latest').waitFor({ state: 'visible', timeout: 15000 });
      await screenshot(page, `compose-new-button-${suffix}`);

      await page.evaluate(MAKE_FILE, { name: 'receipt-scan.png', type: 'image/png' });
      await $('.composer textarea').fill(suffix === 'rtl' ? 'إليك الإيصال' : 'Here is your receipt');
      await paste(page, 'receipt-scan.png');
      await $('.attachment img.thumb').waitFor({ state: 'visible', timeout: 10000 });
      await until(() => $('.attachment img.thumb').evaluate((i) => i.complete && i.naturalWidth), Boolean);
      assert.deepEqual(await axeSerious(page), [], `axe: the preview (${suffix})`);
      await screenshot(page, `compose-preview-${suffix}`);

      await drag(page, 'dragenter', 'receipt-scan.png');
      await $('.thread .drop').waitFor({ state: 'visible', timeout: 5000 });
      assert.deepEqual(await axeSerious(page), [], `axe: the drop target (${suffix})`);
      await screenshot(page, `compose-drop-target-${suffix}`);
      await drag(page, 'dragleave', 'receipt-scan.png');
      assert.deepEqual(errors, []);
      await page.close();
    }
  });
});
