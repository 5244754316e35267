#!/usr/bin/env bash
# A Citus cluster on loopback, from the Citus installed for PostgreSQL 15: one coordinator and two
# workers, each a PostgreSQL cluster of its own with production durability (fsync and
# synchronous_commit on). The product's migrations distribute its tables by coupon when they find
# the citus extension (docs/scale.md). docker-compose.yml's `citus` profile is the same topology
# from Citus's own image.
#
#   scripts/citus.sh up            start it all; prints, as its last line, the coordinator's
#                                  DATABASE_URL
#   scripts/citus.sh status        each node's state and the workers the coordinator knows
#                                  (restarts a node that is down)
#   scripts/citus.sh kill-worker N stop worker N at once (pg_ctl stop -m immediate, as a power cut);
#                                  `status` starts it again
#   scripts/citus.sh url           the coordinator's DATABASE_URL
#   scripts/citus.sh down          stop everything and delete the cluster
#
# CITUS_DIR (default /tmp/coupons-citus) holds it all; CITUS_PORT (default 25300) is the
# coordinator's port and worker N's is CITUS_PORT + N, below Linux's ephemeral range
# (32768-60999), where an outgoing connection could hold a port while its node restarts.
# Citus comes from Citus's own packages (https://docs.citusdata.com, "Installing Citus"); this
# script never builds or downloads it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/log.sh
log() { log_as citus "$@" >&2; } # stdout: only what a command answers (up, url: the URL)

PG_BIN=/usr/lib/postgresql/15/bin
PG_SHARE=/usr/share/postgresql/15
CITUS_DIR=$(realpath -m "${CITUS_DIR:-/tmp/coupons-citus}")
CITUS_PORT=${CITUS_PORT:-25300}
DATABASE=${CITUS_DATABASE:-coupons}
WORKERS=(1 2)
port() { echo $((CITUS_PORT + $1)); } # node 0 is the coordinator
url() { echo "postgres://postgres@127.0.0.1:$CITUS_PORT/$DATABASE"; }
psql_node() { psql -X -q -v ON_ERROR_STOP=1 -At "postgres://postgres@127.0.0.1:$(port "$1")/${2:-$DATABASE}" "${@:3}"; }

installed() {
  if [ ! -f "$PG_SHARE/extension/citus.control" ]; then
    echo "Citus is not installed for PostgreSQL 15 (no $PG_SHARE/extension/citus.control): install it from Citus's packages (docs/scale.md)" >&2
    exit 1
  fi
}

# Starts node N (0: the coordinator) with the settings every node shares. Durable, as in
# production; Citus in shared_preload_libraries; connections between nodes on loopback without
# TLS; two-phase commits left by a crash are recovered every few seconds.
start_node() {
  scripts/pg.sh start "$CITUS_DIR/node$1" "$(port "$1")" \
    shared_preload_libraries=citus max_connections=400 max_prepared_transactions=400 \
    citus.node_conninfo=sslmode=disable citus.recover_2pc_interval=2s >/dev/null
}

node_up() { psql_node "$1" postgres -c 'SELECT 1' >/dev/null 2>&1; }

up() {
  installed
  local n
  for n in 0 "${WORKERS[@]}"; do
    start_node "$n"
    if [ "$(psql_node "$n" postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$DATABASE'")" = 0 ]; then
      psql_node "$n" postgres -c "CREATE DATABASE $DATABASE"
    fi
    psql_node "$n" "$DATABASE" -c 'CREATE EXTENSION IF NOT EXISTS citus'
  done
  psql_node 0 "$DATABASE" -c "SELECT citus_set_coordinator_host('127.0.0.1', $(port 0))" >/dev/null
  for n in "${WORKERS[@]}"; do
    if [ "$(psql_node 0 "$DATABASE" -c "SELECT count(*) FROM pg_dist_node WHERE nodeport = $(port "$n")")" = 0 ]; then
      psql_node 0 "$DATABASE" -c "SELECT citus_add_node('127.0.0.1', $(port "$n"))" >/dev/null
    fi
  done
  log "coordinator on port $(port 0), workers on $(for n in "${WORKERS[@]}"; do printf '%s ' "$(port "$n")"; done)(Citus $(psql_node 0 "$DATABASE" -c "SELECT extversion FROM pg_extension WHERE extname = 'citus'"))"
  url
}

status() {
  installed
  local n
  for n in 0 "${WORKERS[@]}"; do
    if node_up "$n"; then
      echo "node $n (port $(port "$n")): up"
    else
      echo "node $n (port $(port "$n")): down, starting it"
      start_node "$n"
    fi
  done
  psql_node 0 "$DATABASE" -c "SELECT 'worker ' || nodename || ':' || nodeport || CASE WHEN isactive THEN ' active' ELSE ' inactive' END FROM pg_dist_node WHERE groupid <> 0 ORDER BY nodeport"
}

kill_worker() {
  local n=$1
  [[ " ${WORKERS[*]} " == *" $n "* ]] || { echo "no worker $n (workers: ${WORKERS[*]})" >&2; exit 2; }
  scripts/pg.sh crash "$CITUS_DIR/node$n"
  log "worker $n (port $(port "$n")) stopped at once"
}

down() {
  local n
  for n in 0 "${WORKERS[@]}"; do scripts/pg.sh stop "$CITUS_DIR/node$n"; done
  rm -rf "$CITUS_DIR"
  log "stopped and deleted $CITUS_DIR"
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
kill-worker) kill_worker "${2:?worker number}" ;;
url) url ;;
*)
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
