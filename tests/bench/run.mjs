// Benchmarks: figures, not tests. Writes BENCHMARKS.md with sizes, where the wasm's bytes go, start-up and
// live-message latency, each compared with its budget from the issues.
//
//   node tests/bench/run.mjs <names-kept wasm>      (./build.sh bench builds dist/ and that wasm first)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { startServer, companyToken, inbound, ROOT } from '../e2e/lib/server.mjs';
import { launch, openPage, inPanel } from '../e2e/lib/browser.mjs';
import { crateSizes } from '../../tools/wasm-crates.mjs';

const DIST = join(ROOT, 'dist/operator-chat-panel');
const BUDGET_GZIP = 100 * 1024; // build.sh's BUDGET_GZIP
const PART = { 'widget-script.js': 'loader', 'operator_chat_panel.js': 'glue', 'operator_chat_panel_bg.wasm': 'wasm' };
const ROUNDS = 15;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${Math.round(x)} ms`;

function sizes() {
  const rows = readdirSync(DIST).filter((f) => /\.(js|wasm|css)$/.test(f)).map((f) => {
    const buf = readFileSync(join(DIST, f));
    return { f, part: PART[f] ?? '', raw: buf.length, gz: gzipSync(buf, { level: 9 }).length };
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

const namesWasm = process.argv[2];
if (!namesWasm) throw new Error('usage: node tests/bench/run.mjs <names-kept wasm> (./build.sh bench)');
const s = sizes();
const c = crateSizes(readFileSync(namesWasm));
const pct = (x) => `${(100 * x / c.code).toFixed(1)}%`;
const t = await timings();
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

## Timings (headless Chromium, server on loopback)

| figure | median | min | max |
|---|---:|---:|---:|
| page navigation to panel connected | ${ms(median(t.startup))} | ${ms(Math.min(...t.startup))} | ${ms(Math.max(...t.startup))} |
| customer message (POST inbound) to visible in the panel | ${ms(median(t.live))} | ${ms(Math.min(...t.live))} | ${ms(Math.max(...t.live))} |
`;
writeFileSync(join(ROOT, 'BENCHMARKS.md'), md);
console.log(md);
