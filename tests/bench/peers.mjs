// Peers side by side (issue 16, item 6): the open chat widget published on the npm registry,
// @rocket.chat/livechat, fetched at a pinned version with `npm pack` into a temporary folder. What its
// widget page downloads is measured two ways, with the same zlib gzip -9 as ours:
//   - as built: the embed script a host page loads, the widget page it frames (build/index.html) and the
//     scripts that page names;
//   - as run: the build served from loopback to headless Chromium, the embed script on a blank host page,
//     every file the browser then asks for recorded (the DevTools protocol). No Rocket.Chat server runs
//     here: its API answers 404, so the widget shows what it shows without its server, and any chunk it
//     would load only once connected (a chat room, a form) is not in this figure.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, existsSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, extname, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launch } from '../e2e/lib/browser.mjs';

export const LIVECHAT = '@rocket.chat/livechat@1.13.3';

const gz = (buf) => gzipSync(buf, { level: 9 }).length;
const TYPES = { '.js': 'text/javascript', '.html': 'text/html', '.css': 'text/css', '.png': 'image/png', '.svg': 'image/svg+xml', '.json': 'application/json', '.woff2': 'font/woff2', '.woff': 'font/woff' };

function fetchPeer(spec) {
  const dir = mkdtempSync(join(tmpdir(), 'chathub-peer-'));
  const out = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', dir], { cwd: dir, encoding: 'utf8', timeout: 180000 });
  const tgz = join(dir, out.trim().split('\n').pop());
  execFileSync('tar', ['xzf', tgz, '-C', dir]);
  return { dir, pkg: join(dir, 'package'), tgz, tgzBytes: statSync(tgz).size };
}

/** The files the built widget page names: the embed script, index.html and its script tags. */
function asBuilt(build) {
  const html = readFileSync(join(build, 'index.html'), 'utf8');
  const scripts = [...html.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1].replace(/^livechat\//, ''));
  const links = [...html.matchAll(/<link[^>]+href="([^"]+)"/g)].map((m) => m[1].replace(/^livechat\//, '')).filter((f) => /\.css$/.test(f));
  const files = ['rocketchat-livechat.min.js', 'index.html', ...scripts, ...links];
  return files.map((f) => { const buf = readFileSync(join(build, f)); return { file: f, raw: buf.length, gz: gz(buf) }; });
}

/** Serves `build` as a Rocket.Chat server would lay it out: /livechat is the page, /livechat/* its files. */
function serve(build) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = null;
    if (path === '/host.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      const origin = `http://127.0.0.1:${server.address().port}`;
      return res.end(`<!doctype html><html><head><meta charset="utf-8"><title>host</title><link rel="icon" href="data:,"></head><body>
<script>(function(w, d, s, u) {
  w.RocketChat = function(c) { w.RocketChat._.push(c) }; w.RocketChat._ = []; w.RocketChat.url = u;
  var h = d.getElementsByTagName(s)[0], j = d.createElement(s); j.async = true; j.src = u + '/rocketchat-livechat.min.js';
  h.parentNode.insertBefore(j, h);
})(window, document, 'script', '${origin}/livechat');</script></body></html>`);
    }
    if (path === '/livechat' || path === '/livechat/') file = join(build, 'index.html');
    else if (path.startsWith('/livechat/')) file = normalize(join(build, path.slice('/livechat/'.length)));
    if (!file || !file.startsWith(build) || !existsSync(file) || statSync(file).isDirectory()) { res.writeHead(404); return res.end(); }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

/** The page in Chromium: every response body the host page and its frames received, gzip -9 each. */
async function asRun(build) {
  const server = await serve(build);
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const cdp = await page.context().newCDPSession(page);
    const seen = [];
    page.on('response', async (r) => {
      const url = new URL(r.url());
      if (!url.pathname.startsWith('/livechat') || r.status() !== 200) return;
      try { const body = await r.body(); seen.push({ file: url.pathname.replace(/^\/livechat\/?/, '') || 'index.html (the framed page)', raw: body.length, gz: gz(body) }); } catch { /* gone */ }
    });
    const api = [];
    page.on('request', (r) => { if (/\/api\//.test(r.url())) api.push(new URL(r.url()).pathname); });
    await page.goto(`http://127.0.0.1:${server.address().port}/host.html`);
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(1500);
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = (await cdp.send('Runtime.getHeapUsage')).usedSize;
    const frames = page.frames().length;
    await page.close();
    const uniq = [...new Map(seen.map((x) => [x.file, x])).values()];
    return { files: uniq, api: [...new Set(api)], heap, frames };
  } finally { await browser.close(); server.close(); }
}

export async function peers() {
  const { dir, pkg, tgzBytes } = fetchPeer(LIVECHAT);
  try {
    const build = join(pkg, 'build');
    const meta = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
    const lazy = readdirSync(build).filter((f) => /\.chunk\.[0-9a-f]+\.js$/.test(f) && !f.startsWith('vendors~'));
    const built = asBuilt(build);
    let run = null; let runError = null;
    try { run = await asRun(build); } catch (e) { runError = String(e.message || e).split('\n')[0]; }
    return { name: meta.name, version: meta.version, license: meta.license, tgzBytes, built, run, runError, lazyChunks: lazy.length };
  } finally { rmSync(dir, { recursive: true, force: true }); }
}
