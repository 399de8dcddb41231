#!/usr/bin/env bash
# Every build, run, test and benchmark step. Each set-up step is skipped when already done.
#   ./build.sh          build dist/operator-chat-panel/ and print sizes
#   ./build.sh serve    build, then run the demo server on http://127.0.0.1:8080
#   ./build.sh test     every test layer: native, browser, end to end
#   ./build.sh bench    benchmarks, written to BENCHMARKS.md
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
DIST=dist/operator-chat-panel
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}

# npm's binaryen (132): Debian's (108) breaks current wasm-bindgen output.
WASM_FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals
  --enable-reference-types --enable-multivalue)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

locked_version() { # the version of crate $1 in Cargo.lock
  awk -v n="$1" '$0 == "name = \"" n "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

setup_rust() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown \
    || { say "rustup target add wasm32-unknown-unknown"; rustup target add wasm32-unknown-unknown; }
  rustup component list --installed | grep -q '^rust-src' \
    || { say "rustup component add rust-src"; rustup component add rust-src; }
  local want; want=$(locked_version wasm-bindgen)
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    say "cargo install wasm-bindgen-cli $want"
    # Not --locked: its lockfile pins a crate version the registry here lacks.
    cargo install wasm-bindgen-cli --version "=$want"
  fi
  command -v wasm-pack >/dev/null || { say "cargo install wasm-pack"; cargo install --locked wasm-pack; }
}

setup_npm() {
  # Keyed on the lock's content, not mtimes: a checkout or cherry-pick can leave times in any order.
  local want; want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ "$(cat node_modules/.chathub-lock 2>/dev/null)" != "$want" ]; then
    say "npm ci"; npm ci --no-audit --no-fund
    echo "$want" > node_modules/.chathub-lock
  fi
}

setup_chromium() {
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    say "apt-get install chromium chromium-driver"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver
  fi
}

build_widget() {
  say "building the widget"
  local out=target/shipped/bindgen wasm
  # The shipped wasm rebuilds std for size: panics trap without formatting a message (no core::fmt),
  # derived Debug is empty and std picks its small sort. -Z flags on the stable compiler need
  # RUSTC_BOOTSTRAP=1; std's source is the rust-src component of that same compiler. -8.6 KB gzip.
  # Its own target dir, so these flags never rebuild what the tests build.
  # Without reference types wasm-bindgen keeps JS values in a JS-side slab instead of an externref
  # table: more glue, less wasm, -550 B gzip in all.
  RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none -Zlocation-detail=none -Ctarget-feature=-reference-types" \
    cargo build --quiet --lib --target wasm32-unknown-unknown --profile wasm-release --target-dir target/shipped \
    -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size
  wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name operator_chat_panel \
    target/shipped/wasm32-unknown-unknown/wasm-release/operator_chat_panel.wasm
  rm -rf "$DIST"; mkdir -p "$DIST/locales"
  wasm=$DIST/operator_chat_panel_bg.wasm
  # -Oz twice: the second pass finds more after the first's inlining (-350 B gzip). --gufa, --flatten and
  # --rereloop first let it find more again (-420 B). --low-memory-unused lets it fold constant offsets
  # into loads and stores (-395 B): the low 1 KB is the far end of Rust's 1 MB stack, which sits below
  # the data. The target-features and producers sections are for tools, not browsers (-187 B).
  wasm-opt --low-memory-unused --gufa --flatten --rereloop -Oz -Oz --strip-target-features --strip-producers \
    "${WASM_FEATURES[@]}" "$out/operator_chat_panel_bg.wasm" -o "$wasm"
  node tools/short-names.mjs "$wasm" "$out/operator_chat_panel.js"
  node tools/slim-init.mjs "$out/operator_chat_panel.js"
  cp www/widget-script.d.ts "$DIST/"
  # Minified glue and loader (npm terser): -2.8 KB gzip.
  local js
  for js in "$out/operator_chat_panel.js" www/widget-script.js; do
    terser "$js" --compress --mangle --module -o "$DIST/${js##*/}"
  done
  cp locales/*.json "$DIST/locales/" 2>/dev/null || true
  sizes
}

# gzip -9 size by zlib, as web servers compress (GNU gzip's own deflate differs by ~1%): one figure for
# ./build.sh and BENCHMARKS.md.
gz_size() {
  node -e 'process.stdout.write(String(require("zlib").gzipSync(require("fs").readFileSync(process.argv[1]), { level: 9 }).length))' "$1"
}

sizes() {
  local total=0 f raw gz
  printf '%-48s %9s %9s\n' file bytes gzip
  for f in "$DIST"/*.js "$DIST"/*.wasm; do
    raw=$(wc -c <"$f"); gz=$(gz_size "$f"); total=$((total + gz))
    printf '%-48s %9d %9d\n' "${f#dist/}" "$raw" "$gz"
  done
  for f in "$DIST"/locales/*.json; do
    [ -f "$f" ] || continue
    printf '%-48s %9d %9d\n' "${f#dist/}" "$(wc -c <"$f")" "$(gz_size "$f")"
  done
  printf 'gzip total to show the panel in English (loader + glue + wasm; CSS is inside the wasm): %d bytes (budget 51200)\n' "$total"
}

build_server() {
  say "building chathub-server"
  cargo build --quiet -p chathub-server
}

serve() {
  setup_rust; setup_npm
  build_widget; build_server
  echo
  echo "  Operator panel demo:  http://127.0.0.1:8080/"
  echo "  Customer simulator:   http://127.0.0.1:8080/customer.html"
  echo "  Company login demo / demo; operator token at http://127.0.0.1:8080/api/chathub/token"
  echo
  exec target/debug/chathub-server --addr 127.0.0.1:8080 --db ./chathub.db --dev
}

run_tests() {
  setup_rust; setup_npm; setup_chromium
  build_widget; build_server
  say "native tests: cargo test --workspace"
  cargo test --workspace
  say "browser tests: wasm-pack test --headless --chrome"
  WASM_BINDGEN_TEST_TIMEOUT=120 wasm-pack test --headless --chrome
  say "end-to-end tests: node --test tests/e2e/"
  node --test --test-concurrency=1 tests/e2e/
}

case "${1:-build}" in
  build) setup_rust; setup_npm; build_widget ;;
  serve) serve ;;
  test) run_tests ;;
  bench) setup_rust; setup_npm; setup_chromium; build_widget; build_server; node tests/bench/run.mjs ;;
  *) echo "usage: $0 [build|serve|test|bench]" >&2; exit 2 ;;
esac
