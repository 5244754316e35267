#!/usr/bin/env bash
# A highly available PostgreSQL on loopback, from the real parts: one etcd (leader election),
# two PostgreSQL 15 nodes under Patroni (synchronous replication, strict mode: no commit returns
# without the standby's confirmation), one HAProxy that routes to whichever node Patroni's REST
# API calls primary. No Docker needed; docker-compose.yml's `ha` profile is the same topology.
#
#   scripts/ha.sh up            start it all (installing what is missing); prints, as its last
#                               line, the DATABASE_URL through HAProxy
#   scripts/ha.sh status        each node's role, state and lag (restarts a node that is down)
#   scripts/ha.sh failover      planned switchover to the standby; returns once it is the primary
#                               and the old primary streams to it again
#   scripts/ha.sh kill-primary  SIGKILL the primary's Patroni and PostgreSQL; returns at once
#   scripts/ha.sh kill-replica  the same for the standby
#   scripts/ha.sh kill-primary-postgres  SIGKILL only the primary's PostgreSQL (Patroni lives on
#                               and restarts it, or its standby takes over)
#   scripts/ha.sh start-node N  start node N's Patroni again (status does it for every dead node)
#   scripts/ha.sh heal          start every dead node and wait until the primary has its
#                               standby again (for Patroni: promotable, listed in /sync)
#   scripts/ha.sh url           the DATABASE_URL through HAProxy
#   scripts/ha.sh install       install etcd, HAProxy, PostgreSQL 15 and Patroni (.venv-ha/)
#   scripts/ha.sh down          stop everything and delete the cluster
#
# HA_DIR (default /tmp/coupons-ha) holds it all; HA_PORT (default 25400) is HAProxy's port, and
# the others follow: etcd +1/+2, node N's PostgreSQL +10N+1 and REST API +10N+2. Keep them all
# below Linux's ephemeral range (32768-60999): a node restarts on its own port, which an outgoing
# connection may otherwise have taken as its local port meanwhile.
# HA_REPLICATION=strict (default) | lenient (synchronous_mode_strict off: with the standby gone,
# commits go unreplicated) | async (no synchronous replication): the two broken settings exist so
# that the HA test tier can show it catches them.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/log.sh
log() { log_as ha "$@" >&2; } # stdout: only what a command answers (up: the URL)

PATRONI_VERSION=4.1.5
PG_BIN=/usr/lib/postgresql/15/bin
HA_DIR=$(realpath -m "${HA_DIR:-/tmp/coupons-ha}")
HA_PORT=${HA_PORT:-25400}
VENV=$PWD/.venv-ha
# Chosen at `up` and remembered for the later commands.
HA_REPLICATION=${HA_REPLICATION:-$(cat "$HA_DIR/replication" 2>/dev/null || echo strict)}
ETCD_PORT=$((HA_PORT + 1))
NODES=(1 2)
pg_port() { echo $((HA_PORT + 10 * $1 + 1)); }
rest_port() { echo $((HA_PORT + 10 * $1 + 2)); }
url() { echo "postgres://postgres@127.0.0.1:$HA_PORT/${HA_DATABASE:-coupons}"; }

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install() {
  local pkgs=()
  command -v etcd >/dev/null || pkgs+=(etcd-server)
  command -v haproxy >/dev/null || pkgs+=(haproxy)
  [ -x "$PG_BIN/initdb" ] || pkgs+=(postgresql-15)
  # Debian's Python: Patroni runs as the postgres user, who may not reach a python under /root.
  /usr/bin/python3 -m venv --help >/dev/null 2>&1 || pkgs+=(python3-venv)
  if ((${#pkgs[@]})); then
    log "apt-get install ${pkgs[*]}"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  fi
  # Patroni from PyPI: Debian 12's 3.0.2 mishandles synchronous_mode_strict (fixed in 3.0.4).
  if ! "$VENV/bin/patroni" --version 2>/dev/null | grep -q "$PATRONI_VERSION"; then
    log "pip install patroni $PATRONI_VERSION into .venv-ha/"
    rm -rf "$VENV"
    /usr/bin/python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "patroni[etcd3,psycopg3]==$PATRONI_VERSION"
  fi
}

# Waits until `$1` (a command) succeeds, at most $2 seconds.
wait_for() {
  local what=$1 seconds=$2 i
  for ((i = 0; i < seconds * 10; i++)); do
    if eval "$what" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  log "gave up after ${seconds}s waiting for: $what"
  return 1
}

# The role Patroni's REST API gives node $1: primary, replica, or down (no answer within 3 s).
role() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$(rest_port "$1")/primary" || true)
  case "$code" in
  200) echo primary ;;
  503) echo replica ;;
  *) echo down ;;
  esac
}
# Node $1 streams as the standby: for Patroni, in etcd, the synchronous one (promotable), unless
# replication is asynchronous. (A node's own REST API answers from a view up to loop_wait old.)
standby_ready() {
  local wanted="Sync Standby"
  [ "$HA_REPLICATION" = async ] && wanted=Replica
  "$VENV/bin/patronictl" -c "$HA_DIR/node1/patroni.yml" list -f json 2>/dev/null |
    /usr/bin/python3 -c 'import json, sys
name, role = sys.argv[1], sys.argv[2]
ok = any(m["Member"] == name and m["Role"] == role and m["State"] == "streaming" for m in json.load(sys.stdin))
sys.exit(0 if ok else 1)' "node$1" "$wanted"
}
node_with_role() {
  local n
  for n in "${NODES[@]}"; do
    if [ "$(role "$n")" = "$1" ]; then echo "$n" && return 0; fi
  done
  return 1
}
# The same, asked again for up to 30 s, for the commands that act on that node: a busy machine's
# Patroni may answer late, which is no reason to give up.
node_with_role_patiently() {
  local i
  for ((i = 0; i < 30; i++)); do
    node_with_role "$1" && return 0
    sleep 1
  done
  return 1
}

