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

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

locked_version() { # the version of crate $1 in Cargo.lock
  awk -v n="$1" '$0 == "name = \"" n "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

setup_rust() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown \
    || { say "rustup target add wasm32-unknown-unknown"; rustup target add wasm32-unknown-unknown; }
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
  local out=target/wasm-pack
  # wasm-pack runs npm's wasm-opt (first on PATH) with the -Oz flags in Cargo.toml's metadata.
  wasm-pack --quiet build --target web --profile wasm-release --no-pack --no-typescript \
    --out-dir "$out" --out-name operator_chat_panel
  rm -rf "$DIST"; mkdir -p "$DIST/locales"
  cp "$out/operator_chat_panel_bg.wasm" www/widget-script.d.ts "$DIST/"
  # Minified glue and loader (npm terser; names of exports and wasm imports are kept): -2.8 KB gzip.
  local js
  for js in "$out/operator_chat_panel.js" www/widget-script.js; do
    terser "$js" --compress --mangle --module -o "$DIST/${js##*/}"
  done
  cp locales/*.json "$DIST/locales/" 2>/dev/null || true
  sizes
}

sizes() {
  local total=0 f raw gz
  printf '%-48s %9s %9s\n' file bytes gzip
  for f in "$DIST"/*.js "$DIST"/*.wasm; do
    raw=$(wc -c <"$f"); gz=$(gzip -9c "$f" | wc -c); total=$((total + gz))
    printf '%-48s %9d %9d\n' "${f#dist/}" "$raw" "$gz"
  done
  for f in "$DIST"/locales/*.json; do
    [ -f "$f" ] || continue
    printf '%-48s %9d %9d\n' "${f#dist/}" "$(wc -c <"$f")" "$(gzip -9c "$f" | wc -c)"
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
