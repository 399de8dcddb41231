// The panel in a browser over time (issue 16, items 3 and 4): delivery measured in the page, a compressed
// shift (memory curves, media blob URLs), an idle panel's timer wake-ups, and a list of 1,000 chats
// scrolled while long tasks are recorded. Figures for BENCHMARKS.md, never asserted here.
//
// Every page here is a blank host page of a real chathub-server (the release build when it exists) on
// loopback, with the widget injected as the e2e tests do (tests/e2e/lib/panel.mjs).
import { existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, companyToken, inbound, ROOT } from '../e2e/lib/server.mjs';
import { launch } from '../e2e/lib/browser.mjs';
import { blankPage, inject, connected, devToken, HOST, PNG_2X2, sleep, openChat } from '../e2e/lib/panel.mjs';

const RELEASE = join(ROOT, 'target/release/chathub-server');
/** A server for a benchmark: the release build (as deployed) when built, with the rate limit out of the way. */
export const benchServer = ({ tmpfs = false } = {}) => startServer({
  bin: existsSync(RELEASE) ? RELEASE : undefined,
  args: ['--rate-limit', '1000000'],
  ...(tmpfs ? { dir: mkdtempSync('/dev/shm/chathub-bench-') } : {}),
});
const stop = (srv) => srv.stop({ wipe: true });
export const serverKind = () => (existsSync(RELEASE) ? 'release' : 'debug');

export const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** A panel on a blank page of `srv`, connected, with `initScripts` run before the widget loads. */
async function panel(browser, srv, { token, initScripts = [], viewport } = {}) {
  const { page, errors } = await blankPage(browser, srv, { initScripts, viewport });
  await inject(page, { token: token ?? await devToken(srv.url), api: srv.url, open: true });
  await connected(page);
  const $ = (css) => page.locator(`${HOST} ${css}`);
  return { page, errors, $ };
}

// ---------------------------------------------------------------------------------------------------
// Delivery (item 3): the page itself posts the customer's message to the channel endpoint and takes
// performance.now() just before; a MutationObserver on the panel's shadow root takes it again when a node
// holding the text is added. Both on the page's clock; the test process only starts the loop.
// A listener on the hub's socket, added before the widget's own, stamps the frame that carries the text,
// which splits the time into server + socket (POST start → frame) and the widget (frame → DOM).

/** Init script: stamps hub frames that carry a marker `window.__want` (set by the loop below). */
const FRAME_PROBE = `(() => {
  const Native = WebSocket;
  window.WebSocket = class extends Native {
    constructor(...a) {
      super(...a);
      this.addEventListener('message', (e) => {
        const w = window.__want;
        if (w && w.frame == null && typeof e.data === 'string' && e.data.includes(w.text)) w.frame = performance.now();
      });
    }
  };
})();`;

