// Screenshots of the panel for the README (not assertions beyond "the panel is there"): light, dark,
// Arabic right to left, and a 390 px wide phone, each with a chat open. They land in test-output/;
// with CHATHUB_UPDATE_DOCS=1 they are also copied to docs/, which holds the committed copies.
import { test } from 'node:test';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, companyToken, inbound } from './lib/server.mjs';
import { screenshot } from './lib/browser.mjs';
import { withServer, until, devToken, allChats, panelPage, openChat } from './lib/panel.mjs';

async function reply(url, token, chatId, text) {
  const r = await fetch(`${url}/api/chat/${chatId}/message`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ textMessage: text }),
  });
  if (!r.ok) throw new Error(`send ${r.status}: ${await r.text()}`);
}

const SHOTS = [
  { name: 'panel-light', viewport: { width: 900, height: 640 }, attrs: { theme: 'light' } },
  { name: 'panel-dark', viewport: { width: 900, height: 640 }, attrs: { theme: 'dark' } },
  { name: 'panel-rtl', viewport: { width: 900, height: 640 }, attrs: { lang: 'ar' }, send: 'إرسال', chat: 'ليلى حسن' },
  { name: 'panel-mobile', viewport: { width: 390, height: 800 }, attrs: {} },
];

test('screenshots: light, dark, RTL (Arabic) and mobile width, each with a chat open', { timeout: 180000 }, async () => {
  await withServer(async (srv, browser) => {
    const company = await companyToken(srv.url);
    const token = await devToken(srv.url);
    // A customer who wrote just now, so the list has a fresh unread chat on top.
    await inbound(srv.url, company, { source: 4, name: 'Maria Lopez', phone: '+34600111222', text: 'Hi! Is the blue jacket back in stock?' });
    // An Arabic-speaking customer for the right-to-left shot.
    const laila = { source: 2, name: 'ليلى حسن', phone: '+971501234567' };
    await inbound(srv.url, company, { ...laila, text: 'مرحبًا، متى يصل طلبي؟' });
    const chats = await allChats(srv.url, token);
    const chatOf = (name) => chats.find((c) => c.client?.name === name);
    // Operator replies, stored once (every shot shows them).
    await reply(srv.url, token, chatOf('Iryna Kovalenko').id, 'Yes, I can change it. What is the new address?');
    await reply(srv.url, token, chatOf(laila.name).id, 'سيصل طلبك غدًا قبل الظهر.');
    await inbound(srv.url, company, { ...laila, text: 'شكرًا جزيلًا!' });
    for (const shot of SHOTS) {
      const { page, $ } = await panelPage(browser, srv, { token, attrs: shot.attrs, viewport: shot.viewport });
      await page.emulateMedia({ reducedMotion: 'reduce' });
      if (shot.send) await until(() => $('button.send').getAttribute('aria-label'), (t) => t === shot.send, 10000);
      await $('button.chat').first().waitFor({ timeout: 15000 });
      await openChat($, chatOf(shot.chat || 'Iryna Kovalenko').id);
      await $('.composer textarea').fill(shot.chat ? 'سأرسل لك رقم التتبع' : 'Let me check the courier');
      await page.mouse.move(0, 0);
      await page.evaluate(() => document.fonts.ready);
      await page.waitForTimeout(300); // let the last frame paint
      const path = await screenshot(page, shot.name);
      if (process.env.CHATHUB_UPDATE_DOCS === '1') {
        mkdirSync(join(ROOT, 'docs'), { recursive: true });
        copyFileSync(path, join(ROOT, 'docs', `${shot.name}.png`));
      }
      await page.close();
    }
  });
});