# Node $1's configuration: the shared cluster settings of ops/ha/patroni.yml (as docker-compose's
# `ha` profile uses them), with the broken settings of HA_REPLICATION if asked, and this node's
# loopback addresses, data directory and trust authentication.
write_patroni_config() {
  local n=$1 dir=$HA_DIR/node$1 shared
  case "$HA_REPLICATION" in
  strict) shared=$(cat ops/ha/patroni.yml) ;;
  lenient) shared=$(sed 's/synchronous_mode_strict: true/synchronous_mode_strict: false/' ops/ha/patroni.yml) ;;
  async) shared=$(sed 's/synchronous_mode\(_strict\)\{0,1\}: true/synchronous_mode\1: false/' ops/ha/patroni.yml) ;;
  *) log "HA_REPLICATION must be strict, lenient or async" && exit 2 ;;
  esac
  cat >"$dir/patroni.yml" <<EOF
$shared
name: node$n
log:
  level: INFO
restapi:
  listen: 127.0.0.1:$(rest_port "$n")
  connect_address: 127.0.0.1:$(rest_port "$n")
etcd3:
  hosts: 127.0.0.1:$ETCD_PORT
postgresql:
  listen: 127.0.0.1:$(pg_port "$n")
  connect_address: 127.0.0.1:$(pg_port "$n")
  data_dir: $dir/data
  bin_dir: $PG_BIN
  pgpass: $dir/pgpass
  authentication:
    superuser: {username: postgres, password: postgres}
    replication: {username: replicator, password: replicator}
    rewind: {username: postgres, password: postgres}
  parameters:
    unix_socket_directories: $dir
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication replicator 127.0.0.1/32 trust
EOF
}

