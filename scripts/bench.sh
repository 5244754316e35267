#!/usr/bin/env bash
# Claim throughput on one hot coupon, per claim engine mode. See docs/benchmark.md.
#
# Starts its own PostgreSQL with production durability (fsync and synchronous_commit on), builds
# and starts the release server per mode, and drives it with wrk from a separate process on
# 127.0.0.1: every claim a fresh user id against one hot coupon, at each connection count; then a
# sold-out storm (stock 1,000, claims keep coming) and a read run (GET of a coupon with 1,000
# claimers), and a read run of a coupon with BENCH_BIG_CLAIMERS (1,000,000) claimers for memory.
# Prints a table, then verifies the invariants from the database.
#
# Knobs: BENCH_MODES ("per-request batched"), BENCH_CONNECTIONS ("16 64 256"), BENCH_SECONDS (10),
# BENCH_THREADS (wrk threads, 2), DB_POOL_SIZE (32), CLAIM_BATCH_MAX (512).
# BENCH_AUTH (1; 0 skips) adds open / API key / shopper token claims, interleaved, at
# BENCH_AUTH_CONNECTIONS (64 256): scripts/bench/auth.sh.
# BENCH_HA (1; 0 skips) adds claims on the HA cluster of scripts/ha.sh (a synchronous standby)
# against the single node, interleaved, at BENCH_HA_CONNECTIONS (64): scripts/bench/ha.sh.
# BENCH_READS (1; 0 skips) adds the read storm: GET /stock alone, claims alone and both at once,
# interleaved, at BENCH_READ_CONNECTIONS (64), and the full GET of 1,000 claimers with and without
# the kept answers: scripts/bench/reads.sh.
# BENCH_WEBHOOKS (1; 0 skips) adds claims with and without a webhook endpoint, interleaved, at
# BENCH_WEBHOOK_CONNECTIONS (64), and the dispatcher's deliveries per second and lag:
# scripts/bench/webhooks.sh.
# BENCH_DRAWS (1; 0 skips) adds a draw coupon's entries against claims, interleaved, at
# BENCH_DRAW_CONNECTIONS (64 256), and the time of draws of BENCH_DRAW_SIZES (100000 1000000)
# entries: scripts/bench/draws.sh.
# BENCH_CITUS (1; 0 skips; skipped where Citus is not installed) adds claims on a Citus cluster of
# scripts/citus.sh against the single node, interleaved, one hot coupon and 16 coupons, at
# BENCH_CITUS_CONNECTIONS (64 256): scripts/bench/citus.sh.
# BENCH_BASELINE=<git revision> also builds that revision's server (in a git worktree, into
# target/baseline: never into target/ itself, where cargo would take the baseline's workspace
# crates for this tree's, as their hashes do not depend on the checkout's path) and runs the hot runs with it too, twice, then
# this tree's hot runs again (A B B A: later runs measure faster on this box), the baseline on a
# database of its own: a before/after comparison from one run ("mode@revision" rows).
# BENCH_VARIANT="NAME=value ..." runs the hot runs a second time with this tree's server started
# with those settings added ("mode+NAME=value" rows), on a database of its own, e.g. BENCH_VARIANT=METRICS=false for what
# counting costs. Both comparisons end with a ratio table against the plain rows of the same run.
# BENCH_PROFILE=1 also records a system-wide perf profile of each hot run and prints where the
# CPU time goes (by process, then the server's and PostgreSQL's hottest functions), and the
# statements PostgreSQL spent the most time on (pg_stat_statements). `make bench-profile` does
# that for the batched engine at 64 and 256 connections.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export SQLX_OFFLINE=true

modes=${BENCH_MODES:-per-request batched}
connections=${BENCH_CONNECTIONS:-16 64 256}
seconds=${BENCH_SECONDS:-10}
threads=${BENCH_THREADS:-2}
log() { printf '\033[1;34m[bench]\033[0m %s\n' "$*" >&2; }

