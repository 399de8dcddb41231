// Benchmarks: figures, not tests. Writes BENCHMARKS.md with sizes, where the wasm's bytes go, start-up and
// live-message latency, and the reference server under an office's load, each compared with its budget
// from the issues.
//
//   node tests/bench/run.mjs <names-kept wasm> [<loadbench binary>]
//   node tests/bench/run.mjs --server-load [<loadbench binary>]   (that section only, printed)
//   node tests/bench/run.mjs --part delivery|shift|idle|list|peers  (one part's figures as JSON, printed)
//   (./build.sh bench builds dist/, that wasm, and a release server with its loadbench example first)
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { cpus, loadavg, totalmem } from 'node:os';
import * as panelBench from './panel.mjs';
import { peers as peerBench } from './peers.mjs';
import { deliverySection, shiftSection, idleSection, listSection, peersSection } from './sections.mjs';
import { startServer, ROOT } from '../e2e/lib/server.mjs';
import { launch, openPage, inPanel } from '../e2e/lib/browser.mjs';
import { crateSizes, gzipWeights } from '../../tools/wasm-crates.mjs';
import { embedServer, recordNetwork, roundTrips, isList, FIRST_CHAT_PROBE } from '../e2e/lib/startup.mjs';

const DIST = join(ROOT, 'dist/operator-chat-panel');
const BUDGET_GZIP = 100 * 1024; // build.sh's BUDGET_GZIP
// The glue and the wasm carry content hashes in their names (tools/hash-assets.mjs).
const part = (f) => (f === 'widget-script.js' ? 'loader' : f.endsWith('.wasm') ? 'wasm' : f.endsWith('.js') ? 'glue' : '');
const ROUNDS = Number(process.env.ROUNDS || 15);
// Start-up over a slow network: Chromium adds this to every request; the budgets are in round trips.
const LATENCY_MS = 100;
const BUDGET = { cold: 5, reload: 3 };
// The same benchmark on the commit before issue 16's start-up work (fc8ed06: the glue imported
// statically, the list after the hub's handshake, no cache headers), measured once on this machine
// (9 runs, load average 9 on 2 cores). Its reload varied with the browser's heuristic caching of
// files without Cache-Control: 8 RT (everything revalidated) or 5 RT (~550 ms).
const BEFORE = { cold: { rt: 8, ms: 950 }, reload: { rt: 8, ms: 810 } };

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${Math.round(x)} ms`;

function sizes() {
  const rows = readdirSync(DIST).filter((f) => /\.(js|wasm|css)$/.test(f)).map((f) => {
    const buf = readFileSync(join(DIST, f));
    return { f, part: part(f), raw: buf.length, gz: gzipSync(buf, { level: 9 }).length };
  });
  return { rows, total: rows.reduce((a, r) => a + r.gz, 0) };
}

async function timings() {
  const srv = await startServer();
  const browser = await launch();
  try {
    const startup = [];
    for (let i = 0; i < ROUNDS; i++) {
      const { page } = await openPage(browser);
      await page.goto(`${srv.url}/`);
      // From navigation start to the panel's connected state, measured by the page's own clock.
      await inPanel(page, '.conn[data-state=connected]').waitFor();
      startup.push(await page.evaluate(() => performance.now()));
      await page.close();
    }
    return { startup };
  } finally { await browser.close(); await srv.stop(); }
}

/**
 * Navigation to the first chat shown, on the documented static embed, with ${LATENCY_MS} ms added to every
 * request: a cold visit (fresh browser profile) then a reload in the same one. Round trips are the serial
 * requests behind the first chat-list request that answered (the chats show when it lands).
 */
async function startup() {
  const srv = await embedServer();
  const browser = await launch();
  const out = { cold: [], reload: [] };
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.addInitScript(FIRST_CHAT_PROBE);
        const net = await recordNetwork(page, LATENCY_MS);
        for (const kind of ['cold', 'reload']) {
          net.reset();
          await (kind === 'cold' ? page.goto(srv.page) : page.reload());
          await page.waitForFunction(() => window.__firstChat != null, null, { timeout: 30000 });
          const ms = await page.evaluate(() => window.__firstChat);
          const reqs = net.requests();
          const list = reqs.filter((r) => isList(r.url) && r.response != null).sort((a, b) => a.response - b.response)[0];
          out[kind].push({ ms, rt: roundTrips(reqs, list), requests: reqs.filter((r) => !r.cached && r.url.startsWith("http")).length });
        }
      } finally { await context.close(); }
    }
    return out;
  } finally { await browser.close(); await srv.stop(); }
}

const row = (label, xs, budget, before) => {
  const t = xs.map((x) => x.ms);
  const rt = xs.map((x) => x.rt);
  const over = median(t) - budget * LATENCY_MS;
  const verdict = `round trips **${median(rt) <= budget ? 'within' : 'over'}**, time **${over <= 0 ? 'within' : `over by ${ms(over)}`}**`;
  return `| ${label} | ${median(rt)} (${Math.min(...rt)}–${Math.max(...rt)}) | ${ms(median(t))} | ${ms(Math.min(...t))} | ${ms(Math.max(...t))} | ${median(xs.map((x) => x.requests))} | ≤ ${budget} RT, ~${budget * LATENCY_MS} ms: ${verdict} | ${before.rt} RT, ${before.ms} ms |`;
};

// The reference server under an office's load (issue 16, item 5): server/examples/loadbench.rs against a
// release build, LOAD_RUNS times; it exits 1 when any event reached another organization's operator.
const LOAD_RUNS = Number(process.env.LOAD_RUNS || 3);
const LOAD_ARGS = ['--connections', '1000', '--orgs', '10', '--rate', '200', '--secs', '15', '--burst-secs', '4'];
const FANOUT_P99_BUDGET = 50; // ms, issue 16

// The database goes in the temporary folder (on disk). One more run puts it on tmpfs, where an fsync
// costs nothing: the difference is what the disk's fsync adds (on a shared machine, others' writes).
const TMPFS = '/dev/shm';

function serverLoad(bin, runsWanted = LOAD_RUNS, env = {}) {
  const server = join(ROOT, 'target/release/chathub-server');
  if (!existsSync(bin) || !existsSync(server)) throw new Error(`server load: build ${bin} and ${server} first (./build.sh bench)`);
  const runs = [];
  for (let i = 0; i < runsWanted; i++) {
    let out;
    try {
      out = execFileSync(bin, ['--server', server, ...LOAD_ARGS], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 120000, env: { ...process.env, ...env } });
    } catch (e) {
      // Exit 1 with a report: some event went to the wrong organization. Keep the figures, fail the run.
      if (!e.stdout) throw e;
      out = e.stdout;
    }
    runs.push(JSON.parse(out.trim().split('\n').pop()));
  }
  return runs;
}

let LOAD_AVG = [];

function serverLoadAll(bin) {
  LOAD_AVG = loadavg();
  const disk = serverLoad(bin);
  const tmpfs = existsSync(TMPFS) ? serverLoad(bin, 1, { TMPDIR: TMPFS }) : [];
  return { disk, tmpfs };
}

function loadSection({ disk: runs, tmpfs }) {
  const row = (label, f, unit = '', digits = 1) => {
    const xs = runs.map(f);
    const fmt = (x) => `${x.toFixed(digits)}${unit}`;
    return `| ${label} | ${fmt(median(xs))} | ${fmt(Math.min(...xs))} | ${fmt(Math.max(...xs))} |`;
  };
  const r0 = runs[0];
  const wrong = [...runs, ...tmpfs].reduce((a, r) => a + r.wrongOrganization, 0);
  const p99 = median(runs.map((r) => r.fanoutMs.p99));
  return `## The reference server under an office's load

