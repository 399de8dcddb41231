// Start-up over an emulated slow network, for the e2e test and the benchmark alike: a host page with
// the documented static embed, Chromium's network emulation, a record of every request from the
// DevTools protocol, and the serial round trips behind a request.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './server.mjs';

export const HOST_ID = 'operator-chat-panel-script-host';
export const isList = (url) => new URL(url).pathname === '/api/chat/chats';
export const isNegotiate = (url) => new URL(url).pathname.endsWith('/chathub/negotiate');

const freePort = () => new Promise((ok, fail) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
  s.on('error', fail);
});

/**
 * A server whose www folder holds `embed.html`: the script tag as the README documents it, in the
 * page's HTML (no token fetch before it), with the reference server's development token.
 */
export async function embedServer() {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const www = mkdtempSync(join(tmpdir(), 'chathub-embed-'));
  writeFileSync(join(www, 'embed.html'), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>embed</title><link rel="icon" href="data:,">
<script type="module" id="operator-chat-panel-script" src="/operator-chat-panel/widget-script.js"
  token="test-token-for-development" api="${origin}" open></script>
</head><body></body></html>
`);
  const srv = await startServer({ addr: `127.0.0.1:${port}`, www });
  return { ...srv, page: `${origin}/embed.html` };
}

/** Sets `window.__firstChat` to performance.now() (ms since navigation) when a chat is first listed. */
export const FIRST_CHAT_PROBE = `(() => {
  const seen = (root) => root.querySelector('button.chat') && (window.__firstChat ??= performance.now());
  new MutationObserver((_, doc) => {
    const root = document.getElementById(${JSON.stringify(HOST_ID)})?.shadowRoot;
    if (!root) return;
    doc.disconnect();
    if (!seen(root)) new MutationObserver((_, o) => seen(root) && o.disconnect()).observe(root, { childList: true, subtree: true });
  }).observe(document, { childList: true, subtree: true });
})();`;

/**
 * Records the page's requests through the DevTools protocol, with `latencyMs` added to each by
 * Chromium's network emulation. `requests()` lists those since the last `reset()`: url, start and
 * response times (seconds, one monotonic clock), status (`wireStatus`: as the server sent it, 304 for a
 * revalidation), headers, and whether the cache answered.
 */
export async function recordNetwork(page, latencyMs) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: latencyMs, downloadThroughput: -1, uploadThroughput: -1 });
  let byId = new Map();
  let sockets = [];
  cdp.on('Network.requestWillBeSent', (e) => {
    if (!e.request.url.startsWith('http')) return;
    byId.set(e.requestId, { url: e.request.url, start: e.timestamp, cached: false });
  });
  cdp.on('Network.requestServedFromCache', (e) => { const r = byId.get(e.requestId); if (r) r.cached = true; });
  cdp.on('Network.responseReceived', (e) => {
    const r = byId.get(e.requestId);
    if (!r) return;
    Object.assign(r, { response: e.timestamp, status: e.response.status, headers: e.response.headers });
    if (e.response.fromDiskCache || e.response.fromPrefetchCache || e.response.fromServiceWorker) r.cached = true;
  });
  // The status on the wire: a revalidated response is reported as the cached 200 above, its 304 here.
  let wire = new Map();
  cdp.on('Network.responseReceivedExtraInfo', (e) => wire.set(e.requestId, e.statusCode));
  // The hub's socket is two more serial steps: the upgrade, then SignalR's handshake record and its
  // answer (the first frame each way).
  const ws = new Map();
  const wsUrl = new Map();
  cdp.on('Network.webSocketCreated', (e) => wsUrl.set(e.requestId, e.url));
  cdp.on('Network.webSocketWillSendHandshakeRequest', (e) => {
    const url = wsUrl.get(e.requestId) ?? 'ws:unknown';
    sockets.push({ url, start: e.timestamp });
    ws.set(e.requestId, { url, upgrade: { url, start: e.timestamp, cached: false } });
  });
  cdp.on('Network.webSocketHandshakeResponseReceived', (e) => { const w = ws.get(e.requestId); if (w) w.upgrade.response = e.timestamp; });
  cdp.on('Network.webSocketFrameSent', (e) => {
    const w = ws.get(e.requestId);
    if (w && !w.hub) w.hub = { url: `${w.url}#handshake`, start: e.timestamp, cached: false };
  });
  cdp.on('Network.webSocketFrameReceived', (e) => {
    const w = ws.get(e.requestId);
    if (w?.hub && w.hub.response == null) w.hub.response = e.timestamp;
  });
  return {
    requests: () => [
      ...[...byId].map(([id, r]) => ({ ...r, wireStatus: wire.get(id) })),
      ...[...ws.values()].flatMap((w) => [w.upgrade, w.hub].filter(Boolean)),
    ],
    sockets: () => sockets,
    reset() { byId = new Map(); wire = new Map(); sockets = []; ws.clear(); },
  };
}

/** A response header, whatever its case. */
export const header = (r, name) => Object.entries(r.headers || {}).find(([k]) => k.toLowerCase() === name)?.[1];

/**
 * The serial round trips up to and including `target`: 1 + the most behind any request whose response
 * had begun when `target` was sent. Requests the cache answered cost none.
 */
export function roundTrips(requests, target) {
  const net = requests.filter((r) => !r.cached && r.response != null).sort((a, b) => a.start - b.start);
  const depth = new Map();
  for (const r of net) {
    const before = net.filter((q) => q !== r && depth.has(q) && q.response <= r.start);
    depth.set(r, 1 + Math.max(0, ...before.map((q) => depth.get(q))));
  }
  return depth.get(target);
}
