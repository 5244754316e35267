#!/usr/bin/env bash
# The release check: runs `make run` itself, as a newcomer would (release build, its own local
# PostgreSQL cluster, default settings), on a fresh cluster directory and free ports, then checks
# what they would see: /health/ready answers 200, and the Playwright spec end2end/release/ opens
# the page in Chromium (no console errors, hydrated), creates a coupon in the UI, claims it
# through the API and sees the claim; then scripts/lighthouse.sh checks its pages: the bundle
# compressed, immutable and within its byte budget, no console error, accessibility and best
# practices 100, and prints the (simulated) performance scores. Leaves target/release/server and
# target/site built for the later steps of make test. Usage: scripts/check-run.sh (make test runs
# it; CHECK_RUN_TIMEOUT seconds, default 2400, bound the build and start).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/log.sh
log() { log_as check-run "$@"; }

work=$(mktemp -d /tmp/coupons-check-run.XXXXXX)
chmod 755 "$work"
port=$(scripts/free-port.sh)
pg_port=$(scripts/free-port.sh)
while [ "$pg_port" = "$port" ]; do pg_port=$(scripts/free-port.sh); done
mkdir -p target/check-run
run_log=target/check-run/make-run.log
run_pid=
stop() {
  # make run, its script and the server share one process group: end them all, gracefully.
  # (`|| true`: make run ends by that signal, and a failing command here would set the exit status)
  if [ -n "$run_pid" ]; then kill -TERM -- "-$run_pid" 2>/dev/null || true; wait "$run_pid" 2>/dev/null || true; fi
  scripts/pg.sh stop "$work/pg"
  rm -rf "$work"
}
trap stop EXIT

log "make run with COUPONS_PG_DIR=$work/pg COUPONS_PG_PORT=$pg_port LISTEN_ADDR=127.0.0.1:$port (log: $run_log)"
# Only what make run itself would see: no DATABASE_URL, no test settings.
setsid env -u DATABASE_URL COUPONS_PG_DIR="$work/pg" COUPONS_PG_PORT="$pg_port" LISTEN_ADDR="127.0.0.1:$port" \
  make run >"$run_log" 2>&1 &
run_pid=$!
url="http://127.0.0.1:$port"
deadline=$(($(date +%s) + ${CHECK_RUN_TIMEOUT:-2400}))
until grep -q "ready: $url" "$run_log"; do
  if ! kill -0 "$run_pid" 2>/dev/null || [ "$(date +%s)" -gt "$deadline" ]; then
    tail -40 "$run_log"
    echo "make run did not print 'ready: $url' (above: its last lines)" >&2
    exit 1
  fi
  sleep 1
done
log "make run is ready at $url"
curl -fsS "$url/health/ready" | grep -q '"ready"'
log "Playwright against the release server (end2end/release/)"
(cd end2end && E2E_RELEASE_URL=$url npx playwright test -c release.config.ts)
# The performance score is simulated from this machine's CPU, and a busy CI box moved it below
# every floor tried (77 against 80): here it is printed, not gated (make lighthouse gates it at
# 90). What makes it good is gated instead, the same on any machine: the bundle served
# compressed and immutable within its byte budget, no console error, accessibility and best
# practices 100 (docs/benchmark.md, "The UI bundle").
log "Lighthouse (mobile) on the release server's pages, and its bundle on the wire"
LIGHTHOUSE_MIN=0 scripts/lighthouse.sh "$url"
log "the release build of make run works"
