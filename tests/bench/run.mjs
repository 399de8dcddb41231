// Benchmarks: figures, not tests. Writes BENCHMARKS.md with sizes, start-up and live-message latency,
// each compared with its budget from the issues.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { startServer, companyToken, inbound, ROOT } from '../e2e/lib/server.mjs';
import { launch, openPage, inPanel } from '../e2e/lib/browser.mjs';

const DIST = join(ROOT, 'dist/operator-chat-panel');
const BUDGET_GZIP = 50 * 1024;
const ROUNDS = 15;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${Math.round(x)} ms`;

function sizes() {
  const rows = readdirSync(DIST).filter((f) => /\.(js|wasm|css)$/.test(f)).map((f) => {
    const buf = readFileSync(join(DIST, f));
    return { f, raw: buf.length, gz: gzipSync(buf, { level: 9 }).length };
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

const s = sizes();
const t = await timings();
const md = `# Benchmarks

Written by \`./build.sh bench\` on ${new Date().toISOString().slice(0, 10)}; a shared 2-core machine, so the
timings are indicative (medians of ${ROUNDS} runs). Tests assert behaviour; these figures are compared
with the budgets here, not in tests.

## Shipped size (gzip -9)

| file | bytes | gzip |
|---|---:|---:|
${s.rows.map((r) => `| ${r.f} | ${r.raw} | ${r.gz} |`).join('\n')}
| **total to show the panel in English** | | **${s.total}** |

Budget (issue 4): ${BUDGET_GZIP} bytes gzip for loader, glue, wasm and CSS. Now:
**${s.total <= BUDGET_GZIP ? 'within budget' : `over budget by ${s.total - BUDGET_GZIP} bytes`}**.

## Timings (headless Chromium, server on loopback)

| figure | median | min | max |
|---|---:|---:|---:|
| page navigation to panel connected | ${ms(median(t.startup))} | ${ms(Math.min(...t.startup))} | ${ms(Math.max(...t.startup))} |
| customer message (POST inbound) to visible in the panel | ${ms(median(t.live))} | ${ms(Math.min(...t.live))} | ${ms(Math.max(...t.live))} |
`;
writeFileSync(join(ROOT, 'BENCHMARKS.md'), md);
console.log(md);
