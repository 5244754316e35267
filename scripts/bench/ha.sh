# Sourced by scripts/bench.sh (uses its start_server, stop_server, run, create, $db, $work,
# $results, $pg_data): what the second copy costs. The batched server claims one hot coupon at
# BENCH_HA_CONNECTIONS (64) on the bench's single durable node and on the HA cluster of
# scripts/ha.sh (a synchronous standby that must confirm every commit, through HAProxy),
# interleaved (single ha ha single: this box drifts within minutes). Both clusters run on this
# one machine, so the standby's CPU competes with the rest; on three machines it would not.
# Rows "ha-single" and "ha-sync"; pg µs counts the HA primary's processes only.
ha_runs() {
  local kind c round=0 ha_dir ha_port ha_base
  ha_dir="$work/ha"
  # HAProxy's port and the 22 after it, below the ephemeral range (20000-30922).
  ha_port=$(( ($(scripts/free-port.sh) % 110) * 100 + 20000 ))
  ha_base=$(HA_DIR=$ha_dir HA_PORT=$ha_port scripts/ha.sh up)
  ha_db="${ha_base%/*}/bench"
  psql -q "${ha_base%/*}/postgres" -c "CREATE DATABASE bench"
  for kind in single sync sync single; do
    for c in ${BENCH_HA_CONNECTIONS:-64}; do
      round=$((round + 1))
      if [ "$kind" = sync ]; then
        pg_data="$ha_dir/node1/data"
        start_server batched target/release/server "$ha_db"
      else
        pg_data="$work/pg/data"
        start_server batched target/release/server "$db"
      fi
      create "HA$round-HOT-$kind-$c" 2000000000
      run "ha-$kind" hot "HA$round-HOT-$kind-$c" "$c" "$seconds" claim.lua
      stop_server
    done
  done
  pg_data="$work/pg/data"
  log "HA cluster: $(HA_DIR=$ha_dir HA_PORT=$ha_port scripts/ha.sh status 2>/dev/null | grep -c streaming) standby streaming after the runs"
  # Kept up until the invariants are verified; bench.sh's cleanup takes it down.
  ha_down="HA_DIR=$ha_dir HA_PORT=$ha_port scripts/ha.sh down"
}

# Claims per second with a synchronous standby against a single node (means of two rounds).
ha_ratios() {
  echo
  echo "synchronous standby (HA) against a single node, same run (means of two rounds): ok/s, server CPU µs per claim"
  awk -F'\t' '$1 ~ /^ha-/ { key = $1 "\t" $2; ok[key] += $3; cpu[key] += $4; n[key]++; conns[$2] = 1 }
    END { for (c in conns) { h = "ha-sync\t" c; o = "ha-single\t" c; if (!(h in ok) || !(o in ok)) continue
            printf "c=%-4s ok/s %7.0f with a synchronous standby vs %7.0f on one node (%.1f %%)  server µs %6.1f vs %6.1f\n",
                   c, ok[h] / n[h], ok[o] / n[o], 100 * ok[h] / n[h] / (ok[o] / n[o]), cpu[h] / n[h], cpu[o] / n[o] } }' \
    "$work/hot.tsv"
}
