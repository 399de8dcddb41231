// The widget under a strict Content-Security-Policy (issue 5, "Strict CSP"): www/csp.html allows only
// 'self' plus 'wasm-unsafe-eval', with no 'unsafe-inline' and no 'unsafe-eval'. Zero violations allowed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, companyToken, inbound, outbound } from './lib/server.mjs';
import { launch, openPage, screenshot, inPanel } from './lib/browser.mjs';

const POLICY = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self' ws://127.0.0.1:*";

test('strict-CSP page: the panel connects and works with zero securitypolicyviolation events', async () => {
  const srv = await startServer();
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser);
    // The page cannot use a data: favicon (img-src falls back to default-src 'self') and www/ has no
    // favicon.ico, so Chromium's automatic request would log a 404 that has nothing to do with the widget.
    await page.route('**/favicon.ico', (r) => r.fulfill({
      status: 200, contentType: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>',
    }));
    // Registered before any page script runs, so no violation can slip past.
    await page.addInitScript(() => {
      const seen = [];
      Object.defineProperty(window, '__cspViolations', { value: seen, enumerable: false });
      const record = (e) => seen.push({
        directive: e.effectiveDirective || e.violatedDirective, blocked: e.blockedURI,
        source: e.sourceFile, line: e.lineNumber, sample: e.sample,
      });
      // Capture phase on the document: violations from inside shadow roots are composed and reach it.
      document.addEventListener('securitypolicyviolation', record, true);
    });
    await page.goto(`${srv.url}/csp.html`);

    // The policy really is in force on this page (a guard against testing a page without one).
    const policy = await page.evaluate(
      () => document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content'));
    assert.equal(policy, POLICY);
    assert.equal(await page.evaluate(() => document.querySelectorAll('script:not([src]), style, [style]').length), 0,
      'the host page itself has no inline script or style');

    await inPanel(page, '.conn').and(page.locator('[data-state=connected]')).waitFor({ timeout: 20000 });
    assert.equal(await page.locator('#operator-chat-panel-script-host').count(), 1, 'one panel host');

    // A customer writes: the chat appears in the panel; the operator opens it and answers.
    const company = await companyToken(srv.url);
    const text = `Hello under CSP ${Date.now()}`;
    const phone = '+380503330000';
    const { chatId } = await inbound(srv.url, company, { name: 'Ann CSP', phone, text });
    const row = inPanel(page, `.chat[data-chat="${chatId}"]`);
    await row.getByText(text).waitFor();
    await row.click();
    await inPanel(page, '.messages .msg.in').getByText(text).waitFor();
    const reply = `CSP reply ${Date.now()}`;
    await inPanel(page, 'textarea').fill(reply);
    await inPanel(page, 'textarea').press('Enter');
    await inPanel(page, '.messages .msg.out:not(.pending)').getByText(reply).waitFor();
    let got = [];
    for (let i = 0; i < 50 && !got.some((m) => m.message === reply); i++) {
      ({ items: got } = await outbound(srv.url, company, { phone }));
      if (!got.some((m) => m.message === reply)) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(got.some((m) => m.message === reply), 'the reply reached the customer channel');

    // The panel is styled (adoptedStyleSheets), not unstyled because a <style> was blocked.
    const sheets = await page.evaluate(
      () => document.querySelector('#operator-chat-panel-script-host').shadowRoot.adoptedStyleSheets.length);
    assert.ok(sheets > 0, 'the panel styles come through adoptedStyleSheets');

    await screenshot(page, 'csp-panel');
    // Let any late violation report (they are dispatched asynchronously) arrive before counting.
    await page.evaluate(() => new Promise((r) => setTimeout(r, 250)));
    const violations = await page.evaluate(() => window.__cspViolations);
    assert.deepEqual(violations, [], 'no securitypolicyviolation events');
    assert.deepEqual(errors, [], 'no console errors');
  } finally {
    await browser.close();
    await srv.stop();
  }
});
