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

# The shipped size budget from the open issue: gzip -9 of loader + glue + wasm (the CSS is inside the wasm).
BUDGET_GZIP=102400

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

locked_version() { # the version of crate $1 in Cargo.lock
  awk -v n="$1" '$0 == "name = \"" n "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

setup_rust() {
  # rust-toolchain.toml names the compiler and its wasm target; rustup installs them from it.
  rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
    || { say "rustup toolchain install (rust-toolchain.toml)"; rustup toolchain install; }
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

APT_UPDATED=
apt_install() { # Debian packages, with one apt-get update per run
  local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  say "apt-get install $*"
  [ -n "$APT_UPDATED" ] || { $sudo apt-get update -qq; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}

setup_chromium() {
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    apt_install chromium chromium-driver
  fi
}

# The other engines of the test run (TOOLCHAIN.md): Firefox ESR with geckodriver, WebKitGTK's driver under
# Xvfb, and WPE WebKit 2.38 (cog, headless) as the older engine without constructable stylesheets.
GECKODRIVER=$HOME/.cargo/bin/geckodriver
setup_engines() {
  local want=() pkg bin
  for pkg in chromium:/usr/bin/chromium chromium-driver:/usr/bin/chromedriver firefox-esr:/usr/bin/firefox-esr \
      webkit2gtk-driver:/usr/bin/WebKitWebDriver xvfb:/usr/bin/xvfb-run xauth:/usr/bin/xauth \
      wpewebkit-driver:/usr/bin/WPEWebDriver cog:/usr/bin/cog; do
    bin=${pkg#*:}; [ -x "$bin" ] || want+=("${pkg%%:*}")
  done
  if [ "${#want[@]}" -gt 0 ]; then apt_install "${want[@]}"; fi
  # npm's geckodriver package downloads a binary from GitHub, which this network refuses: crates.io has it.
  [ -x "$GECKODRIVER" ] || { say "cargo install geckodriver"; cargo install geckodriver; }
}

PACK=target/pack
# npm's binaryen, named by path so that Debian's older wasm-opt (which breaks current wasm-bindgen output)
# is never picked from PATH. The target-features and producers sections are for tools, not browsers.
WASM_OPT=("$ROOT/node_modules/.bin/wasm-opt" -Oz --strip-target-features --strip-producers)

build_widget() {
  say "building the widget"
  # wasm-pack builds the crate with the widget's own size profile (Cargo.toml [profile.wasm-release]) and
  # runs wasm-bindgen. Its own wasm-opt step is off (Cargo.toml metadata): npm's binaryen runs below.
  wasm-pack --quiet build --target web --profile wasm-release --out-dir "$PACK" --out-name operator_chat_panel \
    --no-typescript --no-pack
  rm -rf "$DIST"; mkdir -p "$DIST/locales"
  "${WASM_OPT[@]}" "$PACK/operator_chat_panel_bg.wasm" -o "$DIST/operator_chat_panel_bg.wasm"
  # The glue stays as wasm-bindgen wrote it; terser (npm) only minifies it and the loader.
  terser "$PACK/operator_chat_panel.js" --compress --mangle --module -o "$DIST/operator_chat_panel.js"
  cp www/widget-script.d.ts "$DIST/"
  cp locales/*.json "$DIST/locales/" 2>/dev/null || true
  # Content-hashed names for the glue, the wasm and the locales (cached for a year), written into
  # the loader, which keeps its name and is the one file revalidated (README, "Caching").
  node tools/hash-assets.mjs "$DIST" www/widget-script.js "$PACK/widget-script.js"
  terser "$PACK/widget-script.js" --compress --mangle --module -o "$DIST/widget-script.js"
  sizes
}

# gzip -9 size by zlib, as web servers compress (GNU gzip's own deflate differs by ~1%): one figure for
# ./build.sh and BENCHMARKS.md.
gz_size() {
  node -e 'process.stdout.write(String(require("zlib").gzipSync(require("fs").readFileSync(process.argv[1]), { level: 9 }).length))' "$1"
}

style_hash() {
  node -e 'process.stdout.write("sha256-" + require("crypto").createHash("sha256").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' src/view/style.css
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
  # Engines without constructable stylesheets get the same CSS as a <style> in the shadow root: a strict
  # CSP allows it by this hash (of src/view/style.css, the exact text the widget inserts).
  printf "CSP hash of the panel's stylesheet (for engines without adoptedStyleSheets): style-src '%s'\n" "$(style_hash)"
  printf 'gzip total to show the panel in English (loader + glue + wasm; CSS is inside the wasm): %d bytes (budget %d)\n' \
    "$total" "$BUDGET_GZIP"
  OVER_BUDGET=0
  if [ "$total" -gt "$BUDGET_GZIP" ]; then
    OVER_BUDGET=$((total - BUDGET_GZIP))
    printf '\033[1;31mover the size budget by %d bytes\033[0m (./build.sh bench shows where the bytes go)\n' \
      "$OVER_BUDGET" >&2
  fi
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
  setup_rust; setup_npm; setup_engines
  build_widget; build_server
  say "native tests: cargo test --workspace"
  cargo test --workspace
  export WASM_BINDGEN_TEST_TIMEOUT=120
  say "browser tests: wasm-pack test --headless --chrome"
  wasm-pack test --headless --chrome
  say "browser tests: wasm-pack test --headless --firefox"
  wasm-pack test --headless --firefox --geckodriver "$GECKODRIVER"
  say "browser tests: wasm-pack test --headless --safari (WebKitGTK under Xvfb)"
  xvfb-run -a -s "-screen 0 1280x1024x24" wasm-pack test --headless --safari --safaridriver /usr/bin/WebKitWebDriver
  say "end-to-end tests: node --test tests/e2e/ (Chromium)"
  node --test --test-concurrency=1 tests/e2e/
  say "end-to-end subset in Firefox ESR and WebKitGTK; older engines on WPE WebKit 2.38"
  GECKODRIVER=$GECKODRIVER node --test --test-concurrency=1 \
    tests/e2e/engines/firefox.mjs tests/e2e/engines/webkit.mjs tests/e2e/engines/legacy.mjs
}

case "${1:-build}" in
  # The build itself fails over budget. The demo, the tests and the benchmarks run all the same and
  # print the figure: the benchmark's breakdown is how to find the bytes.
  build) setup_rust; setup_npm; build_widget; [ "$OVER_BUDGET" = 0 ] ;;
  serve) serve ;;
  test) run_tests ;;
  bench)
    setup_rust; setup_npm; setup_chromium; build_widget; build_server
    # The same optimisation with the function names kept (-g), for the benchmark's breakdown by crate.
    "${WASM_OPT[@]}" -g "$PACK/operator_chat_panel_bg.wasm" -o "$PACK/operator_chat_panel_names.wasm"
    # The server under an office's load (1,000 hub connections): a release build and its bench client,
    # with room for a socket per connection on each side.
    say "building chathub-server (release) and its loadbench"
    cargo build --quiet --release -p chathub-server --bin chathub-server --example loadbench
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    node tests/bench/run.mjs "$PACK/operator_chat_panel_names.wasm" target/release/examples/loadbench ;;
  *) echo "usage: $0 [build|serve|test|bench]" >&2; exit 2 ;;
esac