work=$(mktemp -d /tmp/coupons-bench.XXXXXX)
chmod 755 "$work" # the postgres user must reach $work/pg
server_pid=""
ha_down=""
citus_down=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ -n "$ha_down" ] && eval "$ha_down" 2>/dev/null
  [ -n "$citus_down" ] && eval "$citus_down" 2>/dev/null
  scripts/pg.sh stop "$work/pg"
  rm -rf "$work"
  git worktree prune
}
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || true

baseline=${BENCH_BASELINE:-}
if [ -n "$baseline" ]; then
  log "cargo build --release -p server at $baseline"
  git worktree add --detach "$work/baseline" "$baseline" >/dev/null
  CARGO_TARGET_DIR="$PWD/target/baseline" cargo build --release -p server \
    --manifest-path "$work/baseline/Cargo.toml"
  cp target/baseline/release/server "$work/server-baseline"
  git worktree remove --force "$work/baseline"
fi
log "cargo build --release -p server"
cargo build --release -p server
pg_settings=(shared_buffers=256MB)
# A profile also counts statements (pg_stat_statements: calls, time, rows of each statement).
[ -n "${BENCH_PROFILE:-}" ] && pg_settings+=(shared_preload_libraries=pg_stat_statements)
base=$(scripts/pg.sh start "$work/pg" "$(scripts/free-port.sh)" "${pg_settings[@]}")
[ -n "${BENCH_PROFILE:-}" ] && psql -q "$base" -c "CREATE EXTENSION pg_stat_statements"
durability=$(psql -tA "$base" -c "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ' ' ORDER BY name)
  FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'wal_writer_delay')")
log "PostgreSQL at $base: $durability"
psql -q "$base" -c "CREATE DATABASE bench"
db="${base%/*}/bench"
psql -q "$base" -c "CREATE DATABASE bench_baseline"
db_baseline="${base%/*}/bench_baseline"
psql -q "$base" -c "CREATE DATABASE bench_variant"
db_variant="${base%/*}/bench_variant"
port=$(scripts/free-port.sh)
url="http://127.0.0.1:$port"
results="$work/results.tsv"

# The JSON API needs no UI files: every server (a baseline's binary too, which lives outside
# target/) gets the same empty site.
mkdir -p "$work/site/pkg"
start_server() { # mode [binary database extra-settings]
  # shellcheck disable=SC2086 # the extra settings are NAME=value words
  env ${4:-} DATABASE_URL=${3:-$db} LISTEN_ADDR=127.0.0.1:$port CLAIM_ENGINE=$1 LOG_LEVEL=warn RATE_LIMITS=false \
    SITE_ROOT="$work/site" \
    "${2:-target/release/server}" >"$work/server-$1.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do curl -sf "$url/health" >/dev/null && return; sleep 0.1; done
  log "server did not start"; cat "$work/server-$1.log"; exit 1
}

stop_server() {
  kill -TERM "$server_pid"; wait "$server_pid" || true; server_pid=""
}

create() { # name amount
  curl -sf -o /dev/null -X POST "$url/api/coupons" -H 'Content-Type: application/json' \
    -d "{\"name\":\"$1\",\"amount\":$2}"
}

