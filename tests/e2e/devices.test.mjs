// A phone (issue 15, item 4): Chromium with touch emulation at 390 px wide. The operator opens a chat,
// answers, goes back to the list and opens another, by tapping alone; every tap target on each screen is
// at least 44 × 44 CSS pixels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { companyToken, inbound, outbound } from './lib/server.mjs';
import { screenshot } from './lib/browser.mjs';
import { withServer, inject, devToken, connected, HOST, until } from './lib/panel.mjs';

/** Visible controls of the panel smaller than 44 × 44 px (runs in the page). */
function smallTargets(host) {
  const root = document.querySelector(host).shadowRoot;
  return [...root.querySelectorAll('button, input, select, textarea, a[href], [tabindex]:not([tabindex="-1"])')]
    .filter((el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
    })
    .map((el) => ({ el, r: el.getBoundingClientRect() }))
    .filter(({ r }) => r.width < 44 || r.height < 44)
    .map(({ el, r }) => `${el.tagName.toLowerCase()}.${el.className} ${Math.round(r.width)}×${Math.round(r.height)}`);
}

test('a phone, by touch alone: open a chat, answer, back to the list, open another; tap targets ≥ 44 px', async () => {
  await withServer(async (srv, browser) => {
    const company = await companyToken(srv.url);
    const a = await inbound(srv.url, company, { name: 'Phone Ann', phone: '+380505550001', text: 'First customer' });
    const b = await inbound(srv.url, company, { name: 'Phone Bob', phone: '+380505550002', text: 'Second customer' });

    const context = await browser.newContext({
      viewport: { width: 390, height: 800 }, deviceScaleFactor: 3, hasTouch: true, isMobile: true,
    });
    const page = await context.newPage();
    await page.goto(`${srv.url}/blank.html`);
    // A phone host page declares its viewport (without it a mobile browser lays out 980 px wide).
    await page.evaluate(() => {
      const meta = document.createElement('meta');
      meta.name = 'viewport';
      meta.content = 'width=device-width, initial-scale=1';
      document.head.append(meta);
    });
    assert.equal(await page.evaluate(() => innerWidth), 390, 'laid out at the phone width');
    // Collapsed: the launcher alone; a tap opens the panel.
    await inject(page, { token: await devToken(srv.url), api: srv.url, open: false });
    const $ = (css) => page.locator(`${HOST} ${css}`);
    await connected(page);
    assert.deepEqual(await page.evaluate(smallTargets, HOST), [], 'the launcher is big enough');
    await $('button.launcher').tap();
    await $('section.panel').waitFor();

    // The list fills the screen.
    const row = (chatId) => $(`button.chat[data-chat="${chatId}"]`);
    await row(a.chatId).waitFor();
    assert.deepEqual(await page.evaluate(smallTargets, HOST), [], 'list screen: every target ≥ 44 × 44');
    await screenshot(page, 'devices-phone-list');

    // Tap a chat: the thread replaces the list.
    await row(a.chatId).tap();
    await $('.messages .msg.in').getByText('First customer').waitFor();
    assert.equal(await $('.side').isVisible(), false, 'the list gives the screen to the thread');
    assert.deepEqual(await page.evaluate(smallTargets, HOST), [], 'thread screen: every target ≥ 44 × 44');

    // Answer: tap the composer, type, tap Send.
    await $('textarea').tap();
    await page.keyboard.type('Answered from a phone');
    await $('button.send').tap();
    await $('.messages .msg.out:not(.pending)').getByText('Answered from a phone').waitFor();
    const got = await until(async () => (await outbound(srv.url, company, { phone: '+380505550001' })).items,
      (items) => items.some((m) => m.message === 'Answered from a phone'));
    assert.ok(got.some((m) => m.message === 'Answered from a phone'), 'the customer got the answer');
    await screenshot(page, 'devices-phone-thread');

    // Back to the list, then the other chat.
    await $('button.back').tap();
    await row(b.chatId).waitFor({ state: 'visible' });
    assert.equal(await $('.thread').isVisible(), false, 'back shows the list alone');
    await row(b.chatId).tap();
    await $('.messages .msg.in').getByText('Second customer').waitFor();
    assert.deepEqual(await page.evaluate(smallTargets, HOST), [], 'second thread: every target ≥ 44 × 44');
    await context.close();
  });
});