\`server/examples/loadbench.rs\` against a release \`chathub-server\` on a fresh database: ${r0.organizations}
companies with one organization each (\`add-company\`), ${r0.connections} operators
(\`/api/operator/synchronize\`, \`/api/operator/get-token\`), one hub connection each (JSON protocol over
tokio-tungstenite, in the same process). Customers post ${r0.rateTarget} messages per second through
\`POST /api/channel/inbound\` for ${r0.secs} s (open loop, round robin over the organizations and 20
customers each; each message also emits \`UnreadChanged\`, and a customer's first one \`ChatCreated\`). Each
text carries the client's clock at the POST's start; every connection measures the fan-out latency on that
clock and checks that it hears only its own organization. Then ${r0.writeBurst.posters} closed-loop posters
write as fast as the server answers for a few seconds, with every connection still listening: the write
rate the store sustains (one transaction per message: the message, 2 or 3 logged events, a chat now and
then; WAL, \`synchronous=FULL\`). The per-token rate limit is raised for the run so that this phase
measures the store, not the limiter. Memory is the server's VmRSS (\`/proc/<pid>/status\`) before and
after the connections open. ${runs.length} runs; the machine's other work shows in the spread.

| figure | median | min | max |
|---|---:|---:|---:|
${row('fan-out latency p50 (POST start → event at the operator)', (r) => r.fanoutMs.p50, ' ms')}
${row('fan-out latency p99', (r) => r.fanoutMs.p99, ' ms')}
${row('fan-out latency max', (r) => r.fanoutMs.max, ' ms')}
${row('POST inbound response p50', (r) => r.postMs.p50, ' ms')}
${row('POST inbound response p99', (r) => r.postMs.p99, ' ms')}
${row('messages posted per second (paced phase)', (r) => r.postedPerSec, '/s')}
${row('deliveries to the right operators, of expected', (r) => 100 * r.delivered / r.deliveriesExpected, ' %', 2)}
${row('events delivered to another organization', (r) => r.wrongOrganization, '', 0)}
${row('connections the server dropped', (r) => r.droppedConnections, '', 0)}
${row('server RSS before the connections', (r) => r.rssKb.beforeConnections / 1024, ' MiB')}
${row('server RSS with the connections open', (r) => r.rssKb.connected / 1024, ' MiB')}
${row('server RSS after the load', (r) => r.rssKb.afterLoad / 1024, ' MiB')}
${row('server memory per connection', (r) => r.rssPerConnectionKb, ' KiB')}
${row('server CPU during the paced phase', (r) => r.serverCpuCores, ' cores', 2)}
${row('bench client CPU (same machine)', (r) => r.clientCpuCores, ' cores', 2)}
${row('sustained write rate (closed loop, all connections listening)', (r) => r.writeBurst.perSec, ' msg/s', 0)}
${row('POST response p99 in that phase', (r) => r.writeBurst.postMs.p99, ' ms')}
${row('opening the connections', (r) => r.connectSecs, ' s', 2)}
${tmpfs.map((r) => `| database on tmpfs (no fsync wait), one run: fan-out p50 / p99 / max | ${r.fanoutMs.p50.toFixed(1)} / ${r.fanoutMs.p99.toFixed(1)} / ${r.fanoutMs.max.toFixed(1)} ms | | |
| database on tmpfs: sustained write rate | ${r.writeBurst.perSec.toFixed(0)} msg/s | | |
| database on tmpfs: events delivered to another organization | ${r.wrongOrganization} | | |`).join('\n')}

Before the fixes (same bench, same machine, 3 runs of 15 s): fan-out p50 1209 ms and p99 2982 ms (the
server could not keep up with 200 messages/s: 148 msg/s closed loop), 135 KiB per connection, 0.84 cores.
What limited it, in order: every write's fsync under the one store mutex, with every read (the token check
of each request) queued behind it; one broadcast channel for all, so each event woke all 1,000
connections to be filtered, and each connection serialized the event again; tungstenite's 128 KiB read
buffer, allocated and zeroed per socket. Now: group commit (one writer thread, one transaction and one
fsync for the writes waiting, a savepoint each), read-only connections beside the writer, a channel per
organization, one frame per event, one flush per burst, and a 4 KiB read buffer (server/README.md).

The p50 is steady; the p99 and the write rate move from run to run with the machine (2 cores shared
with other developers; load average ${LOAD_AVG.map((x) => x.toFixed(1)).join(' / ')} over 1 / 5 / 15 minutes when this
section started). Two things stretch the tail: with \`synchronous=FULL\` each batch waits for its fsync,
which sometimes waits behind other processes' writes (the builds just before this run, for one), stalling
the writes queued meanwhile; and CPU time the server's threads wait for. The tmpfs run takes the first
away; what remains there is the second. \`synchronous=NORMAL\` would take the fsync off the answer at
the price of the last writes on a power cut; we keep FULL.

Budget (issue 16): the server holds ${r0.connections} connections with fan-out p99 ≤ ${FANOUT_P99_BUDGET} ms, and none to the
wrong organization. Now: **fan-out p99 ${p99 <= FANOUT_P99_BUDGET ? 'within budget' : 'over budget'}** (median ${p99.toFixed(1)} ms on disk${tmpfs.length ? `, ${tmpfs[0].fanoutMs.p99.toFixed(1)} ms on tmpfs` : ''});
**${wrong === 0 ? 'no event reached another organization' : `${wrong} events reached another organization: the bench fails`}**.
`;
}

