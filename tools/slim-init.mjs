// Replaces the wasm-bindgen glue's loading code with the one path the loader uses: `init()` with no
// argument fetches the wasm beside the glue. Gone are initSync, the deprecated-argument warnings and
// the other argument kinds (-0.5 KB gzip). A wrong MIME type still falls back to ArrayBuffer.
//
//   node tools/slim-init.mjs <glue.js>      (rewritten in place)
//
// Written for wasm-bindgen 0.2.130's output (Cargo.toml pins it); it fails if that shape changes.
import { readFileSync, writeFileSync } from "node:fs";

const [gluePath] = process.argv.slice(2);
const glue = readFileSync(gluePath, "utf8");
const start = glue.indexOf("async function __wbg_load(");
const end = "export { initSync, __wbg_init as default };";
if (start < 0 || glue.indexOf(end) < 0 || glue.indexOf(end) + end.length !== glue.trimEnd().length ||
  !glue.includes("function __wbg_finalize_init(instance, module)")) {
  console.error("slim-init: the glue's loading code is not where wasm-bindgen 0.2.130 puts it");
  process.exit(1);
}
const wasmName = gluePath.replace(/^.*\//, "").replace(/\.js$/, "_bg.wasm");

const init = `let __wbg_init_promise;
function __wbg_init() {
    return __wbg_init_promise ??= (async () => {
        const imports = __wbg_get_imports();
        const response = fetch(new URL(${JSON.stringify(wasmName)}, import.meta.url));
        let loaded;
        try {
            loaded = await WebAssembly.instantiateStreaming(response, imports);
        } catch (e) {
            const r = await response;
            if (!r.ok || r.headers.get("Content-Type") === "application/wasm") throw e;
            loaded = await WebAssembly.instantiate(await r.arrayBuffer(), imports);
        }
        return __wbg_finalize_init(loaded.instance, loaded.module);
    })();
}

export { __wbg_init as default };
`;
writeFileSync(gluePath, glue.slice(0, start) + init);
