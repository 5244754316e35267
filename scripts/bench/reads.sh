# Sourced by scripts/bench.sh (uses its start_server, stop_server, run, create, $url, $db, $work,
# $results, $seconds, $threads): the read storm, in one process tree so the figures compare.
#
# 1. At BENCH_READ_CONNECTIONS (64), interleaved (A B C C B A: this box drifts within minutes):
#    "stock-alone"  wrk reading GET /api/coupons/{name}/stock (served from the live hub's memory)
#    "claims-alone" wrk claiming a hot coupon
#    "claims+reads" both at once, each with that many connections, reading the coupon claimed;
#                   the readers' row is "reads+claims"
# 2. The full public GET of a coupon with 1,000 claimers with the kept answers on (the default)
#    and off (PUBLIC_READ_CACHE_MB=0), interleaved on off off on: "full-get-kept", "full-get-read".
# pg µs per read is PostgreSQL's CPU time over the run divided by the successful reads.
# BENCH_READ_SETTINGS adds server settings to part 1, e.g. STOCK_READS_PER_SEC_DURING_CLAIMS=0
# (reads never yield to claims).
read_runs() {
  local c=${BENCH_READ_CONNECTIONS:-64} round=0 kind readers
  start_server batched target/release/server "$db" "${BENCH_READ_SETTINGS:-}"
  create STOCKREAD 1000
  for kind in stock-alone claims-alone claims+reads claims+reads claims-alone stock-alone; do
    round=$((round + 1))
    case $kind in
    stock-alone)
      BENCH_PATH=/stock run reads stock-alone STOCKREAD "$c" "$seconds" get.lua
      ;;
    claims-alone)
      create "RS$round-HOT-$c" 2000000000
      run reads claims-alone "RS$round-HOT-$c" "$c" "$seconds" claim.lua
      ;;
    claims+reads)
      create "RS$round-HOT-$c" 2000000000
      # The readers run beside the claims' run, on the coupon being claimed.
      BENCH_COUPON="RS$round-HOT-$c" BENCH_PATH=/stock wrk -t"$threads" -c"$c" -d"${seconds}s" \
        --timeout 10s -s scripts/bench/get.lua "$url" | grep '^RESULT' >"$work/readers" &
      readers=$!
      run reads claims+reads "RS$round-HOT-$c" "$c" "$seconds" claim.lua
      wait "$readers"
      echo -e "reads\treads+claims\tstock-of-RS$round\t$c\t0\t$(cat "$work/readers") server_cpu_us=0 pg_cpu_us=0 batched=0 batches=0" >>"$results"
      log "reads reads+claims c=$c: $(cat "$work/readers")"
      ;;
    esac
  done
  stop_server

  # A coupon with 1,000 claimers, as the issue measured it (bulk rows; the version moves as a
  # claim batch's would).
  start_server batched target/release/server "$db"
  create FULL1000 1000
  stop_server
  psql -q "$db" <<'SQL'
INSERT INTO claims (user_id, coupon_name) SELECT 'reader-' || g, 'FULL1000' FROM generate_series(1, 1000) AS g;
UPDATE coupons SET remaining_amount = 0, version = version + 1 WHERE name = 'FULL1000';
SQL
  for kind in kept read read kept; do
    if [ "$kind" = kept ]; then
      start_server batched target/release/server "$db"
    else
      start_server batched target/release/server "$db" "PUBLIC_READ_CACHE_MB=0"
    fi
    run "full-get-$kind" read-1000-claimers FULL1000 "$c" "$seconds" get.lua
    stop_server
  done
}

# Means over the interleaved rounds: reads/s, p99 and PostgreSQL µs per read of the stock read
# alone; claims/s with and without 64 readers; the full GET with and without kept answers.
read_ratios() {
  echo
  echo "read storm, means of each kind's rounds in this run (ok/s, p99 ms, PostgreSQL CPU µs per ok)"
  awk -F'\t' '$1 == "reads" || $1 ~ /^full-get-/ {
      split($6, kv, " "); delete r
      for (i in kv) { split(kv[i], p, "="); r[p[1]] = p[2] }
      key = ($1 == "reads") ? $2 : $1
      secs = r["duration_us"] / 1e6; okd = r["ok"] > 0 ? r["ok"] : 1
      ok[key] += r["ok"] / secs; p99[key] += r["p99_us"] / 1000; pg[key] += r["pg_cpu_us"] / okd; n[key]++ }
    END {
      for (k in n) printf "%-22s ok/s %8.0f  p99 %7.1f ms  pg µs %7.1f  (%d runs)\n", k, ok[k] / n[k], p99[k] / n[k], pg[k] / n[k], n[k]
      if (n["claims-alone"] && n["claims+reads"])
        printf "claims with 64 stock readers: %.1f %% of claims alone\n", 100 * (ok["claims+reads"] / n["claims+reads"]) / (ok["claims-alone"] / n["claims-alone"])
      if (n["full-get-kept"] && n["full-get-read"])
        printf "full GET of 1,000 claimers, kept answers against reading every time: %.1fx\n", (ok["full-get-kept"] / n["full-get-kept"]) / (ok["full-get-read"] / n["full-get-read"])
    }' "$results" | sort
}