# CPU time used so far, in clock ticks: by the server, and by the whole PostgreSQL cluster (the
# postmaster, its live processes, and those it has reaped). /proc/PID/stat after "(comm) ":
# utime is the 12th field, stime the 13th, cutime and cstime the 14th and 15th.
server_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$server_pid/stat"; }
pg_ticks() {
  local postmaster children
  postmaster=$(head -1 "${pg_data:-$work/pg/data}/postmaster.pid")
  children=$(cat /proc/"$postmaster"/task/*/children)
  {
    awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$postmaster/stat"
    for child in $children; do
      awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$child/stat" 2>/dev/null || true
    done
  } | awk '{ sum += $1 } END { print sum }'
}
tick_us=$((1000000 / $(getconf CLK_TCK)))

# Claims and batches settled so far, from the server's own metrics (batched engine; 0 0 else).
batch_totals() {
  curl -s "$url/metrics" | awk '/^coupons_claim_batch_size_sum/ { s = $2 }
    /^coupons_claim_batch_size_count/ { c = $2 } END { printf "%d %d\n", s, c }'
}

# Runs wrk while sampling the server's RSS and counting the CPU time of the server and of
# PostgreSQL; appends one row to the results.
run() { # mode label coupon conns seconds script
  local mode=$1 label=$2 coupon=$3 conns=$4 secs=$5 script=$6 peak=0 out
  (while kill -0 "$server_pid" 2>/dev/null; do
     awk '/VmRSS/ {print $2}' "/proc/$server_pid/status" 2>/dev/null; sleep 0.2
   done) >"$work/rss" &
  local sampler=$!
  local perf_pid=""
  if [ -n "${BENCH_PROFILE:-}" ] && [ "$label" = hot ]; then
    psql -qtA "$base" -c "SELECT pg_stat_statements_reset()" >/dev/null
    perf record -a -g -F 499 -o "$work/perf-$mode-$conns.data" -- sleep "$secs" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  local server0 pg0 batched0 batches0 batched1 batches1
  server0=$(server_ticks) pg0=$(pg_ticks)
  read -r batched0 batches0 < <(batch_totals)
  out=$(BENCH_COUPON=$coupon BENCH_RUN="$label-$conns" wrk -t"$threads" -c"$conns" -d"${secs}s" \
        --timeout 10s -s "scripts/bench/$script" "$url" | grep '^RESULT')
  out="$out server_cpu_us=$(( ($(server_ticks) - server0) * tick_us )) pg_cpu_us=$(( ($(pg_ticks) - pg0) * tick_us ))"
  read -r batched1 batches1 < <(batch_totals)
  out="$out batched=$((batched1 - batched0)) batches=$((batches1 - batches0))"
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
  peak=$(sort -n "$work/rss" | tail -1)
  if [ -n "$perf_pid" ]; then
    wait "$perf_pid" || true
    echo "== perf: CPU samples by process ($mode, $conns connections) =="
    perf report -i "$work/perf-$mode-$conns.data" --sort comm --stdio -g none 2>/dev/null |
      grep -E '^ +[0-9]' | head -8 || true
    echo "== perf: the server's hottest functions (self time, % of all samples) =="
    perf report -i "$work/perf-$mode-$conns.data" --pid "$server_pid" --no-children --sort dso,sym \
      --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -25 || true
    echo "== pg_stat_statements: the statements that took the most time ($mode, $conns connections) =="
    psql -q "$base" -c "SELECT calls, round(total_exec_time::numeric) AS total_ms,
        round((total_exec_time / calls * 1000)::numeric) AS mean_us, rows,
        left(regexp_replace(query, '\s+', ' ', 'g'), 100) AS statement
      FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 8"
    echo "== perf: PostgreSQL's hottest functions (self time, % of all samples) =="
    perf report -i "$work/perf-$mode-$conns.data" --comm postgres --no-children --sort dso,sym \
      --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -25 || true
  fi
  echo -e "$mode\t$label\t$coupon\t$conns\t${peak:-0}\t$out" >>"$results"
  log "$mode $label c=$conns: $out rss_kb=${peak:-0}"
}

# One hot run per connection count on a server of its own: row label, coupon prefix, then
# start_server's arguments.
hot_runs() { # label prefix mode binary database [extra-settings]
  start_server "$3" "$4" "$5" "${6:-}"
  for c in $connections; do
    create "$2-$c" 2000000000
    run "$1" hot "$2-$c" "$c" "$seconds" claim.lua
  done
  stop_server
}

variant=${BENCH_VARIANT:-}
for mode in $modes; do
  log "mode $mode"
  start_server "$mode"
  for c in $connections; do
    coupon="HOT-$mode-$c"
    create "$coupon" 2000000000
    run "$mode" hot "$coupon" "$c" "$seconds" claim.lua
  done
  storm="STORM-$mode"
  create "$storm" 1000
  run "$mode" sold-out-storm "$storm" 64 5 claim.lua
  run "$mode" read-1000-claimers "$storm" 64 5 get.lua
  stop_server
  # Compared runs go twice, between this tree's runs (A B B A): on this box whichever server
  # runs later in a row was measured up to 30 % faster, so one run each would compare the order.
  for round in 1 2; do
    if [ -n "$baseline" ]; then
      log "mode $mode at $baseline (round $round)"
      hot_runs "$mode@$baseline" "BASE$round-HOT-$mode" "$mode" "$work/server-baseline" "$db_baseline"
    fi
    if [ -n "$variant" ]; then
      log "mode $mode with $variant (round $round)"
      hot_runs "$mode+${variant// /+}" "VAR$round-HOT-$mode" "$mode" target/release/server "$db_variant" "$variant"
    fi
  done
  if [ -n "$baseline$variant" ]; then
    log "mode $mode again"
    hot_runs "$mode" "AGAIN-HOT-$mode" "$mode" target/release/server "$db"
  fi
done

# The read storm (scripts/bench/reads.sh); BENCH_READS=0 skips it.
source scripts/bench/reads.sh
if [ "${BENCH_READS:-1}" != 0 ]; then
  log "read storm: stock reads, claims, both at once, interleaved; the full GET kept and not"
  read_runs
fi

# What a key or a token costs a claim against an open one (scripts/bench/auth.sh); BENCH_AUTH=0
# skips it.
source scripts/bench/auth.sh
if [ "${BENCH_AUTH:-1}" != 0 ]; then
  log "claim auth: open, key and token claims, interleaved"
  auth_runs
fi

# What a webhook endpoint costs the claims, and the dispatcher's deliveries per second and lag
# (scripts/bench/webhooks.sh); BENCH_WEBHOOKS=0 skips it.
source scripts/bench/webhooks.sh
if [ "${BENCH_WEBHOOKS:-1}" != 0 ]; then
  log "webhooks: claims without and with an endpoint, interleaved, then the deliveries"
  webhook_runs
fi

# A draw coupon's entries against claims, and the time a draw takes (scripts/bench/draws.sh);
# BENCH_DRAWS=0 skips it.
source scripts/bench/draws.sh
if [ "${BENCH_DRAWS:-1}" != 0 ]; then
  log "draws: entries against claims, interleaved, then draws of BENCH_DRAW_SIZES entries"
  draw_runs
fi

# What a synchronous standby costs the claims (scripts/bench/ha.sh); BENCH_HA=0 skips it.
source scripts/bench/ha.sh
ha_db=""
if [ "${BENCH_HA:-1}" != 0 ]; then
  log "HA: claims on one node and with a synchronous standby, interleaved"
  ha_runs
fi

# Claims on Citus, one hot coupon and 16 (scripts/bench/citus.sh); BENCH_CITUS=0 skips it.
source scripts/bench/citus.sh
citus_db=""
citus_violations=0
bench_citus=${BENCH_CITUS:-1}
if [ "$bench_citus" != 0 ] && ! citus_installed; then
  log "Citus: not installed for PostgreSQL 15, skipped"
  bench_citus=0
fi
if [ "$bench_citus" != 0 ]; then
  log "Citus: claims on one node and on a coordinator with two workers, interleaved"
  citus_runs
fi

# Memory of the public GET of a coupon with a huge claimer list: streamed page by page, so 64
# concurrent readers stay in bounded memory (peak RSS in the table). BENCH_BIG_CLAIMERS=0 skips.
big=${BENCH_BIG_CLAIMERS:-1000000}
if ((big > 0)); then
  start_server batched
  create BIG "$big"
  log "inserting $big claims of BIG"
  psql -q "$db" -v n="$big" <<'SQL'
INSERT INTO claims (user_id, coupon_name) SELECT 'user-' || g, 'BIG' FROM generate_series(1, :n) AS g;
UPDATE coupons SET remaining_amount = 0 WHERE name = 'BIG';
SQL
  run batched "read-${big}-claimers" BIG 64 "$seconds" get.lua
  stop_server
fi

echo
echo "PostgreSQL durability: $durability"
printf '%-24s %-19s %6s %10s %10s %9s %9s %9s %8s %8s %10s %10s %7s\n' \
  mode run conns "ok/s" "req/s" "p50 ms" "p99 ms" "p999 ms" errors "rss MB" "server µs" "pg µs" "batch"
while IFS=$'\t' read -r mode label coupon conns rss result; do
  declare -A r=()
  for kv in ${result#RESULT }; do r[${kv%%=*}]=${kv#*=}; done
  secs=$(awk -v d="${r[duration_us]}" 'BEGIN {print d / 1e6}')
  awk -v m="$mode" -v l="$label" -v c="$conns" -v ok="${r[ok]}" -v n="${r[requests]}" -v s="$secs" \
      -v p50="${r[p50_us]}" -v p99="${r[p99_us]}" -v p999="${r[p999_us]}" \
      -v e=$(( ${r[other]} + ${r[socket_errors]} )) -v rss="$rss" \
      -v srv="${r[server_cpu_us]}" -v pg="${r[pg_cpu_us]}" -v bc="${r[batched]}" -v bn="${r[batches]}" \
      'BEGIN { okd = ok > 0 ? ok : 1
               batch = bn > 0 ? sprintf("%.1f", bc / bn) : "-"
               printf "%-24s %-19s %6d %10.0f %10.0f %9.1f %9.1f %9.1f %8d %8.1f %10.1f %10.1f %7s\n",
               m, l, c, ok / s, n / s, p50 / 1000, p99 / 1000, p999 / 1000, e, rss / 1024,
               srv / okd, pg / okd, batch }'
  echo -e "$coupon\t${r[ok]}" >>"$work/oks.tsv"
  [[ $mode == citus-* ]] && awk -v m="$mode" -v l="$label" -v c="$conns" -v ok="${r[ok]}" -v s="$secs" \
    -v srv="${r[server_cpu_us]}" -v pg="${r[pg_cpu_us]}" \
    'BEGIN { okd = ok > 0 ? ok : 1; printf "%s\t%s\t-\t%s\t%.0f\t%.1f\t%.1f\n", m, l, c, ok / s, srv / okd, pg / okd }' \
    >>"$work/citus-rows.tsv"
  [ "$label" = hot ] && awk -v m="$mode" -v c="$conns" -v ok="${r[ok]}" -v s="$secs" -v srv="${r[server_cpu_us]}" \
    'BEGIN { printf "%s\t%s\t%.0f\t%.1f\n", m, c, ok / s, srv / (ok > 0 ? ok : 1) }' >>"$work/hot.tsv"
  unset r
done <"$results"
echo "(ok/s: successful claims per second, or successful GETs for the read run; errors: non-2xx/409 answers plus socket errors;"
echo " server µs, pg µs: CPU time of the server process and of the whole PostgreSQL cluster over the run, per ok;"
echo " batch: mean claims per batch transaction, from the server's metrics)"
if [[ " $modes " == *" batched "* && " $modes " == *" per-request "* ]]; then
  echo
  awk -F'\t' '{ ok[$1 "\t" $2] += $3; n[$1 "\t" $2]++; if ($1 == "batched") conns[$2] = 1 }
    END { for (c in conns) if (ok["per-request\t" c] > 0)
            printf "batched / per-request at %s connections: %.1fx\n", c,
                   (ok["batched\t" c] / n["batched\t" c]) / (ok["per-request\t" c] / n["per-request\t" c]) }' \
    "$work/hot.tsv" | sort -t' ' -k5 -n
fi
if [ -n "$baseline$variant" ]; then
  echo
  echo "hot runs against the plain rows of this run (means of the two runs of each): ok/s, and server CPU µs per claim"
  awk -F'\t' '{ key = $1 "\t" $2; ok[key] += $3; cpu[key] += $4; n[key]++; if ($1 ~ /[@+]/) other[key] = 1 }
    END { for (o in other) { split(o, k, "\t"); base = k[1]; sub(/[@+].*/, "", base)
            b = base "\t" k[2]; oo = ok[o] / n[o]; ob = ok[b] / n[b]; co = cpu[o] / n[o]; cb = cpu[b] / n[b]
            printf "%-36s c=%-4s ok/s %7.0f vs %7.0f (ratio %.3f)  server µs %6.1f vs %6.1f (ratio %.3f)\n",
                   k[1], k[2], oo, ob, oo / ob, co, cb, co / cb } }' "$work/hot.tsv" | sort
