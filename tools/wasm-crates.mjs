// Where the wasm's bytes go, by crate: reads a wasm that kept its name section (build.sh bench writes one
// with `wasm-opt -Oz -g`, the shipped optimisation plus names) and sums function body sizes by the crate
// of each function's demangled path, and by module inside operator_chat_panel.
//
//   node tools/wasm-crates.mjs <names-kept.wasm>      prints the table; tests/bench/run.mjs imports it
//
// Generic code counts where it is defined: Vec<Chat>'s methods are alloc's, and core::ptr::drop_in_place
// is the drop glue of every type. Sizes are raw bytes; gzip shrinks each part differently.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';

const SECTION_NAMES = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start',
  'element', 'code', 'data', 'data count', 'tag'];

function reader(buf, pos = 0) {
  const r = {
    pos,
    byte: () => buf[r.pos++],
    u32() {
      let result = 0; let shift = 0; let b;
      do { b = buf[r.pos++]; result += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
      return result;
    },
    name() { const n = r.u32(); const s = buf.toString('utf8', r.pos, r.pos + n); r.pos += n; return s; },
  };
  return r;
}

function parse(buf) {
  if (buf.readUInt32LE(0) !== 0x6d736100) throw new Error('not a wasm module');
  const r = reader(buf, 8);
  const sections = [];
  let importedFuncs = 0; const bodies = []; const names = new Map(); const exports = new Set();
  while (r.pos < buf.length) {
    const id = r.byte(); const size = r.u32(); const start = r.pos; const end = start + size;
    const s = reader(buf, start);
    let label = SECTION_NAMES[id] ?? `section ${id}`;
    if (id === 0) {
      const name = s.name();
      label = `custom "${name}"`;
      if (name === 'name') {
        while (s.pos < end) {
          const sub = s.byte(); const subSize = s.u32(); const subEnd = s.pos + subSize;
          if (sub === 1) for (let n = s.u32(); n > 0; n--) { const idx = s.u32(); names.set(idx, s.name()); }
          s.pos = subEnd;
        }
      }
    } else if (id === 2) {
      for (let n = s.u32(); n > 0; n--) {
        s.name(); s.name();
        const kind = s.byte();
        if (kind === 0) { s.u32(); importedFuncs++; }
        else if (kind === 1) { s.byte(); const f = s.byte(); s.u32(); if (f & 1) s.u32(); }
        else if (kind === 2) { const f = s.byte(); s.u32(); if (f & 1) s.u32(); }
        else if (kind === 3) { s.byte(); s.byte(); }
        else if (kind === 4) { s.byte(); s.u32(); }
      }
    } else if (id === 7) {
      for (let n = s.u32(); n > 0; n--) { const name = s.name(); const kind = s.byte(); s.u32(); if (kind === 0) exports.add(name); }
    } else if (id === 10) {
      for (let n = s.u32(); n > 0; n--) { const len = s.u32(); bodies.push(len); s.pos += len; }
    }
    sections.push({ id, label, size: end - start });
    r.pos = end;
  }
  const functions = bodies.map((size, i) => ({ name: names.get(importedFuncs + i) ?? '', size }));
  return { sections, functions, exports };
}

// A demangled name without its hash and crate disambiguators.
export const readable = (name) => name.replace(/::h[0-9a-f]{16}$/, '').replace(/\[[0-9a-f]+\]/g, '');

// The crate (and, for the widget, the module) a demangled function name belongs to. `exports` are the
// wasm's exported function names: wasm-bindgen gives the widget's #[wasm_bindgen] functions their JS names.
export function groupOf(name, exports = new Set()) {
  let s = readable(name).replace(/^byn\$mgfn-shared\$/, '').replace(/ (externref|multivalue) shim$/, '');
  if (s === '') return '(no name)';
  // Shims wasm-bindgen writes into the wasm: __wbindgen_* helpers and conversions like `Ref(String) -> Externref`.
  if (/^__wbg|^__wbindgen_|^__externref_| -> /.test(s)) return 'wasm_bindgen (generated shims)';
  if (/^(memcpy|memmove|memset|memcmp|bcmp)$/.test(s)) return 'compiler_builtins';
  if (/^(__rust_|__rdl_|__rg_|__rustc::)/.test(s)) return 'alloc';
  if (exports.has(s)) return 'operator_chat_panel (exports)';
  // A trait method on a primitive or a type parameter (`<char as core::fmt::Debug>::fmt`) is the trait's.
  // Inherent methods of primitives (`<str>::to_ascii_lowercase`) live in core or alloc: counted as core.
  if (/^<(\[.*\]|str|[a-z]+[0-9]*)>::/.test(s)) return 'core';
  const primitive = s.match(/^<(?:&|mut |\*const |\*mut |\[)*(?:[a-z0-9]+|[A-Z]|str)\]? as ([A-Za-z_][\w:]*)/);
  if (primitive) s = primitive[1];
  // Strip what wraps the first path: <, &, mut, raw pointers, slices, tuples, dyn.
  for (let prev; prev !== s;) {
    prev = s;
    s = s.replace(/^(<|&|mut |\*const |\*mut |\[|\(|dyn )/, '');
  }
  const path = s.match(/^[A-Za-z_]\w*(::[A-Za-z_{][\w{}#]*)*/)?.[0];
  if (!path || !s.startsWith(`${path.split('::')[0]}::`)) return path ? `(other: ${path})` : '(other)';
  const parts = path.split('::');
  if (parts[0] === 'operator_chat_panel') {
    return parts.length > 2 && !parts[1].startsWith('__') ? `operator_chat_panel::${parts[1]}` : 'operator_chat_panel (exports)';
  }
  return parts[0];
}

export function crateSizes(buf) {
  const { sections, functions, exports } = parse(buf);
  const groups = new Map();
  for (const f of functions) {
    const g = groupOf(f.name, exports);
    const e = groups.get(g) ?? { group: g, size: 0, count: 0 };
    e.size += f.size; e.count++;
    groups.set(g, e);
  }
  const code = functions.reduce((a, f) => a + f.size, 0);
  return {
    code,
    sections: sections.filter((s) => s.label !== 'custom "name"'),
    groups: [...groups.values()].sort((a, b) => b.size - a.size),
    top: [...functions].sort((a, b) => b.size - a.size).slice(0, 12).map((f) => ({ ...f, name: readable(f.name) })),
  };
}

// An unsigned LEB128, as the binary format writes sizes and counts.
function leb(n) {
  const out = [];
  do { let b = n % 128; n = Math.floor(n / 128); if (n) b |= 0x80; out.push(b); } while (n);
  return Buffer.from(out);
}

// The module without custom sections, with the bodies of the functions `drop(name)` picks replaced by
// `unreachable`: what gzip makes of the rest says what those functions weigh once compressed.
function without(buf, drop) {
  const { functions } = parse(buf);
  const r = reader(buf, 8);
  const out = [buf.subarray(0, 8)];
  while (r.pos < buf.length) {
    const id = r.byte(); const size = r.u32(); const start = r.pos; const end = start + size;
    r.pos = end;
    if (id === 0) continue;
    let body = buf.subarray(start, end);
    if (id === 10) {
      const s = reader(buf, start); const parts = [leb(s.u32())];
      for (const f of functions) {
        const len = s.u32();
        parts.push(drop(f.name) ? Buffer.from([3, 0, 0x00, 0x0b]) : Buffer.concat([leb(len), buf.subarray(s.pos, s.pos + len)]));
        s.pos += len;
      }
      body = Buffer.concat(parts);
    }
    out.push(Buffer.from([id]), leb(body.length), body);
  }
  return Buffer.concat(out);
}

// The wasm's gzip -9 size split three ways by emptying function bodies: the widget's own functions
// (with whatever LTO inlined into them), the libraries' functions, and the rest (data: the CSS and
// strings; imports; tables). Approximate: gzip's savings are not additive.
export function gzipWeights(buf) {
  const { exports } = parse(buf);
  const gz = (b) => gzipSync(b, { level: 9 }).length;
  // The widget's modules and its #[wasm_bindgen] exports (one, `setReplies`, is not named as an export).
  const own = (name) => /^operator_chat_panel|^\(other: set/.test(groupOf(name, exports));
  const whole = gz(without(buf, () => false));
  const noOwn = gz(without(buf, own));
  const noCode = gz(without(buf, () => true));
  return { whole, own: whole - noOwn, libraries: noOwn - noCode, rest: noCode };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = crateSizes(readFileSync(process.argv[2]));
  console.log('function bodies by crate (raw bytes):');
  for (const g of r.groups) {
    console.log(`${String(g.size).padStart(8)} ${(100 * g.size / r.code).toFixed(1).padStart(5)}%  ${g.group} (${g.count})`);
  }
  console.log(`${String(r.code).padStart(8)}  total code\n\nsections:`);
  for (const s of r.sections) console.log(`${String(s.size).padStart(8)}  ${s.label}`);
  const w = gzipWeights(readFileSync(process.argv[2]));
  console.log(`\ngzip weight: widget's own code ${w.own}, libraries' code ${w.libraries}, rest ${w.rest} (whole ${w.whole})`);
  console.log('\nlargest functions:');
  for (const f of r.top) console.log(`${String(f.size).padStart(8)}  ${f.name}`);
}