if (process.argv[2] === '--part') {
  // One part's figures, printed as JSON (BENCHMARKS.md is left alone): node tests/bench/run.mjs --part shift
  const parts = { delivery: panelBench.delivery, shift: panelBench.shift, idle: panelBench.idle, list: panelBench.bigList, peers: peerBench };
  const fn = parts[process.argv[3]];
  if (!fn) throw new Error(`--part ${Object.keys(parts).join('|')}`);
  console.log(JSON.stringify(await fn(), null, 1));
  process.exit(0);
}
if (process.argv[2] === '--server-load') {
  // Only this section, printed (BENCHMARKS.md is left alone): node tests/bench/run.mjs --server-load [bin]
  console.log(loadSection(serverLoadAll(process.argv[3] || join(ROOT, 'target/release/examples/loadbench'))));
  process.exit(0);
}
const namesWasm = process.argv[2];
if (!namesWasm) throw new Error('usage: node tests/bench/run.mjs <names-kept wasm> (./build.sh bench)');
const s = sizes();
const c = crateSizes(readFileSync(namesWasm));
const w = gzipWeights(readFileSync(namesWasm));
const glueAndLoader = s.rows.filter((r) => r.part !== 'wasm').reduce((a, r) => a + r.gz, 0);
const pct = (x) => `${(100 * x / c.code).toFixed(1)}%`;
const began = Date.now();
const loadStart = loadavg();
const say = (what) => console.error(`==> bench: ${what} (${Math.round((Date.now() - began) / 1000)} s in, load ${loadavg()[0].toFixed(1)})`);
say('peers');
const peer = await peerBench();
// The idle panel runs its 5 minutes in a browser and on a server of its own, beside the parts below.
say(`idle panel, ${panelBench.IDLE_SECS} s, in the background`);
const idleRun = panelBench.idle();
idleRun.catch(() => {});
say('timings');
const t = await timings();
say('start-up');
const st = await startup();
say('delivery');
const delivery = await panelBench.delivery();
const deliveryTmpfs = await panelBench.delivery({ tmpfs: true, rounds: 1 });
say('shift');
const shift = await panelBench.shift();
say('list of 1,000 chats');
const list = await panelBench.bigList();
say('waiting for the idle panel');
const idle = await idleRun;
say('server load');
const load = serverLoadAll(process.argv[3] || join(ROOT, 'target/release/examples/loadbench'));
const loadEnd = loadavg();
const chromium = await (async () => { const b = await launch(); try { return b.version(); } finally { await b.close(); } })();
const md = `# Benchmarks

Written by \`./build.sh bench\` on ${new Date().toISOString().slice(0, 10)} in ${Math.round((Date.now() - began) / 60000)} minutes. Tests assert behaviour; these figures
are compared with the budgets here, not in tests. Each figure has its budget where the issues set one, and the
median and spread (min–max) over the runs said beside it.

The machine: ${cpus().length} cores (\`nproc\`), ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB of memory, shared with other
developers' builds and tests: load average ${loadStart.map((x) => x.toFixed(1)).join(' / ')} (1 / 5 / 15 minutes) when the run started and
${loadEnd.map((x) => x.toFixed(1)).join(' / ')} when it ended, so the timings are indicative and the spreads wide. Headless Chromium
${chromium}, Node ${process.version}; the servers on loopback.

## Shipped size (gzip -9)

| file | part | bytes | gzip |
|---|---|---:|---:|
${s.rows.map((r) => `| ${r.f} | ${r.part} | ${r.raw} | ${r.gz} |`).join('\n')}
| **total to show the panel in English** | | | **${s.total}** |

Budget (the open issue): ${BUDGET_GZIP} bytes gzip for loader, glue, wasm and CSS (the CSS is inside the
wasm). Now: **${s.total <= BUDGET_GZIP ? 'within budget' : `over budget by ${s.total - BUDGET_GZIP} bytes`}**.
\`./build.sh\` fails when the total is over budget.

How it is built: \`wasm-pack build --target web --profile wasm-release\` on the stable compiler of
\`rust-toolchain.toml\` (the widget's size profile: \`opt-level="z"\`, LTO, one codegen unit,
\`panic="abort"\`), then \`wasm-opt -Oz\` from npm's binaryen; terser minifies the glue wasm-bindgen
generated and the loader. Other languages are \`locales/*.json\`, fetched only when used, so they are not in
the total.

## Where the wasm's bytes go

Function bodies of the shipped wasm (raw bytes, before gzip) by the crate that defines them, read from the
same \`wasm-opt -Oz\` output with the function names kept (\`tools/wasm-crates.mjs\`). Generic code counts
where it is defined: \`Vec<Chat>\`'s methods are alloc's, and \`core::ptr::drop_in_place\` is the drop glue
of every type, so core and alloc include code the widget's own types instantiate. "exports" are the
\`#[wasm_bindgen]\` functions under their JS names (an "externref shim" is wasm-bindgen's wrapper of one),
with all that LTO inlined into them. gzip shrinks each part differently; the shares are of raw code.

| crate or module | functions | bytes | share of code |
|---|---:|---:|---:|
${c.groups.map((g) => `| ${g.group} | ${g.count} | ${g.size} | ${pct(g.size)} |`).join('\n')}
| **code** | ${c.groups.reduce((a, g) => a + g.count, 0)} | **${c.code}** | |

Other sections: ${c.sections.filter((x) => x.label !== 'code').map((x) => `${x.label} ${x.size}`).join(', ')} bytes.
The data section holds the CSS, the English strings and every other constant; the import section names
each JS function the glue provides.

What each part weighs after gzip, found by emptying its function bodies and compressing again
(\`gzipWeights\` in \`tools/wasm-crates.mjs\`; approximate, since gzip's savings do not add up exactly):

| part | gzip bytes |
|---|---:|
| the widget's own functions (with the library code LTO inlined into them) | ${w.own} |
| the libraries' functions (std, serde, serde-wasm-bindgen, gloo, futures, wasm-bindgen, js-sys, web-sys, talc) | ${w.libraries} |
| the rest of the wasm: data (CSS, English strings, std's messages and tables), imports, tables | ${w.rest} |
| glue and loader | ${glueAndLoader} |

Without any of the widget's functions, the libraries' code, the data (the widget's CSS and strings among
it) and the glue would take about
${w.libraries + w.rest + glueAndLoader} bytes of the ${BUDGET_GZIP}-byte budget, which leaves about ${BUDGET_GZIP - w.libraries - w.rest - glueAndLoader}
for the widget's code; it takes ${w.own}.

Largest functions:

| function | bytes |
|---|---:|
${c.top.map((f) => `| \`${f.name.replace(/\|/g, '\\|')}\` | ${f.size} |`).join('\n')}