/** Runs in the page: `n` messages one after another, each `gap` ms after the last one showed. */
async function deliveryLoop({ url, company, phone, n, gap, host }) {
  const root = document.querySelector(host).shadowRoot;
  const holds = (node, text) => node.nodeType === 3 ? node.data.includes(text) : node.textContent.includes(text);
  const mo = new MutationObserver((records) => {
    const w = window.__want;
    if (!w || w.shown != null) return;
    const t = performance.now();
    for (const r of records) {
      const hit = r.type === 'characterData' ? holds(r.target, w.text) : [...r.addedNodes].some((x) => holds(x, w.text));
      if (hit) { w.shown = t; w.done(); return; }
    }
  });
  mo.observe(root, { childList: true, subtree: true, characterData: true });
  const out = [];
  try {
    for (let i = 0; i < n; i++) {
      const text = `delivery ${i} ${Math.random().toString(36).slice(2)}`;
      const w = { text };
      const shown = new Promise((ok) => { w.done = ok; });
      window.__want = w;
      const body = JSON.stringify({ organizationId: 1, source: 0, client: { name: 'Bench', phone }, text });
      const t0 = performance.now();
      const post = fetch(`${url}/api/channel/inbound`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${company}` }, body,
      }).then((r) => { w.answered = performance.now(); return r.ok; });
      const timeout = new Promise((ok) => setTimeout(ok, 5000));
      await Promise.race([shown, timeout]);
      const ok = await post;
      out.push({ ok, shown: w.shown == null ? null : w.shown - t0, frame: w.frame == null ? null : w.frame - t0, answered: w.answered - t0 });
      await new Promise((r) => setTimeout(r, gap));
    }
  } finally { mo.disconnect(); window.__want = null; }
  return out;
}

export const DELIVERY = { rounds: Number(process.env.DELIVERY_ROUNDS || 3), messages: 300, warmup: 20, gap: 20 };

/**
 * `DELIVERY.rounds` fresh pages, each `messages` customer messages into the open chat (after `warmup`
 * not counted). `tmpfs`: the server's database on /dev/shm, where a commit waits for no fsync.
 */
export async function delivery({ tmpfs = false, rounds: howMany = DELIVERY.rounds } = {}) {
  const srv = await benchServer({ tmpfs });
  const browser = await launch();
  const rounds = [];
  try {
    const company = await companyToken(srv.url);
    for (let r = 0; r < howMany; r++) {
      const phone = `+38050777${String(r).padStart(4, '0')}`;
      const first = await inbound(srv.url, company, { name: 'Bench', phone, text: 'hello' });
      const { page, $ } = await panel(browser, srv, { initScripts: [FRAME_PROBE] });
      await openChat($, first.chatId);
      const all = await page.evaluate(deliveryLoop, {
        url: srv.url, company, phone, n: DELIVERY.messages + DELIVERY.warmup, gap: DELIVERY.gap, host: HOST,
      });
      await page.close();
      const xs = all.slice(DELIVERY.warmup);
      const shown = xs.filter((x) => x.shown != null);
      const pick = (k) => shown.map((x) => x[k]).filter((v) => v != null);
      const stats = (v) => ({ p50: percentile(v, 50), p99: percentile(v, 99), max: Math.max(...v) });
      rounds.push({
        n: xs.length, missed: xs.length - shown.length,
        shown: stats(pick('shown')), frame: stats(pick('frame')),
        widget: stats(shown.filter((x) => x.frame != null).map((x) => x.shown - x.frame)),
        answered: stats(pick('answered')),
        all: pick('shown'),
      });
    }
    return { rounds, server: serverKind() };
  } finally { await browser.close(); await stop(srv); }
}

// ---------------------------------------------------------------------------------------------------
// Probes shared by the long runs, installed before the widget loads.

/** The wasm instance's memory (caught as the glue instantiates it) and a count of object URLs. */
const MEMORY_PROBE = `(() => {
  const keep = (r) => {
    const memory = (r && (r.instance || r).exports || {}).memory;
    if (memory instanceof WebAssembly.Memory && !window.__wasmMemory) Object.defineProperty(window, '__wasmMemory', { value: memory });
    return r;
  };
  const streaming = WebAssembly.instantiateStreaming;
  if (streaming) WebAssembly.instantiateStreaming = (...a) => streaming.apply(WebAssembly, a).then(keep);
  const plain = WebAssembly.instantiate;
  WebAssembly.instantiate = (...a) => plain.apply(WebAssembly, a).then(keep);
  const live = new Set();
  const c = { made: 0, revoked: 0, peak: 0, get live() { return live.size; } };
  Object.defineProperty(window, '__blobs', { value: c });
  const make = URL.createObjectURL, revoke = URL.revokeObjectURL;
  URL.createObjectURL = function (o) { const u = make.call(URL, o); c.made++; live.add(u); c.peak = Math.max(c.peak, live.size); return u; };
  URL.revokeObjectURL = function (u) { if (live.delete(u)) c.revoked++; return revoke.call(URL, u); };
  // Messages (customers' and the operator's own) the page has taken off its socket: ReceiveMessage and
  // ReceiveMediaMessage (this listener runs just before the widget's).
  const got = { messages: 0 };
  Object.defineProperty(window, '__received', { value: got });
  const Native = WebSocket;
  window.WebSocket = class extends Native {
    constructor(...a) {
      super(...a);
      this.addEventListener('message', (e) => {
        if (typeof e.data === 'string') got.messages += e.data.split('"target":"ReceiveM').length - 1;
      });
    }
  };
})();`;

/** The JS heap after a full collection (DevTools protocol), the wasm memory, and what the panel holds. */
async function sample(page, cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = await cdp.send('Runtime.getHeapUsage');
  const inPage = await page.evaluate((host) => {
    const root = document.querySelector(host).shadowRoot;
    return {
      wasm: window.__wasmMemory?.buffer.byteLength ?? null,
      nodes: root.querySelectorAll('*').length,
      rows: root.querySelectorAll('button.chat').length,
      drawn: root.querySelectorAll('.messages .msg').length,
      blobsLive: window.__blobs.live, blobsMade: window.__blobs.made, blobsRevoked: window.__blobs.revoked, blobsPeak: window.__blobs.peak,
      blobsDrawn: root.querySelectorAll('.messages img.preview[src^="blob:"]').length,
    };
  }, HOST);
  return { heap: heap.usedSize, ...inPage };
}

// ---------------------------------------------------------------------------------------------------
// A shift, compressed (item 4): 300 customers write 20,000 messages at a steady rate while the operator,
// every few hundred messages, opens a chat that has unread messages and answers it. Every twentieth of
// the way the heap is collected and sampled, with the wasm memory and the panel's object URLs.

export const SHIFT = {
  chats: 300,
  messages: Number(process.env.SHIFT_MESSAGES || 20000),
  rate: Number(process.env.SHIFT_RATE || 200), // customer messages per second, at most
  ahead: 100, // posted but not yet taken by the page, at most (the browser sets the pace below the rate)
  maxSecs: Number(process.env.SHIFT_MAX_SECS || 720), // a bound on the run: it stops posting then
  // The operator works in the host page and opens the panel to answer (open), or keeps it open (kept).
  panel: process.env.SHIFT_PANEL || 'open',
  samples: 20,
  mediaEvery: 40, // one customer message in 40 is a picture
  actEvery: 150, // the operator opens a chat and answers every this many messages
};

/** A deterministic stream of customers: the first `chats` messages open a chat each, then at random. */
function customers(n, chats) {
  let x = 0x2545f491;
  const rnd = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 2 ** 32; };
  return Array.from({ length: n }, (_, i) => (i < chats ? i : Math.floor(rnd() * chats)));
}

const phoneOf = (c) => `+38067${String(1000000 + c).slice(1)}`;

function post(url, company, c, i, media) {
  const body = { organizationId: 1, source: c % 6, client: { name: `Customer ${c}`, phone: phoneOf(c) } };
  if (media) body.media = { name: `photo-${i}.png`, format: 'image/png', dataBase64: PNG_2X2.toString('base64'), type: 1 };
  else body.text = `shift message ${i} from customer ${c}`;
  return fetch(`${url}/api/channel/inbound`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${company}` }, body: JSON.stringify(body),
  }).then((r) => r.ok);
}

