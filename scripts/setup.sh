#!/usr/bin/env bash
# Installs whatever the build, run and tests need and this machine lacks. Idempotent: each step
# checks first, so a second run takes seconds. Nothing here trusts an earlier session.
#
# Debian packages (as root): PostgreSQL 15 server binaries, Chromium for Playwright, wrk for the
# benchmark. Rust: the wasm32 target, cargo-leptos, wasm-bindgen-cli (the version Cargo.lock
# pins), sqlx-cli. npm: tailwind + binaryen at the root, Playwright in end2end/. Python:
# schemathesis in .venv/.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10 # 0.3.11 needs rustc 1.96
SQLX_CLI_VERSION=0.9.0
SCHEMATHESIS_VERSION=4.32.5
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

# --- Debian packages -----------------------------------------------------------------------
need_pkgs=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || need_pkgs+=(postgresql-15)
command -v chromium >/dev/null || need_pkgs+=(chromium)
command -v wrk >/dev/null || need_pkgs+=(wrk)
command -v perf >/dev/null || need_pkgs+=(linux-perf)
command -v runuser >/dev/null || need_pkgs+=(util-linux)
if ((${#need_pkgs[@]})); then
  log "apt-get install ${need_pkgs[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# --- Rust ----------------------------------------------------------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  log "cargo install cargo-leptos $CARGO_LEPTOS_VERSION (about 11 minutes the first time)"
  cargo install --locked "cargo-leptos@$CARGO_LEPTOS_VERSION"
fi

# wasm-bindgen-cli must match the wasm-bindgen library exactly; its own lock file pins a crate
# the registry lacks, so it is installed without --locked.
wb_version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
if ! wasm-bindgen --version 2>/dev/null | grep -q "$wb_version"; then
  log "cargo install wasm-bindgen-cli $wb_version"
  cargo install wasm-bindgen-cli --version "$wb_version"
fi

# sqlx-cli 0.9 no longer ships a lock file (`--locked` fails by design).
if ! cargo sqlx --version 2>/dev/null | grep -q "$SQLX_CLI_VERSION"; then
  log "cargo install sqlx-cli $SQLX_CLI_VERSION"
  cargo install sqlx-cli --version "$SQLX_CLI_VERSION" --no-default-features --features postgres,rustls
fi

# --- npm -----------------------------------------------------------------------------------
# `npm ci` at the root fails with npm 11 (tailwind's platform packages), so `npm install`.
if [ ! -x node_modules/.bin/tailwindcss ] || [ ! -x node_modules/.bin/wasm-opt ]; then
  log "npm install (tailwind, binaryen)"
  npm install --no-audit --no-fund --loglevel=error
fi
if [ ! -d end2end/node_modules/@playwright/test ]; then
  log "npm ci in end2end/ (Playwright; the browser is Debian's chromium)"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
# --- Python --------------------------------------------------------------------------------
# Schemathesis (the API contract fuzzer of make test) in a project-local virtualenv.
if ! .venv/bin/schemathesis --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  if ! python3 -m venv --help >/dev/null 2>&1; then
    log "apt-get install python3-venv"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  fi
  log "pip install schemathesis $SCHEMATHESIS_VERSION into .venv/"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
log "tools ready"