start_node() {
  local n=$1 dir=$HA_DIR/node$1
  mkdir -p "$dir"
  [ -f "$dir/patroni.yml" ] || write_patroni_config "$n"
  [ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
  # Its own session, so that `down` and the kills find its processes.
  as_pg setsid "$VENV/bin/patroni" "$dir/patroni.yml" >>"$dir/patroni.log" 2>&1 </dev/null &
  wait_for "patroni_pid $n" 10
}

# Node $1's Patroni process (setsid forks, so it is found by its command line).
patroni_pid() {
  pgrep -f "patroni $HA_DIR/node$1/patroni.yml\$"
}
patroni_alive() { patroni_pid "$1" >/dev/null; }

# SIGKILL node $1's Patroni, its postmaster and every backend: the machine is gone.
kill_node() {
  local dir=$HA_DIR/node$1 pids=() pm
  pids+=($(patroni_pid "$1" || true))
  pm=$(head -1 "$dir/data/postmaster.pid" 2>/dev/null || true)
  if [ -n "$pm" ]; then pids+=("$pm" $(pgrep -P "$pm" || true)); fi
  ((${#pids[@]})) && kill -9 "${pids[@]}" 2>/dev/null || true
}

up() {
  install
  if [ -f "$HA_DIR/etcd.pid" ] && kill -0 "$(cat "$HA_DIR/etcd.pid")" 2>/dev/null; then
    log "already up in $HA_DIR"
    status >&2
    url
    return
  fi
  mkdir -p "$HA_DIR/etcd"
  echo "$HA_REPLICATION" >"$HA_DIR/replication"
  log "etcd on 127.0.0.1:$ETCD_PORT"
  setsid etcd --name ha --data-dir "$HA_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-cluster "ha=http://127.0.0.1:$((ETCD_PORT + 1))" \
    >>"$HA_DIR/etcd.log" 2>&1 </dev/null &
  echo $! >"$HA_DIR/etcd.pid"
  wait_for "curl -sf http://127.0.0.1:$ETCD_PORT/health" 30
  log "node1: Patroni bootstraps PostgreSQL on 127.0.0.1:$(pg_port 1)"
  start_node 1
  wait_for '[ "$(role 1)" = primary ]' 60
  log "node2: Patroni clones the standby on 127.0.0.1:$(pg_port 2)"
  start_node 2
  wait_for 'standby_ready 2' 90
  write_haproxy_config
  log "HAProxy on 127.0.0.1:$HA_PORT (to the node whose Patroni says primary)"
  haproxy -f "$HA_DIR/haproxy.cfg" -p "$HA_DIR/haproxy.pid" -D
  # HAProxy counts every server up until its checks fail: wait until it routes to the primary only.
  wait_for only_primary_behind_haproxy 30
  if ! $PG_BIN/psql -qAt "$(HA_DATABASE=postgres url)" -c "SELECT 1 FROM pg_database WHERE datname = 'coupons'" | grep -q 1; then
    $PG_BIN/psql -q "$(HA_DATABASE=postgres url)" -c "CREATE DATABASE coupons"
  fi
  log "up: primary node1, standby node2 (replication: $HA_REPLICATION)"
  url
}

only_primary_behind_haproxy() {
  local i
  for i in 1 2 3 4 5 6; do
    [ "$($PG_BIN/psql -qAt "$(HA_DATABASE=postgres url)" -c 'SELECT NOT pg_is_in_recovery()')" = t ] || return 1
  done
}

write_haproxy_config() {
  local n servers=""
  for n in "${NODES[@]}"; do
    servers+="  server node$n 127.0.0.1:$(pg_port "$n") maxconn 400 check port $(rest_port "$n")"$'\n'
  done
  cat >"$HA_DIR/haproxy.cfg" <<EOF
global
  maxconn 2000
defaults
  mode tcp
  timeout connect 2s
  timeout client 30m
  timeout server 30m
  timeout check 1s
# Only the node whose Patroni answers 200 on /primary takes connections; when a node stops
# being primary, its sessions are cut, so no client keeps writing to a demoted node.
listen primary
  bind 127.0.0.1:$HA_PORT
  option httpchk GET /primary
  http-check expect status 200
  default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
$servers
EOF
}

restart_dead_nodes() {
  local n
  for n in "${NODES[@]}"; do
    if [ -f "$HA_DIR/node$n/patroni.yml" ] && ! patroni_alive "$n"; then
      log "node$n is down: starting its Patroni again (it rejoins as a replica)"
      start_node "$n"
    fi
  done
}

status() {
  restart_dead_nodes
  "$VENV/bin/patronictl" -c "$HA_DIR/node1/patroni.yml" list
}

# A primary, its standby ready, and a commit that needs the standby's confirmation returns.
whole() {
  local p
  p=$(node_with_role primary) && standby_ready $((3 - p)) &&
    timeout 3 "$PG_BIN/psql" -qAt "$(HA_DATABASE=postgres url)" \
      -c "SELECT pg_logical_emit_message(true, 'ha', 'healed')" >/dev/null
}

heal() {
  restart_dead_nodes
  wait_for whole 120 || { status && exit 1; }
}

failover() {
  local leader candidate
  leader=$(node_with_role_patiently primary) || { log "no primary to switch over from" && exit 1; }
  candidate=$((3 - leader))
  log "switchover node$leader -> node$candidate"
  "$VENV/bin/patronictl" -c "$HA_DIR/node1/patroni.yml" switchover coupons \
    --leader "node$leader" --candidate "node$candidate" --force >/dev/null
  wait_for '[ "$(role '"$candidate"')" = primary ]' 60
  wait_for "standby_ready $leader" 90
  log "node$candidate is the primary, node$leader its synchronous standby"
}

# SIGKILL the primary's postmaster and backends only.
kill_primary_postgres() {
  local n pm
  n=$(node_with_role_patiently primary) || { log "no primary" && exit 1; }
  pm=$(head -1 "$HA_DIR/node$n/data/postmaster.pid")
  kill -9 "$pm" $(pgrep -P "$pm" || true) 2>/dev/null || true
  log "node$n: PostgreSQL killed with SIGKILL (its Patroni lives on)"
}

kill_role() {
  local n
  n=$(node_with_role_patiently "$1") || { log "no $1 to kill" && exit 1; }
  kill_node "$n"
  log "node$n ($1) killed with SIGKILL"
}

down() {
  local n
  [ -f "$HA_DIR/haproxy.pid" ] && kill "$(cat "$HA_DIR/haproxy.pid")" 2>/dev/null || true
  for n in "${NODES[@]}"; do
    kill $(patroni_pid "$n") 2>/dev/null || true
  done
  sleep 1
  for n in "${NODES[@]}"; do kill_node "$n"; done
  [ -f "$HA_DIR/etcd.pid" ] && kill -9 "$(cat "$HA_DIR/etcd.pid")" 2>/dev/null || true
  rm -rf "$HA_DIR"
  log "down: $HA_DIR removed"
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
failover) failover ;;
kill-primary) kill_role primary ;;
kill-replica) kill_role replica ;;
kill-primary-postgres) kill_primary_postgres ;;
start-node) start_node "${2:?node number}" ;;
heal) heal ;;
url) url ;;
install) install ;;
*)
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