export async function shift() {
  const srv = await benchServer();
  const browser = await launch();
  try {
    const company = await companyToken(srv.url);
    const { page, $ } = await panel(browser, srv, { initScripts: [MEMORY_PROBE] });
    const cdp = await page.context().newCDPSession(page);
    const who = customers(SHIFT.messages, SHIFT.chats);
    const samples = [{ posted: 0, t: 0, ...(await sample(page, cdp)) }];
    const every = SHIFT.messages / SHIFT.samples;
    const start = Date.now();
    let posted = 0; let failed = 0; let acted = 0; let actFailed = 0;
    const inflight = new Set();
    let acting = Promise.resolve();
    const act = async (n) => {
      // Opens the first listed chat with unread messages (in the page: the list is redrawn as events
      // come, so the click must not wait), then answers in the composer.
      if (SHIFT.panel === 'open') await page.evaluate(() => ChatHub.get().open());
      const id = await page.evaluate((host) => {
        const b = document.querySelector(host).shadowRoot.querySelector('button.chat:has(.unread)');
        b?.click();
        return b?.dataset.chat ?? null;
      }, HOST);
      if (id == null) return;
      await $(`button.chat[data-chat="${id}"][aria-current=true]`).waitFor({ state: 'attached', timeout: 15000 });
      await $('textarea').fill(`Answer ${n}: thank you, we are on it.`);
      await $('textarea').press('Enter');
      acted++;
      if (SHIFT.panel === 'open') await page.evaluate(() => ChatHub.get().close());
    };
    if (SHIFT.panel === 'open') await page.evaluate(() => ChatHub.get().close());
    let received = 0;
    const taken = async () => { received = await page.evaluate(() => window.__received.messages); return received; };
    for (let i = 0; i < SHIFT.messages; i++) {
      const due = start + (i * 1000) / SHIFT.rate;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      while (inflight.size >= 32) await Promise.race(inflight);
      while (i - received > SHIFT.ahead && (await taken()) < i - SHIFT.ahead) await sleep(50);
      if ((Date.now() - start) / 1000 > SHIFT.maxSecs) break;
      const p = post(srv.url, company, who[i], i, i % SHIFT.mediaEvery === SHIFT.mediaEvery - 1)
        .then((ok) => { if (!ok) failed++; }, () => { failed++; })
        .finally(() => inflight.delete(p));
      inflight.add(p);
      posted = i + 1;
      if (posted % SHIFT.actEvery === 0) {
        acting = acting.then(() => act(posted)).catch(() => { actFailed++; });
      }
      if (posted % every === 0 && posted < SHIFT.messages) {
        await acting;
        samples.push({ posted, t: (Date.now() - start) / 1000, ...(await sample(page, cdp)) });
      }
    }
    await Promise.all(inflight);
    await acting;
    const postedSecs = (Date.now() - start) / 1000;
    // Every message taken by the page.
    while ((await taken()) < posted && (Date.now() - start) / 1000 < postedSecs + 120) await sleep(200);
    const drainSecs = (Date.now() - start) / 1000 - postedSecs;
    samples.push({ posted, t: (Date.now() - start) / 1000, ...(await sample(page, cdp)) });
    return { samples, wanted: SHIFT.messages, posted, received, panel: SHIFT.panel, failed, acted, actFailed, postedSecs, drainSecs, rate: SHIFT.rate, server: serverKind() };
  } finally { await browser.close(); await stop(srv); }
}

