#!/usr/bin/env bash
# Builds the release server and UI and serves them on http://127.0.0.1:8080 (LISTEN_ADDR).
# Without DATABASE_URL it starts (or reuses) a local PostgreSQL cluster that keeps its data
# between runs: /var/lib/coupons/pg as root (the postgres user must reach it), .pg/ otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export SQLX_OFFLINE=true

log() { printf '\033[1;34m[run]\033[0m %s\n' "$*"; }

if [ -z "${DATABASE_URL:-}" ]; then
  if [ "$(id -u)" = 0 ]; then default_dir=/var/lib/coupons/pg; else default_dir=$PWD/.pg; fi
  pg_dir=${COUPONS_PG_DIR:-$default_dir}
  pg_port=${COUPONS_PG_PORT:-55439}
  base=$(scripts/pg.sh start "$pg_dir" "$pg_port")
  if ! psql -qtA "$base" -c "SELECT 1 FROM pg_database WHERE datname = 'coupons'" | grep -q 1; then
    psql -q "$base" -c "CREATE DATABASE coupons"
  fi
  export DATABASE_URL="${base%/*}/coupons"
  log "local PostgreSQL in $pg_dir on port $pg_port (stop it: scripts/pg.sh stop $pg_dir)"
fi

log "cargo leptos build --release"
cargo leptos build --release
export LISTEN_ADDR=${LISTEN_ADDR:-127.0.0.1:8080}
log "serving on http://$LISTEN_ADDR  (API contract: /api/openapi.json, docs: /docs, metrics: /metrics)"
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
exec target/release/server