## Start-up over a slow network (issue 16)

Headless Chromium against a real \`chathub-server\` on loopback, with Chromium's network emulation
(DevTools \`Network.emulateNetworkConditions\`) adding ${LATENCY_MS} ms to every request. A host page with the
documented static script tag (\`tests/e2e/lib/startup.mjs\`), from navigation to the first chat shown in the
panel (the page's own clock). A cold visit starts from an empty browser profile; the reload follows in the
same one. Round trips (RT) are the serial requests up to the chat-list request whose answer shows the chats,
counting the page itself, and the hub's socket upgrade and handshake where the list waited for them;
requests the cache answered cost none. ${ROUNDS} runs each: median (min–max); load average during the run
${loadavg()[0].toFixed(1)} on ${cpus().length} cores, so the time beyond the round trips (parsing, compiling
and starting the wasm, drawing) is inflated by whatever else the machine runs.

| visit | round trips | median | min | max | requests to the network | budget | before |
|---|---:|---:|---:|---:|---:|---|---|
${row('cold', st.cold, BUDGET.cold, BEFORE.cold)}
${row('reload', st.reload, BUDGET.reload, BEFORE.reload)}

The chain, cold: the page; the loader; then the glue, the wasm and the first chat-list page side by side
(the loader fetches the wasm at once and streams it into \`WebAssembly.instantiateStreaming\`, and asks for
the list page itself, which the panel adopts when it would have asked the same). On a reload the glue, the wasm and the locales (content-hashed
names, \`immutable\` for a year) and the loader (fresh for 5 minutes, then revalidated) come from the cache, and
the compiled wasm from the browser's code cache: the page and the list remain. "before" is the same benchmark
on the commit before this work (fc8ed06).

What the cold time spends beyond its 3 × 100 ms (resource timing): about 20 ms parsing the page before
the loader is asked for, a few ms per response beyond the emulated 100 ms, and, once the glue, the wasm
and the list have arrived together, compiling and instantiating the wasm, mounting (the panel's DOM and
stylesheet) and drawing the chats. Each cold start also asks for the list a second time once the hub
session is up (after the first chats show), since the first page was answered before the session and
could miss a chat.

## Timings (headless Chromium, server on loopback)

The demo host page (it fetches a token first, then injects the script tag), no network emulation, ${ROUNDS} runs.

| figure | budget | median | min | max |
|---|---|---:|---:|---:|
| page navigation to panel connected | none set | ${ms(median(t.startup))} | ${ms(Math.min(...t.startup))} | ${ms(Math.max(...t.startup))} |

${deliverySection(delivery, deliveryTmpfs)}
${shiftSection(shift)}
${idleSection(idle)}
${listSection(list)}
${peersSection(peer, { ...s, heap: shift.samples[0].heap, wasm: shift.samples[0].wasm })}
${loadSection(load)}`;
writeFileSync(join(ROOT, 'BENCHMARKS.md'), md);
console.log(md);
if ([...load.disk, ...load.tmpfs].some((r) => r.wrongOrganization > 0)) {
  console.error('server load: events reached another organization\'s operators');
  process.exit(1);
}