// ---------------------------------------------------------------------------------------------------
// Idle (item 4): the panel open on a chat for IDLE_SECS with nothing happening; every timer callback the
// page runs is counted (setTimeout, setInterval, requestAnimationFrame wrapped before the widget loads),
// and the hub frames it receives (the server's keep-alive pings), which wake it too.

export const IDLE_SECS = Number(process.env.IDLE_SECS || 300);

const WAKEUP_PROBE = `(() => {
  const c = { timeout: 0, interval: 0, raf: 0, frames: 0 };
  Object.defineProperty(window, '__wakeups', { value: c });
  const wrap = (name, key) => {
    const native = window[name];
    window[name] = function (f, ...a) {
      const g = typeof f === 'function' ? function (...x) { c[key]++; return f.apply(this, x); } : f;
      return native.call(window, g, ...a);
    };
  };
  wrap('setTimeout', 'timeout');
  wrap('setInterval', 'interval');
  wrap('requestAnimationFrame', 'raf');
  const Native = WebSocket;
  window.WebSocket = class extends Native {
    constructor(...a) { super(...a); this.addEventListener('message', () => { c.frames++; }); }
  };
})();`;

export async function idle(secs = IDLE_SECS) {
  const srv = await benchServer();
  const browser = await launch();
  try {
    const company = await companyToken(srv.url);
    const first = await inbound(srv.url, company, { name: 'Idle', phone: '+380509990001', text: 'are you there?' });
    const { page, $ } = await panel(browser, srv, { initScripts: [WAKEUP_PROBE] });
    await openChat($, first.chatId);
    await sleep(3000); // start-up's own timers settle
    const count = () => page.evaluate(() => ({ ...window.__wakeups }));
    const a = await count();
    await sleep(secs * 1000);
    const b = await count();
    const d = Object.fromEntries(Object.keys(a).map((k) => [k, b[k] - a[k]]));
    return { secs, ...d, timers: d.timeout + d.interval + d.raf };
  } finally { await browser.close(); await stop(srv); }
}

