#!/usr/bin/env bash
# The release build that make run serves: target/release/server and the browser bundle in
# target/site. The bundle and the server build at once (separate target dirs, so two cargo
# processes fill both cores; one `cargo leptos build` builds them one after the other when
# hash-files is on). --precompress writes a brotli and a gzip copy of every bundle file, which the
# server sends to browsers that accept them (server/src/http/site_files.rs).
#
# The bundle is rebuilt only when something it is made of changed: cargo-leptos runs
# wasm-bindgen, wasm-opt and the precompression again on every build (about 50 s here) even when
# cargo has nothing to do. Its inputs are app/, style/, the workspace's Cargo.toml and Cargo.lock,
# package-lock.json (tailwind, binaryen) and the toolchain; their digest is kept beside the bundle.
# Usage: scripts/build.sh (make run calls it; make test starts it early, in the background).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/log.sh
log() { log_as build "$@"; }
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export SQLX_OFFLINE=true

stamp=target/site/.bundle-inputs
inputs=$({
  rustc -V
  cargo leptos --version
  find app style -type f -print0 | sort -z | xargs -0 sha256sum
  sha256sum Cargo.toml Cargo.lock package-lock.json
} | sha256sum | cut -d' ' -f1)

# The bundle of the last build is whole: every file that hash.txt names is in target/site/pkg.
bundle_whole() {
  [ -f target/release/hash.txt ] || return 1
  local kind hash
  while read -r kind hash; do
    [ -f "target/site/pkg/coupons.$hash.${kind%:}" ] || return 1
  done <target/release/hash.txt
}

front=
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ] && bundle_whole; then
  log "the bundle's inputs are unchanged since target/site was built: building the server only"
else
  rm -f "$stamp"
  log "cargo leptos build --release: the bundle (--frontend-only --precompress) and the server (--server-only) at once"
  cargo leptos build --release --precompress --frontend-only &
  front=$!
fi
server_status=0
cargo leptos build --release --server-only || server_status=$?
front_status=0
if [ -n "$front" ]; then
  wait "$front" || front_status=$?
  [ "$front_status" != 0 ] || echo "$inputs" >"$stamp"
fi
if [ "$server_status" != 0 ] || [ "$front_status" != 0 ]; then
  log "build failed (server: exit $server_status, bundle: exit $front_status)"
  exit 1
fi
log "built target/release/server and target/site"
