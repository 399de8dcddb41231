// Gives the glue, the wasm and the locale files content-hashed names, and writes those names into the
// loader, whose own name stays widget-script.js. A hashed file never changes under its name, so a
// browser or a CDN may keep it for a year (immutable); only the small loader is revalidated, and a new
// release reaches operators through it.
//
//   node tools/hash-assets.mjs <dist dir> <loader source> <loader out>
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dist, source, out] = process.argv.slice(2);
if (!out) throw new Error('usage: node tools/hash-assets.mjs <dist dir> <loader source> <loader out>');

// 10 hex digits of SHA-256: 40 bits, ample against collisions between releases of one file.
const hashed = (dir, name) => {
  const hash = createHash('sha256').update(readFileSync(join(dir, name))).digest('hex').slice(0, 10);
  const dot = name.lastIndexOf('.');
  const to = `${name.slice(0, dot)}.${hash}${name.slice(dot)}`;
  renameSync(join(dir, name), join(dir, to));
  return to;
};

const assets = {
  glue: `./${hashed(dist, 'operator_chat_panel.js')}`,
  wasm: `./${hashed(dist, 'operator_chat_panel_bg.wasm')}`,
  locales: {},
};
const locales = join(dist, 'locales');
for (const f of readdirSync(locales).filter((f) => f.endsWith('.json')).sort()) {
  assets.locales[f.slice(0, -'.json'.length)] = `./locales/${hashed(locales, f)}`;
}

// The loader marks the one line the build replaces; failing loudly beats shipping plain names.
const MARK = /^const ASSETS = .*; \/\/ build: hashed names$/m;
const text = readFileSync(source, 'utf8');
if (!MARK.test(text)) throw new Error(`${source}: no "const ASSETS = ...; // build: hashed names" line`);
writeFileSync(out, text.replace(MARK, `const ASSETS = ${JSON.stringify(assets)}; // build: hashed names`));
console.log(`hashed: ${assets.glue} ${assets.wasm} + ${Object.keys(assets.locales).length} locales`);
