#!/usr/bin/env bash
# Starts or stops a local PostgreSQL 15 cluster from Debian's binaries (no Docker needed).
#
#   scripts/pg.sh start <dir> <port> [extra postgres -c settings...]   prints the DATABASE_URL
#   scripts/pg.sh stop  <dir>
#   scripts/pg.sh crash <dir>     immediate stop, as a power cut would (crash recovery at next start)
#
# The cluster lives in <dir>/data with trust auth on 127.0.0.1 only. As root, initdb and the
# server run as the `postgres` user, so <dir> must be reachable by it.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:?usage: pg.sh start|stop|crash <dir> [port]}
dir=$(realpath -m "${2:?missing cluster directory}")

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
  port=${3:?missing port}
  shift 3
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 -N >"$dir/initdb.log"
  fi
  opts="-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400"
  for setting in "$@"; do opts="$opts -c $setting"; done
  if ! as_pg "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$opts" start >/dev/null
  fi
  echo "postgres://postgres@127.0.0.1:$port/postgres"
  ;;
crash)
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
  ;;
stop)
  if [ -f "$dir/data/PG_VERSION" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  ;;
*)
  echo "usage: pg.sh start|stop|crash <dir> [port]" >&2
  exit 2
  ;;
esac
