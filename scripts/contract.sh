#!/usr/bin/env bash
# The built server binary, started from a directory outside the repository with only
# environment variables (it must find its site itself), then fuzzed by schemathesis against
# its own OpenAPI document, twice: claims open (the default) with the admin token, then
# CLAIM_AUTH=key with an API key of scope admin for every call (the claim included). The server
# sends no webhook (WEBHOOK_DELIVERIES=false): a fuzzed endpoint may name any public address,
# and no test sends traffic off this machine. Usage:
# scripts/contract.sh <database url> [server binary] (make test calls it with the release build
# that `make run` made; the default is target/release/server).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
source scripts/lib/log.sh
log() { log_as contract "$@"; }

database_url=$1
binary=$root/${2:-target/release/server}
port=$(scripts/free-port.sh)
token=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
elsewhere=$(mktemp -d /tmp/coupons-contract.XXXXXX)
report=$root/target/schemathesis
rm -rf "$report" && mkdir -p "$report"
base="http://127.0.0.1:$port"
server_pid=
stop_server() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true; server_pid=; }
stop() { stop_server; rm -rf "$elsewhere"; }
trap stop EXIT

start_server() { # claim-auth label
  (cd "$elsewhere" && exec env -i PATH=/usr/bin:/bin DATABASE_URL="$database_url" LISTEN_ADDR="127.0.0.1:$port" \
    ADMIN_PASSWORD="$token" AUTH_FAILURES_PER_MINUTE=100000 CLAIM_AUTH="$1" LOG_LEVEL=warn \
    WEBHOOK_DELIVERIES=false \
    "$binary" > "$report/server-$2.log" 2>&1) &
  server_pid=$!
  # Up to two minutes (a loaded CI box), then ready or out with its log.
  for _ in $(seq 600); do
    curl -fsS -o /dev/null "$base/health/ready" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
  done
  curl -fsS "$base/health/ready" | grep -q '"ready"' || { cat "$report/server-$2.log"; exit 1; }
}

fuzz() { # label credential [schemathesis options]
  local label=$1 credential=$2
  shift 2
  log "schemathesis ($label): every operation, examples, coverage, fuzzing and stateful phases"
  API_TOKEN=$credential .venv/bin/schemathesis --config-file scripts/contract/schemathesis.toml \
    run "$base/api/openapi.json" --report junit --report-dir "$report/$label" "$@" |
    tee "$report/run-$label.txt" | tail -25
  grep -E '^ +(Scenarios|API Links):' "$report/run-$label.txt" || true
  # Cross-check from the server's own counters: no 5xx answered during the whole run.
  local metrics total
  metrics=$(curl -fsS -H "Authorization: Bearer $token" "$base/metrics")
  if grep -E '^coupons_http_requests_total\{.*status="5[0-9][0-9]"' <<<"$metrics"; then
    echo "the server answered 5xx during the fuzzing run (above)"; exit 1
  fi
  total=$(grep -E '^coupons_http_requests_total' <<<"$metrics" | awk '{s+=$2} END {print s}')
  log "$label: the server counted $total requests, none answered 5xx; report in target/schemathesis/"
}

log "$binary from $elsewhere, configured by environment only"
start_server open open
# The site came from next to the binary: the page links the bundle (JS, WASM, CSS; hashed names
# in a release build), and every file of it is served.
assets=$(curl -fsS "$base/signin" | grep -oE '/pkg/[^"]+[.](js|wasm|css)' | sort -u)
[ "$(wc -l <<<"$assets")" -ge 3 ] || { echo "the page links no bundle: $assets"; exit 1; }
for asset in $assets; do curl -fsS -o /dev/null "$base$asset"; done
log "serves its site and its readiness from elsewhere"
fuzz open "$token"
stop_server

# Claims need a key now; one key of scope admin goes on every request (admin calls and claims).
start_server key key
key=$(curl -fsS -X POST "$base/api/keys" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"name":"schemathesis","scopes":["admin"]}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/api/coupons/claim" -H 'Content-Type: application/json' \
  -d '{"user_id":"u","coupon_name":"none"}')" = 401 ] || { echo "CLAIM_AUTH=key took a claim without a key"; exit 1; }
fuzz key "$key" -H "Authorization: Bearer $key"
