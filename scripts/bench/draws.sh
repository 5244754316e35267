# Sourced by scripts/bench.sh (uses its start_server, stop_server, run, create, $url, $db, $work,
# $results): a draw coupon's entries against first come claims, and how long a draw takes. One
# batched server takes entries (each claim of a draw coupon whose window stays open: a 202) and
# claims of a hot coupon, interleaved (claims entries entries claims) at BENCH_DRAW_CONNECTIONS
# (64 256): rows "draw-claims" and "draw-entries". Then, per BENCH_DRAW_SIZES (100000 1000000),
# a draw coupon of a tenth as many units gets that many entries (inserted by SQL, as the engine
# would have taken them), its window closes and its draw_at comes, and the time until its proof
# is served is the draw's: found due by a process (each second), the entries read, ranked, and
# the draw settled (tickets, claims, events) in one call.
draw_coupon() { # name amount
  curl -sf -o /dev/null -X POST "$url/api/coupons" -H 'Content-Type: application/json' \
    -d "{\"name\":\"$1\",\"amount\":$2,\"allocation\":\"draw\",\"ends_at\":\"2099-01-01T00:00:00Z\"}"
}

draw_runs() {
  local kind c round=0 n started took
  start_server batched
  for kind in claims entries entries claims; do
    for c in ${BENCH_DRAW_CONNECTIONS:-64 256}; do
      round=$((round + 1))
      if [ "$kind" = claims ]; then
        create "DRAW$round-HOT-claims-$c" 2000000000
        run draw-claims hot "DRAW$round-HOT-claims-$c" "$c" "$seconds" claim.lua
      else
        draw_coupon "DRAW$round-ENTRY-$c" 2000000000
        run draw-entries hot "DRAW$round-ENTRY-$c" "$c" "$seconds" claim.lua
      fi
    done
  done
  for n in ${BENCH_DRAW_SIZES:-100000 1000000}; do
    draw_coupon "DRAWN-$n" $((n / 10))
    log "draw: inserting $n entries of DRAWN-$n"
    psql -q "$db" -v n="$n" -v c="DRAWN-$n" <<'SQL'
INSERT INTO entries (coupon_name, user_id, entered_at)
SELECT :'c', 'entrant-' || g, now() FROM generate_series(1, :n) AS g;
UPDATE coupons SET entry_count = :n WHERE name = :'c';
SQL
    started=$(date +%s%N)
    psql -q "$db" -v c="DRAWN-$n" <<'SQL'
UPDATE coupons SET ends_at = now(), draw_at = now() WHERE name = :'c';
SQL
    for _ in $(seq 3000); do
      [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/api/coupons/DRAWN-$n/draw")" = 200 ] && break
      sleep 0.2
    done
    took=$((($(date +%s%N) - started) / 1000000))
    echo -e "DRAWN-$n\t$n\t$took" >>"$work/draws.tsv"
    log "draw of $n entries ($((n / 10)) units): $took ms"
  done
  stop_server
}

# Entries against claims (means of the two runs of each), and the draw times.
draw_ratios() {
  echo
  echo "entries against first come claims, one batched server, interleaved (means of two runs each):"
  awk -F'\t' '$1 ~ /^draw-/ { split($6, kv, " "); for (i in kv) { split(kv[i], p, "=");
                 if (p[1] == "ok") ok = p[2]; if (p[1] == "duration_us") d = p[2] }
               key = $1 "\t" $4; sum[key] += ok / (d / 1e6); n[key]++; conns[$4] = 1 }
       END { for (c in conns) { e = sum["draw-entries\t" c] / n["draw-entries\t" c];
               k = sum["draw-claims\t" c] / n["draw-claims\t" c];
               printf "  c=%-4s entries/s %8.0f  claims/s %8.0f  ratio %.3f\n", c, e, k, e / k } }' \
    "$results"
  [ -f "$work/draws.tsv" ] && while IFS=$'\t' read -r coupon n took; do
    printf '  draw of %s entries (%s units): %.1f s\n' "$n" "$((n / 10))" "$(awk -v t="$took" 'BEGIN {print t / 1000}')"
  done <"$work/draws.tsv"
}
