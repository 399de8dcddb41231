// Benchmarks: figures, not tests. Writes BENCHMARKS.md with sizes, where the wasm's bytes go, start-up and
// live-message latency, each compared with its budget from the issues.
//
//   node tests/bench/run.mjs <names-kept wasm>      (./build.sh bench builds dist/ and that wasm first)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { startServer, companyToken, inbound, ROOT } from '../e2e/lib/server.mjs';
import { launch, openPage, inPanel } from '../e2e/lib/browser.mjs';
import { crateSizes } from '../../tools/wasm-crates.mjs';
import { embedServer, recordNetwork, roundTrips, isList, FIRST_CHAT_PROBE } from '../e2e/lib/startup.mjs';

const DIST = join(ROOT, 'dist/operator-chat-panel');
const BUDGET_GZIP = 100 * 1024; // build.sh's BUDGET_GZIP
// The glue and the wasm carry content hashes in their names (tools/hash-assets.mjs).
const part = (f) => (f === 'widget-script.js' ? 'loader' : f.endsWith('.wasm') ? 'wasm' : f.endsWith('.js') ? 'glue' : '');
const ROUNDS = 15;
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
    const company = await companyToken(srv.url);
    const startup = [];
    const live = [];
    for (let i = 0; i < ROUNDS; i++) {
      const { page } = await openPage(browser);
      await page.goto(`${srv.url}/`);
      // From navigation start to the panel's connected state, measured by the page's own clock.
      await inPanel(page, '.conn[data-state=connected]').waitFor();
      startup.push(await page.evaluate(() => performance.now()));
      const text = `bench ${i} ${Date.now()}`;
      const t0 = Date.now();
      await inbound(srv.url, company, { name: 'Bench', phone: '+380509990000', text });
      await inPanel(page, '.chat').getByText(text).waitFor();
      live.push(Date.now() - t0);
      await page.close();
    }
    return { startup, live };
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

const namesWasm = process.argv[2];
if (!namesWasm) throw new Error('usage: node tests/bench/run.mjs <names-kept wasm> (./build.sh bench)');
const s = sizes();
const c = crateSizes(readFileSync(namesWasm));
const pct = (x) => `${(100 * x / c.code).toFixed(1)}%`;
const t = await timings();
const st = await startup();
const md = `# Benchmarks

Written by \`./build.sh bench\` on ${new Date().toISOString().slice(0, 10)}; a shared 2-core machine, so the
timings are indicative (medians of ${ROUNDS} runs). Tests assert behaviour; these figures are compared
with the budgets here, not in tests.

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

The chain, cold: the page; the loader; the glue and the wasm side by side (the loader fetches the wasm at
once and streams it into \`WebAssembly.instantiateStreaming\`); then the chat list, which goes out beside the
hub's negotiate rather than after the handshake. On a reload the glue, the wasm and the locales (content-hashed
names, \`immutable\` for a year) and the loader (fresh for 5 minutes, then revalidated) come from the cache, and
the compiled wasm from the browser's code cache: the page and the list remain. "before" is the same benchmark
on the commit before this work (fc8ed06).

What the cold time spends beyond its 4 × 100 ms (DevTools profiler and resource timing): about 20 ms
parsing the page before the loader is asked for, a few ms per response beyond the emulated 100 ms, and
30–50 ms from the wasm's arrival to the first requests: compiling and instantiating it, then mounting,
which builds the panel's DOM and stylesheet and draws it synchronously; the negotiate and the list are
spawned tasks, so their fetches start only when mount returns. The chats show about 10 ms after the
list answers. Each cold start also asks for the list a second time once the hub session is up (after
the first chats show), since the first page was answered before the session and could miss a chat.

## Timings (headless Chromium, server on loopback)

| figure | median | min | max |
|---|---:|---:|---:|
| page navigation to panel connected | ${ms(median(t.startup))} | ${ms(Math.min(...t.startup))} | ${ms(Math.max(...t.startup))} |
| customer message (POST inbound) to visible in the panel | ${ms(median(t.live))} | ${ms(Math.min(...t.live))} | ${ms(Math.max(...t.live))} |
`;
writeFileSync(join(ROOT, 'BENCHMARKS.md'), md);
console.log(md);
