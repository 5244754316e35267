# Sourced by scripts/bench.sh (uses its start_server, stop_server, run, create, pg_ticks, $db,
# $work, $results, $pg_data, $tick_us): the batched server's claims on a Citus cluster of
# scripts/citus.sh (a coordinator and two workers, durable) against the bench's single durable
# node, interleaved (single citus citus single), at BENCH_CITUS_CONNECTIONS (64 256): one hot
# coupon ("hot"), and claims spread over 16 coupons in turn ("spread": the hash of the names puts
# them on both workers). Runs only where Citus is installed for PostgreSQL 15. All the nodes share
# this machine's cores, which understates Citus (docs/scale.md). Rows "citus-single" and
# "citus-cluster"; pg µs counts the coordinator only, and each run logs the CPU µs per claim of
# the coordinator and of the workers.
citus_spread=16

citus_installed() { [ -f /usr/share/postgresql/15/extension/citus.control ]; }

# CPU ticks of the Citus workers' clusters, summed.
citus_worker_ticks() {
  local n sum=0
  for n in 1 2; do sum=$((sum + $(pg_data="$citus_dir/node$n/data" pg_ticks))); done
  echo "$sum"
}

citus_run() { # kind label coupon conns
  local w0 w1
  w0=$(citus_worker_ticks)
  run "citus-$1" "$2" "$3" "$4" "$seconds" claim.lua
  w1=$(citus_worker_ticks)
  if [ "$1" = cluster ]; then
    echo -e "$2\t$4\t$(tail -1 "$results" | sed -E 's/.* ok=([0-9]+) .*/\1/')\t$(((w1 - w0) * tick_us))" \
      >>"$work/citus-workers.tsv"
  fi
}

citus_runs() {
  local kind c round=0 target
  citus_dir="$work/citus"
  # The coordinator's port and the 2 after it, below the ephemeral range.
  citus_port=$(( ($(scripts/free-port.sh) % 110) * 100 + 20000 ))
  citus_base=$(CITUS_DIR=$citus_dir CITUS_PORT=$citus_port CITUS_DATABASE=bench scripts/citus.sh up)
  citus_db=$citus_base
  citus_down="CITUS_DIR=$citus_dir CITUS_PORT=$citus_port scripts/citus.sh down"
  for kind in single cluster cluster single; do
    round=$((round + 1))
    if [ "$kind" = cluster ]; then
      pg_data="$citus_dir/node0/data" target=$citus_db
    else
      pg_data="$work/pg/data" target=$db
    fi
    start_server batched target/release/server "$target"
    for c in ${BENCH_CITUS_CONNECTIONS:-64 256}; do
      create "CI$round-HOT-$kind-$c" 2000000000
      citus_run "$kind" hot "CI$round-HOT-$kind-$c" "$c"
      for i in $(seq 0 $((citus_spread - 1))); do create "CI$round-SPREAD-$kind-$c-$i" 2000000000; done
      BENCH_SPREAD=$citus_spread citus_run "$kind" spread "CI$round-SPREAD-$kind-$c" "$c"
    done
    stop_server
  done
  pg_data="$work/pg/data"
}

# Claims per second on Citus against the single node (means of two rounds), CPU per claim on the
# coordinator and the workers, and the invariants of the spread coupons (bench.sh checks the hot
# ones): every coupon's claims distinct by user, within its amount, and its remaining stock
# amount - claims; every 200 a row.
citus_ratios() {
  echo
  echo "Citus (a coordinator and two workers, one machine) against a single node, same run (means of two rounds):"
  awk -F'\t' '$1 ~ /^citus-/ { key = $1 "\t" $2 "\t" $4; ok[key] += $5; srv[key] += $6; pg[key] += $7; n[key]++; runs[$2 "\t" $4] = 1 }
    END { for (r in runs) { split(r, k, "\t"); c = "citus-cluster\t" r; s = "citus-single\t" r
            if (!(c in ok) || !(s in ok)) continue
            printf "%-6s c=%-4s ok/s %7.0f on Citus vs %7.0f on one node (%.2fx)  server µs %6.1f vs %6.1f  coordinator µs %6.1f\n",
                   k[1], k[2], ok[c] / n[c], ok[s] / n[s], ok[c] / ok[s], srv[c] / n[c], srv[s] / n[s], pg[c] / n[c] } }' \
    "$work/citus-rows.tsv" | sort
  awk -F'\t' '{ ok[$1 "\t" $2] += $3; us[$1 "\t" $2] += $4 }
    END { for (k in ok) { split(k, p, "\t"); printf "%-6s c=%-4s workers µs per claim %6.1f (both workers, summed)\n", p[1], p[2], us[k] / (ok[k] > 0 ? ok[k] : 1) } }' \
    "$work/citus-workers.tsv" | sort
  local bad
  bad=$(psql -tA "$citus_db" <<'SQL'
SELECT count(*) FROM coupons c
LEFT JOIN (SELECT coupon_name, count(*) AS n, count(DISTINCT user_id) AS users FROM claims
           GROUP BY coupon_name) k ON k.coupon_name = c.name
WHERE coalesce(k.n, 0) <> coalesce(k.users, 0) OR coalesce(k.n, 0) > c.amount
   OR c.remaining_amount <> c.amount - coalesce(k.n, 0);
SQL
)
  echo "Citus coupons breaking an invariant (counted on the coordinator): $bad"
  citus_violations=$bad
}
