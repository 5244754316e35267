#!/usr/bin/env bash
# The live-dashboard measurement (`make bench-live`): 5,000 concurrent SSE subscribers on one
# release server process while claims run; prints the server's memory (VmRSS) and the
# claim-to-event latency p50/p99. Starts its own PostgreSQL (deleted afterwards).
#   SUBSCRIBERS=5000 CLAIMS=3000 RATE=300 scripts/bench-live.sh
# STREAM=stock follows the shoppers' public stock stream instead of the admin dashboard's.
# The load generator exits non-zero when a subscriber missed the final count. make test runs it
# small on the release server that make run built, with the default rate limits:
#   LIVE_SERVER_BIN=target/release/server LIVE_LOAD_PROFILE=dev RATE_LIMITS=true ...
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export SQLX_OFFLINE=true

log() { printf '\033[1;34m[bench-live]\033[0m %s\n' "$*"; }

# Every subscriber is a socket on both ends.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 65536 || true
log "open files limit: $(ulimit -n)"

server_bin=${LIVE_SERVER_BIN:-target/release/server}
profile=${LIVE_LOAD_PROFILE:-release}
if [ -z "${LIVE_SERVER_BIN:-}" ]; then
  log "cargo build --release (the server)"
  cargo build --release -p server --bin server
fi
log "cargo build --profile $profile (the load generator)"
cargo build --profile "$profile" -p server --example live_load
load_bin=target/$([ "$profile" = dev ] && echo debug || echo "$profile")/examples/live_load

pg_dir=$(mktemp -d /tmp/coupons-bench-live-pg.XXXXXX)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  scripts/pg.sh stop "$pg_dir"
  rm -rf "$pg_dir" "$pg_dir.site"
}
trap cleanup EXIT
base=$(scripts/pg.sh start "$pg_dir" "$(scripts/free-port.sh)")
psql -q "$base" -c "CREATE DATABASE bench_live"
port=$(scripts/free-port.sh)

# The server refuses to start without the UI's files; this measurement needs none of them.
if [ ! -d target/site ] && [ -z "${SITE_ROOT:-}" ]; then
  export SITE_ROOT="$pg_dir.site"
  mkdir -p "$SITE_ROOT/pkg"
fi
log "release server on 127.0.0.1:$port"
LISTEN_ADDR=127.0.0.1:$port DATABASE_URL="${base%/*}/bench_live" LOG_LEVEL=warn RATE_LIMITS=${RATE_LIMITS:-false} \
  "$server_bin" &
server_pid=$!
# Up to two minutes for the server to answer (a loaded CI box starts it slowly), then on or out.
for _ in $(seq 1 1200); do
  curl -fs "http://127.0.0.1:$port/health" >/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { echo "the server exited before answering /health" >&2; exit 1; }
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/health" >/dev/null || { echo "the server did not answer /health within 2 minutes" >&2; exit 1; }

log "${SUBSCRIBERS:-5000} subscribers of the ${STREAM:-admin} stream, ${CLAIMS:-3000} claims at ${RATE:-300}/s"
# The generator has its own bounds (a minute to connect, half a minute per stream's end); this
# one only ends a generator that hangs.
timeout 600 "$load_bin" --base "http://127.0.0.1:$port" \
  --server-pid "$server_pid" --subscribers "${SUBSCRIBERS:-5000}" \
  --claims "${CLAIMS:-3000}" --rate "${RATE:-300}" --stream "${STREAM:-admin}"
