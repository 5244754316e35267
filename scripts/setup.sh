#!/usr/bin/env bash
# Installs what this machine lacks for one purpose, and nothing more. Idempotent: each step checks
# first, so a second run takes seconds. Nothing here trusts an earlier session.
#
#   scripts/setup.sh run    build and serve (make run): PostgreSQL 15, the wasm32 target,
#                           cargo-leptos, wasm-bindgen-cli (Cargo.lock's version), tailwind and
#                           binaryen (npm, at the root)
#   scripts/setup.sh lint   the wasm32 target (clippy of the browser build)
#   scripts/setup.sh test   run's tools, then Chromium, sqlx-cli, Playwright (end2end/),
#                           schemathesis (.venv/), the de_DE.UTF-8 locale (the crash tier's
#                           lc_messages) and the HA tier's etcd, HAProxy and Patroni
#                           (scripts/ha.sh install: apt, .venv-ha/)
#   scripts/setup.sh bench  run's tools, then wrk and perf
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/log.sh
log() { log_as setup "$@"; }

purpose=${1:-run}
CARGO_LEPTOS_VERSION=0.3.10 # 0.3.11 needs rustc 1.96
SQLX_CLI_VERSION=0.9.0
SCHEMATHESIS_VERSION=4.32.5
export PATH="$HOME/.cargo/bin:$PATH"

apt_install() {
  (($#)) || return 0
  log "apt-get install $*"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
}

# Build tools compile with many codegen units and without LTO: cargo-leptos' own release profile
# (fat LTO, one codegen unit) spends minutes in a one-core link for a tool that mostly waits on
# cargo. Measured in docs/benchmark.md ("The first make run").
fast_install() {
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 cargo install --quiet "$@"
}

run_tools() {
  local pkgs=()
  [ -x /usr/lib/postgresql/15/bin/initdb ] || pkgs+=(postgresql-15)
  command -v runuser >/dev/null || pkgs+=(util-linux)
  command -v curl >/dev/null || pkgs+=(curl)
  apt_install "${pkgs[@]}"
  wasm_target
  # The two Rust tools compile at once: cargo-leptos' last crates and its link leave a core idle
  # that wasm-bindgen-cli fills (concurrent `cargo install`s only share the download lock).
  local builds=()
  if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    log "cargo install cargo-leptos $CARGO_LEPTOS_VERSION (the longest step of a first run)"
    # opt-level 1: 14 % less CPU to build than 3, and builds the site as fast (docs/benchmark.md).
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1 fast_install --locked "cargo-leptos@$CARGO_LEPTOS_VERSION" &
    builds+=($!)
  fi
  # wasm-bindgen-cli must match the wasm-bindgen library exactly; its own lock file pins a crate
  # the registry lacks, so it is installed without --locked.
  local wb_version
  wb_version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
  if ! wasm-bindgen --version 2>/dev/null | grep -q "$wb_version"; then
    log "cargo install wasm-bindgen-cli $wb_version (alongside)"
    fast_install wasm-bindgen-cli --version "$wb_version" &
    builds+=($!)
  fi
  local build
  for build in "${builds[@]}"; do
    wait "$build" || { log "a cargo install failed (above)"; exit 1; }
  done
  ((${#builds[@]} == 0)) || log "cargo-leptos and wasm-bindgen-cli installed"
  # `npm ci` at the root fails with npm 11 (tailwind's platform packages), so `npm install`.
  if [ ! -x node_modules/.bin/tailwindcss ] || [ ! -x node_modules/.bin/wasm-opt ]; then
    log "npm install (tailwind, binaryen)"
    npm install --no-audit --no-fund --loglevel=error
  fi
}

test_tools() {
  local pkgs=()
  command -v chromium >/dev/null || pkgs+=(chromium)
  python3 -m venv --help >/dev/null 2>&1 || pkgs+=(python3-venv)
  apt_install "${pkgs[@]}"
  # sqlx-cli 0.9 no longer ships a lock file (`--locked` fails by design).
  if ! cargo sqlx --version 2>/dev/null | grep -q "$SQLX_CLI_VERSION"; then
    log "cargo install sqlx-cli $SQLX_CLI_VERSION"
    fast_install sqlx-cli --version "$SQLX_CLI_VERSION" --no-default-features --features postgres,rustls
  fi
  if [ ! -d end2end/node_modules/@playwright/test ] || [ ! -d end2end/node_modules/lighthouse ]; then
    log "npm ci in end2end/ (Playwright, Lighthouse; the browser is Debian's chromium)"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
  # Schemathesis (the API contract fuzzer of make test) in a project-local virtualenv.
  if ! .venv/bin/schemathesis --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    log "pip install schemathesis $SCHEMATHESIS_VERSION into .venv/"
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi
  # The crash tier runs PostgreSQL with German messages (a cancelled wait for a standby must be
  # recognised in any language): the de_DE.UTF-8 locale, made from the locales package's data.
  if ! locale -a 2>/dev/null | grep -qix 'de_DE.utf-\?8'; then
    [ -e /usr/share/i18n/locales/de_DE ] || apt_install locales
    log "localedef de_DE.UTF-8 (the crash tier's lc_messages)"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo localedef -i de_DE -f UTF-8 de_DE.UTF-8
  fi
  scripts/ha.sh install
}

bench_tools() {
  local pkgs=()
  command -v wrk >/dev/null || pkgs+=(wrk)
  command -v perf >/dev/null || pkgs+=(linux-perf)
  apt_install "${pkgs[@]}"
}

case "$purpose" in
run) run_tools ;;
lint) wasm_target ;;
test) run_tools && test_tools ;;
bench) run_tools && bench_tools ;;
*) echo "usage: setup.sh run|lint|test|bench" >&2 && exit 2 ;;
esac
log "tools ready for $purpose"