fi

[ "${BENCH_READS:-1}" != 0 ] && read_ratios
[ "${BENCH_AUTH:-1}" != 0 ] && auth_ratios
[ "${BENCH_WEBHOOKS:-1}" != 0 ] && webhook_ratios
[ "${BENCH_DRAWS:-1}" != 0 ] && draw_ratios
[ "${BENCH_HA:-1}" != 0 ] && ha_ratios
[ "$bench_citus" != 0 ] && citus_ratios

echo
log "verifying invariants from the database"
violations=0
while IFS=$'\t' read -r coupon oks; do
  if [[ $coupon == DRAW*-ENTRY-* ]]; then
    # Every 202 is a committed entry, and a draw coupon is never claimed before its draw.
    read -r entries claims < <(psql -tA -F' ' "$db" -v c="$coupon" <<'SQL'
SELECT (SELECT count(*) FROM entries WHERE coupon_name = :'c'),
       (SELECT count(*) FROM claims WHERE coupon_name = :'c');
SQL
)
    problems=()
    ((oks <= entries)) || problems+=("more 202s ($oks) than entries ($entries)")
    ((claims == 0)) || problems+=("claimed before its draw")
    if ((${#problems[@]})); then violations=$((violations + 1)); fi
    printf '%-22s entries=%-9s claims=%-7s %s 202s=%s\n' "$coupon" "$entries" "$claims" "${problems[*]:-ok}" "$oks"
    continue
  fi
  [[ $coupon == *HOT-* || $coupon == STORM-* ]] || continue
  coupon_db=$db
  [[ $coupon == BASE[0-9]-* ]] && coupon_db=$db_baseline
  [[ $coupon == VAR[0-9]-* ]] && coupon_db=$db_variant
  [[ $coupon == HA[0-9]*-HOT-sync-* ]] && coupon_db=$ha_db
  [[ $coupon == CI[0-9]*-HOT-cluster-* ]] && coupon_db=$citus_db
  row=$(psql -tA -F' ' "$coupon_db" -v c="$coupon" <<'SQL'
SELECT c.amount, c.remaining_amount, count(cl.id), count(DISTINCT cl.user_id)
FROM coupons c LEFT JOIN claims cl ON cl.coupon_name = c.name
WHERE c.name = :'c' GROUP BY c.name, c.amount, c.remaining_amount;
SQL
)
  read -r amount remaining claims users <<<"$row"
  problems=()
  [ -n "$row" ] || problems+=("coupon not found in its database")
  ((claims <= amount)) || problems+=("oversold")
  ((claims == users)) || problems+=("double claim")
  ((remaining == amount - claims)) || problems+=("remaining != amount - claims")
  # A GET run re-reads the storm coupon: only its claim run's 200s count.
  if [[ $coupon == STORM-* ]]; then ((claims == 1000)) || problems+=("storm sold $claims of 1000"); fi
  # Every 200 is a committed row. Rows may exceed 200s by the claims in flight when wrk stopped
  # (at most one per connection): those committed, but wrk no longer counted their answers.
  if [[ $coupon == *HOT-* ]]; then
    ((oks <= claims)) || problems+=("more 200s ($oks) than committed rows ($claims)")
    note="200s=$oks in_flight_at_stop=$((claims - oks))"
  else
    note=""
  fi
  if ((${#problems[@]})); then violations=$((violations + 1)); fi
  printf '%-22s amount=%-10s remaining=%-10s claims=%-7s distinct_users=%-7s %s %s\n' \
    "$coupon" "$amount" "$remaining" "$claims" "$users" "${problems[*]:-ok}" "$note"
done < <(sort -u -t$'\t' -k1,1 "$work/oks.tsv")
violations=$((violations + citus_violations))
echo "invariant violations: $violations"
((violations == 0))
