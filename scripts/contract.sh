#!/usr/bin/env bash
# The built server binary, started from a directory outside the repository with only
# environment variables (it must find its site itself), then fuzzed by schemathesis against
# its own OpenAPI document. Usage: scripts/contract.sh <database url> [server binary] (make test
# calls it with the release build that `make run` made; the default is target/release/server).
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
server_pid=
stop() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$elsewhere"; }
trap stop EXIT

log "$binary from $elsewhere, configured by environment only"
(cd "$elsewhere" && exec env -i PATH=/usr/bin:/bin DATABASE_URL="$database_url" LISTEN_ADDR="127.0.0.1:$port" \
  ADMIN_PASSWORD="$token" AUTH_FAILURES_PER_MINUTE=100000 LOG_LEVEL=warn \
  "$binary" > "$report/server.log" 2>&1) &
server_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -fsS -o /dev/null "$base/health/ready" 2>/dev/null && break; sleep 0.2; done
curl -fsS "$base/health/ready" | grep -q '"ready"' || { cat "$report/server.log"; exit 1; }
# The site came from next to the binary: the page links the bundle (JS, WASM, CSS; hashed names
# in a release build), and every file of it is served.
assets=$(curl -fsS "$base/signin" | grep -oE '/pkg/[^"]+[.](js|wasm|css)' | sort -u)
[ "$(wc -l <<<"$assets")" -ge 3 ] || { echo "the page links no bundle: $assets"; exit 1; }
for asset in $assets; do curl -fsS -o /dev/null "$base$asset"; done
log "serves its site and its readiness from elsewhere"

log "schemathesis: every operation, examples, coverage, fuzzing and stateful phases"
API_TOKEN=$token .venv/bin/schemathesis --config-file scripts/contract/schemathesis.toml \
  run "$base/api/openapi.json" --report junit --report-dir "$report" | tee "$report/run.txt" | tail -25
grep -E '^ +(Scenarios|API Links):' "$report/run.txt" || true

# Cross-check from the server's own counters: no 5xx answered during the whole run.
metrics=$(curl -fsS -H "Authorization: Bearer $token" "$base/metrics")
if grep -E '^coupons_http_requests_total\{.*status="5[0-9][0-9]"' <<<"$metrics"; then
  echo "the server answered 5xx during the fuzzing run (above)"; exit 1
fi
total=$(grep -E '^coupons_http_requests_total' <<<"$metrics" | awk '{s+=$2} END {print s}')
log "server counted $total requests, none answered 5xx; report in target/schemathesis/"
