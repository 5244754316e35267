# Sourced by scripts/bench.sh (uses its start_server, stop_server, run, create, $url, $db, $work,
# $results): what a webhook endpoint costs the claims, and how fast the dispatcher delivers. One
# batched server (WEBHOOK_ALLOW_PRIVATE=true) and a local receiver answering 200
# (server/examples/webhook_receiver.rs) serve hot runs at BENCH_WEBHOOK_CONNECTIONS (64) with no
# endpoint enabled and with one subscribed to claim.created, interleaved (none hook hook none:
# this box drifts within minutes). After each hook run it waits until every event is delivered:
# deliveries per second are the receiver's count over the span from its first arrival to its
# last; lag is each arrival minus its event's transaction time (both clocks this machine's).
# Rows "webhook-none" and "webhook-hook"; then the ratios and the delivery figures.
webhook_runs() {
  local rport hook kind c enabled round=0 oks claims stats waited receiver_pid
  cargo build --release -p server --example webhook_receiver
  rport=$(scripts/free-port.sh)
  target/release/examples/webhook_receiver --listen "127.0.0.1:$rport" >"$work/receiver.log" 2>&1 &
  receiver_pid=$!
  # BENCH_WEBHOOK_SETTINGS adds server settings, e.g. WEBHOOK_RATE_DURING_CLAIMS=0 (no yield to
  # the claims) or WEBHOOK_DELIVERIES=false (the outbox alone: nothing is sent or waited for).
  start_server batched target/release/server "$db" "WEBHOOK_ALLOW_PRIVATE=true ${BENCH_WEBHOOK_SETTINGS:-}"
  hook=$(curl -sf -X POST "$url/api/webhooks" -H 'Content-Type: application/json' \
    -d "{\"url\":\"http://127.0.0.1:$rport/hook\",\"events\":[\"claim.created\"]}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  for kind in none hook hook none; do
    enabled=false
    [ "$kind" = hook ] && enabled=true
    curl -sf -o /dev/null -X PATCH "$url/api/webhooks/$hook" -H 'Content-Type: application/json' \
      -d "{\"enabled\":$enabled}"
    for c in ${BENCH_WEBHOOK_CONNECTIONS:-64}; do
      round=$((round + 1))
      curl -sf -o /dev/null -X POST "http://127.0.0.1:$rport/reset"
      create "HOOK$round-HOT-$kind-$c" 2000000000
      run "webhook-$kind" hot "HOOK$round-HOT-$kind-$c" "$c" "$seconds" claim.lua
      [ "$kind" = hook ] || continue
      [[ " ${BENCH_WEBHOOK_SETTINGS:-} " == *" WEBHOOK_DELIVERIES=false "* ]] && continue
      waited=0
      until [ "$(psql -tA "$db" -c "SELECT (SELECT count(*) FROM webhook_outbox)
          + (SELECT count(*) FROM webhook_deliveries WHERE state = 'pending')")" = 0 ]; do
        sleep 0.5
        waited=$((waited + 1))
        ((waited < 1200)) || { log "webhooks: not drained after 600 s"; exit 1; }
      done
      oks=$(tail -1 "$results" | grep -o ' ok=[0-9]*' | cut -d= -f2)
      claims=$(psql -tA "$db" -c "SELECT count(*) FROM claims WHERE coupon_name = 'HOOK$round-HOT-$kind-$c'")
      stats=$(curl -sf "http://127.0.0.1:$rport/stats")
      echo -e "$c\t$oks\t$claims\t$stats" >>"$work/webhooks.tsv"
      log "webhooks c=$c: $claims claims, receiver $stats"
    done
  done
  stop_server
  kill "$receiver_pid" 2>/dev/null || true
}

# Claims per second with an endpoint against without (means of the two rounds), then per hook
# run: claims, deliveries received, deliveries per second, lag percentiles.
webhook_ratios() {
  echo
  echo "webhook endpoint against none, same run (means of two rounds): ok/s, server CPU µs per claim"
  awk -F'\t' '$1 ~ /^webhook-/ { key = $1 "\t" $2; ok[key] += $3; cpu[key] += $4; n[key]++; conns[$2] = 1 }
    END { for (c in conns) { h = "webhook-hook\t" c; o = "webhook-none\t" c; if (!(h in ok) || !(o in ok)) continue
            printf "c=%-4s ok/s %7.0f with an endpoint vs %7.0f without (%.1f %%)  server µs %6.1f vs %6.1f\n",
                   c, ok[h] / n[h], ok[o] / n[o], 100 * ok[h] / n[h] / (ok[o] / n[o]), cpu[h] / n[h], cpu[o] / n[o] } }' \
    "$work/hot.tsv"
  [ -f "$work/webhooks.tsv" ] || return 0
  echo "deliveries per hook run (claims committed, deliveries received, per second from first to last arrival, lag of arrival behind the claim's transaction)"
  while IFS=$'\t' read -r c oks claims stats; do
    python3 -c 'import json, sys
c, oks, claims, s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
n, span, p50, p99, top = s["count"], s["span_s"], s["lag_p50_ms"], s["lag_p99_ms"], s["lag_max_ms"]
rate = n / span if span else 0
print(f"c={c:<4} claims {claims:>7} (200s {oks})  delivered {n:>7}  {rate:8.0f}/s  "
      f"lag p50 {p50:8.0f} ms  p99 {p99:8.0f} ms  max {top:8.0f} ms")' \
      "$c" "$oks" "$claims" "$stats"
  done <"$work/webhooks.tsv"
}
