// Every message to the right customer, exactly once: drafts per chat, a graceful deploy, a refused
// operator, and a chaos run of server restarts while the operator keeps typing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, companyToken, inbound, outbound } from './lib/server.mjs';
import { launch, screenshot } from './lib/browser.mjs';
import { panelPage, openChat, events, until, sleep, devToken, operatorToken, inject, connected } from './lib/panel.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Uncaught errors only: a restarting server makes the browser log failed requests. */
const uncaught = (errors) => errors.filter((e) => !/^Failed to load resource|^WebSocket connection to/.test(e));

/** The texts of the open thread, stored and pending, in order. */
const threadTexts = ($) => $('.messages .msg .text').allTextContents();
const outboxEmpty = async ($) => (await $('.msg.pending, .msg.sent').count()) === 0;

async function write($, text) {
  await $('textarea').fill(text);
  await $('textarea').press('Enter');
}

/** Stops the server with `signal` and waits for it to exit, keeping its database. */
async function kill(srv, signal) {
  const gone = new Promise((ok) => srv.child.once('exit', ok));
  if (srv.child.exitCode === null && srv.child.signalCode === null) srv.child.kill(signal);
  await gone;
}

test('a draft belongs to its chat: switching shows the other chat\'s own draft, Enter sends only to its chat', async () => {
  const srv = await startServer();
  try {
    const company = await companyToken(srv.url);
    const a = await inbound(srv.url, company, { name: 'Customer 16', phone: '+380501600016', text: 'refund?' });
    const b = await inbound(srv.url, company, { name: 'Customer 17', phone: '+380501700017', text: 'hello' });
    const { page, errors, $ } = await panelPage(browser, srv);
    const refund = 'Customer 16, your refund of $120 for order #A-77 is approved.';
    await openChat($, a.chatId);
    await $('textarea').fill(refund);
    await openChat($, b.chatId);
    assert.equal(await $('textarea').inputValue(), '', 'chat B starts with its own, empty composer');
    await $('textarea').press('Enter');
    await $('textarea').fill('Hi 17, one moment please.');
    await screenshot(page, 'delivery-draft-other-chat');

    await openChat($, a.chatId);
    assert.equal(await $('textarea').inputValue(), refund, 'coming back restores A\'s draft');
    await page.reload();
    await inject(page, { token: await devToken(srv.url), api: srv.url });
    await connected(page);
    await $(`button.chat[data-chat="${a.chatId}"][aria-current=true]`).waitFor({ state: 'attached' });
    assert.equal(await $('textarea').inputValue(), refund, 'the draft survives a reload');
    const saved = await page.evaluate(() => sessionStorage.getItem('chathub:operator-chat-panel-script'));
    assert.ok(!saved.includes(await devToken(srv.url)) && !/eyJ/.test(saved), 'no token in storage');
    await $('textarea').press('Enter');
    await $('.msg.out:not(.pending)').getByText(refund).waitFor();

    await openChat($, b.chatId);
    assert.equal(await $('textarea').inputValue(), 'Hi 17, one moment please.');
    await $('textarea').press('Enter');
    await $('.msg.out:not(.pending)').getByText('Hi 17, one moment please.').waitFor();

    const toA = (await outbound(srv.url, company, { phone: '+380501600016' })).items.map((m) => m.message);
    const toB = (await outbound(srv.url, company, { phone: '+380501700017' })).items.map((m) => m.message);
    assert.deepEqual(toA, [refund], 'A\'s customer got A\'s reply once');
    assert.deepEqual(toB, ['Hi 17, one moment please.'], 'B\'s customer never saw A\'s reply');
    assert.deepEqual(uncaught(errors), []);
    await page.close();
  } finally { await srv.stop(); }
});

test('a graceful shutdown shows reconnecting at once and drains the outbox in order after the restart', async () => {
  let srv = await startServer();
  const { dir } = srv;
  const addr = srv.url.replace('http://', '');
  try {
    const company = await companyToken(srv.url);
    const phone = '+380502220000';
    const { chatId } = await inbound(srv.url, company, { name: 'Deploy Dana', phone, text: 'c1' });
    const { page, errors, $ } = await panelPage(browser, srv, { record: ['chathub:connection', 'chathub:error'] });
    await openChat($, chatId);
    await write($, 'o1');
    await $('.msg.out:not(.pending)').getByText('o1').waitFor();

    // SIGTERM: the server sends Close "Server is shutting down." and exits.
    await kill(srv, 'SIGTERM');
    await $('.conn[data-state=reconnecting]').waitFor({ state: 'attached', timeout: 5000 });
    const closed = (await events(page, 'chathub:error')).map((e) => e.detail.code);
    assert.ok(closed.includes('hub_closed'), `the Close is reported: ${closed}`);
    await screenshot(page, 'delivery-deploy-reconnecting');
    await write($, 'o2');
    await write($, 'o3');
    assert.equal(await $('.msg.out.pending').count(), 2, 'typed while down: waiting');

    srv = await startServer({ dir, addr });
    await $('.conn[data-state=connected]').waitFor({ state: 'attached', timeout: 60000 });
    await write($, 'o4');
    assert.ok(await until(() => outboxEmpty($), Boolean, 15000), 'no bubble stays "sending" once connected');
    await inbound(srv.url, company, { name: 'Deploy Dana', phone, text: 'c2' });
    await $('.messages .msg.in').getByText('c2').waitFor();
    assert.deepEqual(await threadTexts($), ['c1', 'o1', 'o2', 'o3', 'o4', 'c2'], 'panel: once each, in order');
    const { items } = await outbound(srv.url, company, { phone });
    assert.deepEqual(items.map((m) => m.message), ['o1', 'o2', 'o3', 'o4'], 'customer: once each, in order');
    const states = (await events(page, 'chathub:connection')).map((e) => e.detail.state);
    assert.ok(states.indexOf('reconnecting') > states.indexOf('connected'), states.join());
    assert.deepEqual(uncaught(errors), []);
    await page.close();
  } finally { await srv.stop({ wipe: true }); }
});