// ---------------------------------------------------------------------------------------------------
// A list of 1,000 chats (item 4): 1,000 customers on a fresh server; the panel loads them by scrolling
// the list to its end (a page of 50 at a time), then the loaded list is scrolled from top to bottom
// and back, a step per animation frame; long tasks (PerformanceObserver 'longtask', over 50 ms) are
// recorded in each phase.

export const LIST = { chats: 1000, rounds: Number(process.env.LIST_ROUNDS || 3), step: 240 };

const LONGTASK_PROBE = `(() => {
  const l = [];
  Object.defineProperty(window, '__longtasks', { value: l });
  new PerformanceObserver((list) => { for (const e of list.getEntries()) l.push({ start: e.startTime, duration: e.duration }); })
    .observe({ type: 'longtask', buffered: true });
})();`;

async function scrollList({ host, want, step }) {
  const root = document.querySelector(host).shadowRoot;
  const list = root.querySelector('ul.chats');
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const rows = () => list.querySelectorAll('button.chat').length;
  const tasks = (from) => window.__longtasks.filter((t) => t.start >= from);
  // Phase 1: to the end, until every chat is loaded (the seeded demo chats come on top of \`want\`):
  // no more rows for a second with the list at its end.
  const t1 = performance.now();
  let last = -1; let still = 0;
  while (rows() < want || still < 60) {
    list.scrollTop = list.scrollHeight;
    await frame();
    if (rows() === last) still++; else { still = 0; last = rows(); }
    if (performance.now() - t1 > 120000) break;
  }
  const loadMs = performance.now() - t1 - still * 16.7;
  const loaded = rows();
  await new Promise((r) => setTimeout(r, 500));
  // Phase 2: the loaded list, top to bottom and back.
  list.scrollTop = 0;
  await frame();
  const t2 = performance.now();
  let worstFrame = 0; let prev = t2;
  const tick = async () => { await frame(); const t = performance.now(); worstFrame = Math.max(worstFrame, t - prev); prev = t; };
  while (list.scrollTop + list.clientHeight < list.scrollHeight - 1) { list.scrollTop += step; await tick(); }
  while (list.scrollTop > 0) { list.scrollTop -= step; await tick(); }
  const scrollMs = performance.now() - t2;
  await new Promise((r) => setTimeout(r, 200));
  const p1 = tasks(t1).filter((t) => t.start < t2);
  const p2 = tasks(t2);
  const sum = (xs) => ({ count: xs.length, max: Math.max(0, ...xs.map((t) => t.duration)) });
  return { loaded, loadMs, scrollMs, worstFrame, load: sum(p1), scroll: sum(p2), nodes: root.querySelectorAll('*').length };
}

export async function bigList() {
  const srv = await benchServer();
  const browser = await launch();
  try {
    const company = await companyToken(srv.url);
    const ids = Array.from({ length: LIST.chats }, (_, i) => i);
    for (let i = 0; i < ids.length; i += 16) {
      await Promise.all(ids.slice(i, i + 16).map((c) => inbound(srv.url, company, { name: `List ${c}`, phone: `+38066${String(1000000 + c).slice(1)}`, text: `hello from ${c}` })));
    }
    const rounds = [];
    for (let r = 0; r < LIST.rounds; r++) {
      const { page } = await panel(browser, srv, { initScripts: [LONGTASK_PROBE] });
      await page.locator(`${HOST} button.chat`).first().waitFor();
      rounds.push(await page.evaluate(scrollList, { host: HOST, want: LIST.chats, step: LIST.step }));
      await page.close();
    }
    return { rounds, server: serverKind() };
  } finally { await browser.close(); await stop(srv); }
}
