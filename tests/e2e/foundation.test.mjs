// The foundation path: script tag -> panel -> hub and back, against a real server and browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, companyToken, inbound, outbound } from './lib/server.mjs';
import { launch, openPage, screenshot, inPanel } from './lib/browser.mjs';

let srv, browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

test('demo page loads, panel connects, messages flow both ways, no console errors', async () => {
  const { page, errors } = await openPage(browser, `${srv.url}/`);
  const conn = inPanel(page, '.conn');
  await conn.and(page.locator('[data-state=connected]')).waitFor();
  assert.equal(await page.locator('#operator-chat-panel-script-host').count(), 1, 'one panel host');
  assert.ok(await page.evaluate(() => !!document.querySelector('#operator-chat-panel-script-host').shadowRoot),
    'the panel lives in a shadow root');
  await inPanel(page, '.chat').first().waitFor();

  // A customer writes: it appears in the list at once.
  const company = await companyToken(srv.url);
  const text = `Hello from e2e ${Date.now()}`;
  const { chatId } = await inbound(srv.url, company, { name: 'Ann E2E', phone: '+380501110000', text });
  const row = inPanel(page, `.chat[data-chat="${chatId}"]`);
  await row.getByText(text).waitFor();

  // The operator opens it, sees the message, and answers through the composer.
  await row.click();
  await inPanel(page, '.messages .msg.in').getByText(text).waitFor();
  const reply = `Reply ${Date.now()}`;
  await inPanel(page, 'textarea').fill(reply);
  await inPanel(page, 'textarea').press('Enter');
  await inPanel(page, '.messages .msg.out:not(.pending)').getByText(reply).waitFor();

  // The answer reaches the customer's channel.
  let got = [];
  for (let i = 0; i < 50 && !got.some((m) => m.message === reply); i++) {
    ({ items: got } = await outbound(srv.url, company, { phone: '+380501110000' }));
    if (!got.some((m) => m.message === reply)) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(got.some((m) => m.message === reply && m.author === 0), 'reply delivered to outbound');

  await screenshot(page, 'foundation-panel');
  assert.deepEqual(errors, []);
  await page.close();
});

test('customer page shows the operator answer', async () => {
  const { page: customer, errors } = await openPage(browser, `${srv.url}/customer.html`);
  await customer.fill('#phone', '+380502220000');
  await customer.dispatchEvent('#phone', 'change');
  await customer.fill('#text', 'Hi from the customer page');
  await customer.press('#text', 'Enter');
  await customer.locator('#log li.me').getByText('Hi from the customer page').waitFor();

  const { page: op } = await openPage(browser, `${srv.url}/`);
  const row = inPanel(op, '.chat').filter({ hasText: 'Hi from the customer page' });
  await row.click();
  await inPanel(op, 'textarea').fill('Operator here');
  await inPanel(op, '.send').click();
  await customer.locator('#log li:not(.me)').getByText('Operator here').waitFor();
  await screenshot(customer, 'foundation-customer');
  assert.deepEqual(errors, []);
  await customer.close();
  await op.close();
});