test('an operator made inactive is told so, and the panel stops retrying until the token changes', async () => {
  const srv = await startServer();
  try {
    const company = await companyToken(srv.url);
    const mark = await operatorToken(srv.url, company, 2);
    const negotiates = [];
    const { page, errors, $ } = await panelPage(browser, srv, { token: mark, record: ['chathub:error'] });
    page.on('request', (r) => { if (r.url().includes('/negotiate')) negotiates.push(Date.now()); });
    const deactivate = (status) => fetch(`${srv.url}/api/operator/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${company}` },
      body: JSON.stringify({ id: 2, status }),
    });
    assert.equal((await deactivate(1)).status, 200);
    await $('.conn[data-state=refused]').waitFor({ state: 'attached', timeout: 20000 });
    await $('.notice:not([hidden])').waitFor();
    const codes = (await events(page, 'chathub:error')).map((e) => e.detail.code);
    assert.ok(codes.includes('operator_refused'), codes.join());
    await screenshot(page, 'delivery-operator-refused');
    const seen = negotiates.length;
    await sleep(4000); // several backoff periods: a spinning panel would negotiate again
    assert.equal(negotiates.length, seen, 'no retries against a refusal');

    assert.equal((await deactivate(0)).status, 200);
    await sleep(1100); // a new second, a new token
    const fresh = await operatorToken(srv.url, company, 2);
    await page.evaluate((t) => window.ChatHub.get().setToken(t), fresh);
    await $('.conn[data-state=connected]').waitFor({ state: 'attached', timeout: 20000 });
    assert.deepEqual(uncaught(errors), []);
    await page.close();
  } finally { await srv.stop(); }
});

/**
 * Restarts the server `rounds` times while the operator keeps answering one customer, killing it at
 * different moments of the send cycle, then counts what the customer received.
 */
async function chaos(args, rounds) {
  let srv = await startServer({ args });
  const { dir } = srv;
  const addr = srv.url.replace('http://', '');
  const figures = { restarts: 0, sent: 0, lost: 0, doubled: 0, outOfOrder: false, drainMs: [] };
  try {
    const company = await companyToken(srv.url);
    const phone = '+380509990000';
    const { chatId } = await inbound(srv.url, company, { name: 'Chaos Chris', phone, text: 'hi' });
    const { page, errors, $ } = await panelPage(browser, srv);
    await openChat($, chatId);
    let negotiating = null;
    page.on('request', (r) => { if (r.url().includes('/negotiate') && negotiating) negotiating(); });
    const expected = [];
    const say = async (text) => { expected.push(text); figures.sent++; await write($, text); };
    const restart = async () => { srv = await startServer({ dir, addr, args }); figures.restarts++; };

    for (let i = 0; i < rounds; i++) {
      const signal = i % 2 ? 'SIGKILL' : 'SIGTERM';
      await say(`r${i} settled`);
      await until(() => outboxEmpty($), Boolean, 15000);
      switch (i % 3) {
        case 0: // before a send: typed while the server is gone
          await kill(srv, signal);
          await say(`r${i} while down`);
          await restart();
          break;
        case 1: // after a send, before its completion
          await $('textarea').fill(`r${i} in flight`);
          expected.push(`r${i} in flight`); figures.sent++;
          await Promise.all([$('textarea').press('Enter'), kill(srv, signal)]);
          await restart();
          break;
        default: { // during negotiate
          await kill(srv, signal);
          await say(`r${i} before negotiate`);
          const seen = new Promise((ok) => { negotiating = ok; });
          await restart();
          await seen;
          negotiating = null;
          await kill(srv, 'SIGKILL');
          await restart();
        }
      }
      await $('.conn[data-state=connected]').waitFor({ state: 'attached', timeout: 90000 });
      const t0 = Date.now();
      await say(`r${i} after`);
      assert.ok(await until(() => outboxEmpty($), Boolean, 15000), `round ${i}: the outbox drains`);
      figures.drainMs.push(Date.now() - t0);
    }
    const got = (await outbound(srv.url, company, { phone })).items.map((m) => m.message);
    figures.lost = expected.filter((t) => !got.includes(t)).length;
    figures.doubled = got.length - new Set(got).size;
    figures.outOfOrder = JSON.stringify(got) !== JSON.stringify(expected);
    console.log(`chaos ${args.join(' ') || 'full'}: ${JSON.stringify(figures)}`);
    assert.deepEqual(got, expected, 'the customer got every message once, in order');
    assert.deepEqual(await threadTexts($), ['hi', ...expected], 'the panel shows each once, in order');
    assert.deepEqual(uncaught(errors), []);
    await page.close();
  } finally { await srv.stop({ wipe: true }); }
}

test('chaos: 10 restarts (SIGTERM and SIGKILL, before, during and after sends): none lost, none doubled', async () => {
  await chaos([], 10);
});

test('chaos against the documented-only hub: the lost sends are looked for, not doubled', async () => {
  await chaos(['--compat', 'documented'], 10);
});
