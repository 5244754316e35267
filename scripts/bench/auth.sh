# Sourced by scripts/bench.sh (uses its start_server, run, create, $url, $work, $results):
# what proving the claimant costs. One batched server that takes all three (CLAIM_AUTH=
# open,key,token) serves interleaved hot runs (open key token, then token key open: A B C C B A,
# as this box drifts within minutes) at each of BENCH_AUTH_CONNECTIONS: open claims with no
# credential, key claims with one API key, token claims with a fresh pre-minted HS256 shopper
# token per request (so every claim verifies a signature). Rows "auth-<kind>"; then the ratios
# to open of the same run.
auth_runs() {
  local secret audience=bench tokens="$work/tokens.txt" key kind c round kinds
  secret=$(head -c 48 /dev/urandom | base64 | tr -d '/+=')
  start_server batched target/release/server "$db" \
    "CLAIM_AUTH=open,key,token CLAIM_TOKEN_SECRET=$secret CLAIM_TOKEN_AUDIENCE=$audience"
  key=$(curl -sf -X POST "$url/api/keys" -H 'Content-Type: application/json' \
    -d '{"name":"bench","scopes":["claim"]}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
  # More tokens than a 10 s run claims at 256 connections; they live 9 minutes (the maximum is
  # 10), enough for every auth run.
  log "minting ${BENCH_AUTH_TOKENS:-400000} shopper tokens"
  python3 - "$secret" "$audience" "${BENCH_AUTH_TOKENS:-400000}" >"$tokens" <<'PY'
import base64, hashlib, hmac, json, sys, time
secret, audience, count = sys.argv[1].encode(), sys.argv[2], int(sys.argv[3])
b64 = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
now = int(time.time())
for i in range(count):
    body = b64(json.dumps({"sub": f"tok-{i}", "aud": audience, "iat": now, "exp": now + 540}).encode())
    message = f"{head}.{body}"
    print(f"{message}.{b64(hmac.new(secret, message.encode(), hashlib.sha256).digest())}")
PY
  for round in 1 2; do
    kinds="open key token"
    [ "$round" = 2 ] && kinds="token key open"
    for kind in $kinds; do
      for c in ${BENCH_AUTH_CONNECTIONS:-64 256}; do
        create "AUTH$round-HOT-$kind-$c" 2000000000
        BENCH_AUTH_KIND=$kind BENCH_KEY=$key BENCH_TOKENS=$tokens BENCH_THREADS=$threads \
          run "auth-$kind" hot "AUTH$round-HOT-$kind-$c" "$c" "$seconds" claim.lua
      done
    done
  done
  stop_server
}

# The ratios of key and token to open, per connection count (means of the two rounds).
auth_ratios() {
  echo
  echo "claimant proof against open claims of the same run (means of two rounds): ok/s, server CPU µs per claim"
  awk -F'\t' '$1 ~ /^auth-/ { key = $1 "\t" $2; ok[key] += $3; cpu[key] += $4; n[key]++; conns[$2] = 1 }
    END { for (c in conns) for (kind in ok) { split(kind, k, "\t"); if (k[2] != c || k[1] == "auth-open") continue
            o = "auth-open\t" c; if (!(o in ok)) continue
            printf "%-11s c=%-4s ok/s %7.0f vs open %7.0f (%+.1f %%)  server µs %6.1f vs %6.1f\n",
                   k[1], c, ok[kind] / n[kind], ok[o] / n[o], 100 * (ok[kind] / n[kind] / (ok[o] / n[o]) - 1),
                   cpu[kind] / n[kind], cpu[o] / n[o] } }' "$work/hot.tsv" | sort
}
