#!/usr/bin/env bash
# Runs every test against a throwaway PostgreSQL cluster (deleted afterwards):
#   1. unit tests of app (shared types and validation rules)
#   2. server tests: claim engine on the database, the HTTP contract, attack tests, SSR
#      -- the attack and engine tests once per claim engine mode
#   3. the crash tier: its own durable cluster, crashed and restarted under load (both modes),
#      then the HA tier: Patroni, etcd and HAProxy, with failovers under load (both modes), then
#      the Citus tier where Citus is installed (a coordinator and two workers, a worker crashed)
#   4. the release check: `make run` itself on its own cluster, then Chromium (Playwright) and
#      Lighthouse against it, as a newcomer would meet it
#   5. the API contract: schemathesis against that release binary started from another directory
#   6. Playwright in real Chromium against the release server
#   7. make bench-live's load generator, small, against that release server (admin and stock streams)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export SQLX_OFFLINE=true

source scripts/lib/log.sh
log() { log_as test "$@"; }

pg_dir=$(mktemp -d /tmp/coupons-test-pg.XXXXXX)
cleanup() { scripts/pg.sh stop "$pg_dir"; rm -rf "$pg_dir"; }
trap cleanup EXIT
# fsync=off: a throwaway cluster for tests only; the benchmark runs with full durability.
DATABASE_URL=$(scripts/pg.sh start "$pg_dir" "$(scripts/free-port.sh)" fsync=off synchronous_commit=off full_page_writes=off)
export DATABASE_URL
log "PostgreSQL at $DATABASE_URL"

log "offline query data (.sqlx/) matches the queries and the schema"
psql -q "$DATABASE_URL" -c "CREATE DATABASE sqlx_check" >/dev/null
check_url="${DATABASE_URL%/*}/sqlx_check"
DATABASE_URL=$check_url cargo sqlx migrate run --source migrations >/dev/null
DATABASE_URL=$check_url cargo sqlx prepare --workspace --check -- --all-targets

# The release build of make run (scripts/build.sh) starts now, in the background, at the lowest
# CPU priority (nice 19): the tests below keep the cores whenever they need them, and the build
# fills the time they spend waiting (on timeouts, crashes, restarts and failovers). The release
# check then finds it built (its make run builds nothing again).
mkdir -p target
log "the release build starts in the background, at nice 19 (log: target/release-build.log)"
nice -n 19 scripts/build.sh >target/release-build.log 2>&1 &
release_build=$!

log "cargo test -p app --features ssr"
cargo test -p app --features ssr

log "cargo test -p server (claim engine: batched, the default)"
# The integration tests are one binary (tests/api/), plus tests/metrics.rs and the crash and HA
# tiers (tests/crash/, tests/ha/, below), which need processes of their own. One test at a time: many tests fire
# thousands of concurrent claims or measure timeouts, and 2 cores shared by two such tests would
# make their clocks lie.
CLAIM_ENGINE=batched cargo test -p server -- --test-threads=1 --skip crash_tier_ --skip ha_tier_ --skip citus_tier_

# Further engine modes run the tests that exercise the claim path.
for mode in ${EXTRA_ENGINE_MODES-per-request}; do
  log "attack, engine and contract tests again with CLAIM_ENGINE=$mode"
  CLAIM_ENGINE=$mode cargo test -p server --test api -- attacks:: engine:: api_contract:: overload:: \
    sale_races:: sale_lifecycle:: idempotency:: live_sale:: admin_sale::
  CLAIM_ENGINE=$mode cargo test -p server --test metrics
done

log "crash tier: durable PostgreSQL crashed, restarted and the server killed under load"
# Its own cluster (fsync and synchronous_commit on, wal_writer_delay=10s) and server processes;
# the figures of each crash cycle are printed.
cargo test -p server --test crash -- --test-threads=1 --nocapture

log "HA tier: the server on etcd + two Patroni-managed PostgreSQL nodes (strict synchronous) + HAProxy, both engines"
# scripts/ha.sh on ports of its own; switchover, the primary's PostgreSQL killed, the primary
# node lost, the standby lost then the primary, commit waits cancelled: each counted afterwards.
cargo test -p server --test ha -- --nocapture

# The Citus tier needs Citus, which comes from Citus's own packages (docs/scale.md): where it is
# installed for PostgreSQL 15, a coordinator and two workers of scripts/citus.sh on ports of their
# own, both engines, a worker crashed under load.
if [ -f /usr/share/postgresql/15/extension/citus.control ]; then
  log "Citus tier: the server on a coordinator and two workers (scripts/citus.sh), both engines, a worker crashed under load"
  cargo test -p server --test citus -- --nocapture
else
  log "Citus tier skipped: Citus is not installed for PostgreSQL 15 here (docs/scale.md says how to install it)"
fi

wait "$release_build" || { tail -40 target/release-build.log; log "the release build failed (above: its last lines)"; exit 1; }
log "the release build is done"
log "the release check: make run, then Chromium and Lighthouse against it (scripts/check-run.sh)"
scripts/check-run.sh

log "the API contract: the release binary from another directory, fuzzed by schemathesis (OpenAPI document)"
contract_db="${DATABASE_URL%/*}/contract"
psql -q "$DATABASE_URL" -c "CREATE DATABASE contract" >/dev/null
scripts/contract.sh "$contract_db" target/release/server

log "Playwright end-to-end tests (Chromium) against the release server"
e2e_db="${DATABASE_URL%/*}/e2e"
psql -q "$DATABASE_URL" -c "CREATE DATABASE e2e" >/dev/null
# Two servers: E2E_PORT without ADMIN_PASSWORD, E2E_AUTH_PORT with it (auth*.spec.ts).
e2e_port=$(scripts/free-port.sh)
e2e_auth_port=$(scripts/free-port.sh)
while [ "$e2e_auth_port" = "$e2e_port" ]; do e2e_auth_port=$(scripts/free-port.sh); done
# The shop's site of cross-origin.spec.ts (a page on another origin that claims).
e2e_shop_port=$(scripts/free-port.sh)
while [ "$e2e_shop_port" = "$e2e_port" ] || [ "$e2e_shop_port" = "$e2e_auth_port" ]; do e2e_shop_port=$(scripts/free-port.sh); done
# The server live.spec.ts stops and restarts on its own port.
e2e_own_port=$(scripts/free-port.sh)
while [[ " $e2e_port $e2e_auth_port $e2e_shop_port " == *" $e2e_own_port "* ]]; do e2e_own_port=$(scripts/free-port.sh); done
(cd end2end && DATABASE_URL=$e2e_db E2E_PORT=$e2e_port E2E_AUTH_PORT=$e2e_auth_port E2E_SHOP_PORT=$e2e_shop_port \
  E2E_OWN_PORT=$e2e_own_port E2E_SERVER_BIN=target/release/server npx playwright test)

log "make bench-live's load generator, small, on the release server with default rate limits"
LIVE_SERVER_BIN=target/release/server LIVE_LOAD_PROFILE=dev RATE_LIMITS=true \
  SUBSCRIBERS=200 CLAIMS=300 RATE=300 scripts/bench-live.sh
log "the same on the shoppers' public stock stream"
LIVE_SERVER_BIN=target/release/server LIVE_LOAD_PROFILE=dev RATE_LIMITS=true STREAM=stock \
  SUBSCRIBERS=200 CLAIMS=300 RATE=300 scripts/bench-live.sh
log "all tests passed"
