#!/usr/bin/env bash
# Builds the release server and UI and serves them on http://127.0.0.1:8080 (LISTEN_ADDR).
# Without DATABASE_URL it starts (or reuses) a local PostgreSQL cluster that keeps its data
# between runs: /var/lib/coupons/pg as root (the postgres user must reach it), .pg/ otherwise
# (COUPONS_PG_DIR and COUPONS_PG_PORT choose another). Prints the URL once the server is ready.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/log.sh
log() { log_as run "$@"; }
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export SQLX_OFFLINE=true

if [ -z "${DATABASE_URL:-}" ]; then
  if [ "$(id -u)" = 0 ]; then default_dir=/var/lib/coupons/pg; else default_dir=$PWD/.pg; fi
  pg_dir=${COUPONS_PG_DIR:-$default_dir}
  pg_port=${COUPONS_PG_PORT:-25439}
  base=$(scripts/pg.sh start "$pg_dir" "$pg_port")
  if ! psql -qtA "$base" -c "SELECT 1 FROM pg_database WHERE datname = 'coupons'" | grep -q 1; then
    psql -q "$base" -c "CREATE DATABASE coupons"
  fi
  export DATABASE_URL="${base%/*}/coupons"
  log "local PostgreSQL in $pg_dir on port $pg_port (stop it: scripts/pg.sh stop $pg_dir)"
fi

scripts/build.sh
export LISTEN_ADDR=${LISTEN_ADDR:-127.0.0.1:8080}
if [ -n "${ADMIN_PASSWORD:-}" ]; then
  log "admin: password (ADMIN_PASSWORD is set; JSON calls take Authorization: Bearer \$ADMIN_TOKEN, default the password)"
else
  log "admin: open to anyone who reaches this address (set ADMIN_PASSWORD to require a sign-in)"
fi
if [ -n "${pg_dir:-}" ]; then
  log "data: PostgreSQL cluster in $pg_dir, database coupons on port $pg_port"
else
  log "data: the database of DATABASE_URL (${DATABASE_URL##*@})"
fi

log "starting target/release/server"
target/release/server &
server=$!
trap 'kill -TERM "$server" 2>/dev/null' INT TERM
url="http://$LISTEN_ADDR"
until curl -fsS -o /dev/null "$url/health/ready" 2>/dev/null; do
  kill -0 "$server" 2>/dev/null || { wait "$server"; exit $?; }
  sleep 0.2
done
log "ready: $url  (API contract: $url/api/openapi.json, docs: $url/docs, metrics: $url/metrics)"
# Wait until the server ends; a signal interrupts wait, so wait again for its graceful exit.
status=0
wait "$server" || status=$?
if kill -0 "$server" 2>/dev/null; then wait "$server" || status=$?; fi
exit "$status"
