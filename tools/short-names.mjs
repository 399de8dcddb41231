// Gives the wasm's imports and exports one- or two-letter names and rewrites the wasm-bindgen glue to
// match. wasm-bindgen names each import `__wbg_<method>_<16 hex>`, and each name is written twice, once
// in the wasm and once in the glue; the hashes do not compress (-6 KB gzip together).
//
//   node tools/short-names.mjs <wasm> <glue.js>      (both are rewritten in place)
//
// binaryen's --minify-imports-and-exports-and-modules keeps the order of both lists, so the old and the
// new names pair up by position.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

const [wasmPath, gluePath] = process.argv.slice(2);
const FEATURES = ["--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
  "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue"];

const names = (path) => {
  const module = new WebAssembly.Module(readFileSync(path));
  return [WebAssembly.Module.imports(module), WebAssembly.Module.exports(module)];
};
const [oldImports, oldExports] = names(wasmPath);
execFileSync("wasm-opt", [wasmPath, "--minify-imports-and-exports-and-modules", ...FEATURES, "-o", wasmPath],
  { stdio: ["ignore", "ignore", "inherit"] });
const [newImports, newExports] = names(wasmPath);

const fail = (why) => { console.error(`short-names: ${why}`); process.exit(1); };
if (oldImports.length !== newImports.length || oldExports.length !== newExports.length) fail("lists changed length");

// Each import is one key of the glue's import object, or the rewrite would be a guess. Exports are
// read as `wasm.<name>`; a few (wasm-bindgen's abort hooks) are not read at all.
let glue = readFileSync(gluePath, "utf8");
const replaceAll = (pattern, to, expect) => {
  const hits = glue.match(pattern)?.length ?? 0;
  if (expect !== undefined && hits !== expect) fail(`${pattern} found ${hits} times`);
  glue = glue.replace(pattern, to);
};
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

for (const module of new Set(oldImports.map((i) => i.module))) {
  replaceAll(new RegExp(`"${escape(module)}":`, "g"), `"${newImports[0].module}":`, 1);
}
oldImports.forEach((old, i) => {
  if (old.kind !== newImports[i].kind) fail(`import ${old.name} changed kind`);
  replaceAll(new RegExp(`\\b${escape(old.name)}:`, "g"), `${newImports[i].name}:`, 1);
});
oldExports.forEach((old, i) => {
  if (old.kind !== newExports[i].kind) fail(`export ${old.name} changed kind`);
  replaceAll(new RegExp(`\\bwasm\\.${escape(old.name)}\\b`, "g"), `wasm.${newExports[i].name}`);
});
writeFileSync(gluePath, glue);
