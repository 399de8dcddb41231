// Start-up and return visits (issue 16): what the browser may cache and for how long, and which requests
// go out side by side. Behaviour only; the times and round-trip counts are the benchmark's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, inPanel } from './lib/browser.mjs';
import { until } from './lib/panel.mjs';
import { embedServer, recordNetwork, header, isList, isNegotiate, FIRST_CHAT_PROBE } from './lib/startup.mjs';

const loaderPath = '/operator-chat-panel/widget-script.js';
const hashed = (url) => /^\/operator-chat-panel\/.+\.[0-9a-f]{10}\.(js|wasm|json)$/.test(new URL(url).pathname);

test('hashed files are immutable, the loader revalidates (304), and a reload fetches neither glue nor wasm', async () => {
  const srv = await embedServer();
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser);
    await page.addInitScript(FIRST_CHAT_PROBE);
    const net = await recordNetwork(page, 20);
    await page.goto(srv.page);
    await inPanel(page, 'button.chat').first().waitFor();

    const cold = net.requests();
    const files = cold.filter((r) => hashed(r.url));
    const names = files.map((r) => new URL(r.url).pathname);
    assert.ok(names.some((n) => n.endsWith('.js')) && names.some((n) => n.endsWith('.wasm')), `glue and wasm: ${names}`);
    for (const r of files) {
      assert.equal(header(r, 'cache-control'), 'public, max-age=31536000, immutable', r.url);
    }
    const wasm = files.find((r) => r.url.endsWith('.wasm'));
    assert.equal(header(wasm, 'content-type'), 'application/wasm', 'streaming instantiation needs the wasm MIME type');
    const loader = cold.find((r) => new URL(r.url).pathname === loaderPath);
    assert.match(header(loader, 'cache-control'), /max-age=300\b.*must-revalidate/);
    assert.doesNotMatch(header(loader, 'cache-control'), /immutable/);
    assert.ok(header(loader, 'etag') && header(loader, 'last-modified'), 'validators to revalidate with');

    // The browser revalidating its copy of the loader: a conditional request, answered 304.
    net.reset();
    const status = await page.evaluate(async (u) => (await fetch(u, { cache: 'no-cache' })).status, loaderPath);
    assert.equal(status, 200, 'the page sees its cached copy');
    // The protocol's events may trail the page's answer.
    const seen = () => net.requests().find((r) => new URL(r.url).pathname === loaderPath && r.wireStatus);
    const revalidation = await until(seen, Boolean, 5000);
    assert.equal(revalidation?.wireStatus, 304, 'the server answered the revalidation with 304');

    // A reload: the hashed files come from the cache; the chats still show.
    net.reset();
    await page.reload();
    await inPanel(page, 'button.chat').first().waitFor();
    const again = net.requests().filter((r) => hashed(r.url));
    assert.ok(again.length >= 2, 'the loader still asks for glue and wasm');
    for (const r of again) assert.ok(r.cached, `${r.url} came from the network on reload`);
    assert.deepEqual(errors, []);
  } finally { await browser.close(); await srv.stop(); }
});

test('the loader asks for the first chat-list page beside the glue and the wasm, before the hub; the panel takes that answer', async () => {
  const srv = await embedServer();
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser);
    // Latency makes each step of the chain visible; the assertions are about order, not time.
    const net = await recordNetwork(page, 100);
    await page.goto(srv.page);
    await inPanel(page, '.conn[data-state=connected]').first().waitFor({ state: 'attached' });
    await inPanel(page, 'button.chat').first().waitFor();
    const reqs = net.requests();
    const wasm = reqs.find((r) => r.url.endsWith('.wasm'));
    const lists = reqs.filter((r) => isList(r.url)).sort((a, b) => a.start - b.start);
    const negotiate = reqs.find((r) => isNegotiate(r.url));
    const socket = net.sockets()[0];
    assert.ok(wasm && lists.length && negotiate && socket, 'wasm, list, negotiate and socket were all seen');
    assert.ok(lists[0].start < wasm.response, 'the first page left while the wasm was on its way');
    assert.ok(lists[0].start < negotiate.response, 'the list goes out before the negotiate has answered');
    // The panel asks for the list once more when its hub session begins (to catch what came between);
    // before that, the loader's request was the only one: the panel adopted it rather than asking again.
    const beforeHub = lists.filter((r) => r.start < socket.start);
    assert.equal(beforeHub.length, 1, `one list request before the hub: ${beforeHub.map((r) => r.url)}`);
    assert.equal(new URL(lists[0].url).search, '?per_page=50&page=1');
    assert.deepEqual(errors, []);
  } finally { await browser.close(); await srv.stop(); }
});

test('a token changed before the wasm has loaded: the panel asks for its first page with the new token', async () => {
  const srv = await embedServer();
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser);
    await recordNetwork(page, 100);
    // The host swaps the token once the loader has run (and made its early request), while the
    // wasm is still on its way.
    const { token } = await (await fetch(`${srv.url}/api/chathub/token`)).json();
    await page.addInitScript((fresh) => {
      const swap = setInterval(() => {
        const s = document.getElementById('operator-chat-panel-script');
        if (s && window.ChatHub) { clearInterval(swap); s.setAttribute('token', fresh); }
      }, 1);
    }, token);
    const lists = [];
    page.on('request', (r) => { if (isList(r.url())) lists.push(r.headers().authorization); });
    await page.goto(srv.page);
    await inPanel(page, '.conn[data-state=connected]').first().waitFor({ state: 'attached' });
    await inPanel(page, 'button.chat').first().waitFor();
    assert.equal(lists[0], 'Bearer test-token-for-development', 'the loader asked with the token it found');
    assert.equal(lists[1], `Bearer ${token}`, 'the panel did not take that answer, and asked with the new token');
    assert.deepEqual(errors, []);
  } finally { await browser.close(); await srv.stop(); }
});
