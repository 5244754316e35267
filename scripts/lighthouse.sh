#!/usr/bin/env bash
# Lighthouse (mobile profile: a mid-range phone on slow 4G, simulated) on the admin pages of a
# running server: `/`, `/coupons/{name}` (a coupon it creates, with a few claims) and `/live`.
# Prints each page's performance, accessibility and best-practices scores with LCP, TBT and the
# bytes transferred, and the bundle's bytes on the wire. Fails when
#   - a page's accessibility or best-practices score is below 100, or the page logged a console
#     error (audits of the page itself: the same on any machine);
#   - a file the pages link (JS, WASM, CSS under /pkg) is not served compressed (br, gzip or zstd)
#     with `Cache-Control: ... immutable`, or the WASM or the CSS on the wire is over its budget:
#     BUNDLE_WASM_MAX_KB (default 512, KiB; 458 on 2026-12-06, 488 with the draw's UI) and BUNDLE_CSS_MAX_KB (default
#     7; 4 then), brotli (docs/benchmark.md, "The UI bundle");
#   - a performance score is below LIGHTHOUSE_MIN (default 90, `make lighthouse`). That score is
#     simulated from this machine's CPU and moves with its load: LIGHTHOUSE_MIN=0 (the release
#     check of make test) prints it as a measurement and gates on the facts above instead.
# Usage: scripts/lighthouse.sh [base url]   (default http://127.0.0.1:8080; `make lighthouse`
# against `make run`; make test runs it on the release server of the release check). Reports:
# target/lighthouse/*.json.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/log.sh
log() { log_as lighthouse "$@"; }

base=${1:-http://127.0.0.1:8080}
min=${LIGHTHOUSE_MIN:-90}
wasm_max_kb=${BUNDLE_WASM_MAX_KB:-512}
css_max_kb=${BUNDLE_CSS_MAX_KB:-7}
out=target/lighthouse
mkdir -p "$out"
[ -x end2end/node_modules/.bin/lighthouse ] || { echo "Lighthouse is missing: run scripts/setup.sh test" >&2; exit 1; }

status=0
fail() { log "FAIL: $*"; status=1; }

coupon="LIGHTHOUSE_$(date +%s)"
curl -fsS -o /dev/null -X POST "$base/api/coupons" -H 'Content-Type: application/json' \
  -d "{\"name\": \"$coupon\", \"amount\": 100}"
for i in 1 2 3; do
  curl -fsS -o /dev/null -X POST "$base/api/coupons/claim" -H 'Content-Type: application/json' \
    -d "{\"user_id\": \"lighthouse-$i\", \"coupon_name\": \"$coupon\"}"
done
pages=(/ "/coupons/$coupon" /live)

# The bundle as a browser gets it: every file the pages link, compressed and immutable, and the
# bytes on the wire of each kind (curl does not decode: --compressed is not given).
header() { # name, in the headers on stdin: its last value
  awk -v h="$1" 'index(tolower($0), h ":") == 1 { sub(/^[^:]*:[ \t]*/, ""); v = $0 } END { print v }'
}
assets=$(for page in "${pages[@]}"; do curl -fsS "$base$page"; done |
  grep -oE "/pkg/[^\"' >]+[.](js|mjs|wasm|css)" | sort -u || true)
[ -n "$assets" ] || fail "the pages link no bundle file under /pkg"
declare -A bytes=([js]=0 [mjs]=0 [wasm]=0 [css]=0)
for asset in $assets; do
  headers=$(curl -fsS -o /dev/null -D - -H 'Accept-Encoding: gzip, deflate, br, zstd' \
    -w 'x-bytes-on-the-wire: %{size_download}\n' "$base$asset" | tr -d '\r')
  encoding=$(header content-encoding <<<"$headers")
  cache=$(header cache-control <<<"$headers")
  size=$(header x-bytes-on-the-wire <<<"$headers")
  case "$encoding" in
  br | gzip | zstd) ;;
  *) fail "$asset is served with Content-Encoding '${encoding:-none}', not br, gzip or zstd" ;;
  esac
  [[ ${cache,,} == *immutable* ]] || fail "$asset is served with Cache-Control '$cache', not immutable"
  ext=${asset##*.}
  bytes[$ext]=$((bytes[$ext] + size))
  log "$asset: $((size / 1024)) KiB on the wire ($encoding; $cache)"
done
kib() { echo $(($1 / 1024)); }
log "bundle on the wire: WASM $(kib "${bytes[wasm]}") KiB (budget $wasm_max_kb), CSS $(kib "${bytes[css]}") KiB (budget $css_max_kb), JS $(kib $((bytes[js] + bytes[mjs]))) KiB"
[ "${bytes[wasm]}" -le $((wasm_max_kb * 1024)) ] || fail "the WASM is $(kib "${bytes[wasm]}") KiB on the wire, over its budget of $wasm_max_kb KiB"
[ "${bytes[css]}" -le $((css_max_kb * 1024)) ] || fail "the CSS is $(kib "${bytes[css]}") KiB on the wire, over its budget of $css_max_kb KiB"

for page in "${pages[@]}"; do
  report="$out/$(tr -c 'a-zA-Z0-9\n' _ <<<"${page#/}" | head -c 40)_.json"
  # The performance score is simulated on a shared 2-core box and varies by ~10 points between
  # runs: when it is gated, a page below the bar is measured once more, and the second counts.
  for attempt in 1 2; do
  end2end/node_modules/.bin/lighthouse "$base$page" --quiet --output=json --output-path="$report" \
    --only-categories=performance,accessibility,best-practices \
    --chrome-path=/usr/bin/chromium \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-background-networking --disable-component-update --disable-sync --no-first-run"
  line=$(node -e '
    const r = require(process.argv[1]);
    const s = (c) => Math.round(r.categories[c].score * 100);
    const a = (id) => r.audits[id].numericValue;
    const errors = r.audits["errors-in-console"]?.details?.items?.length ?? 0;
    console.log(`${s("performance")} ${s("accessibility")} ${s("best-practices")} ` +
      `${(a("largest-contentful-paint") / 1000).toFixed(1)} ${Math.round(a("total-blocking-time"))} ` +
      `${Math.round(a("total-byte-weight") / 1024)} ${errors}`);' "$PWD/$report")
  read -r perf a11y bp lcp tbt kb errors <<<"$line"
  log "$page: performance $perf, accessibility $a11y, best practices $bp (LCP ${lcp} s, TBT ${tbt} ms, ${kb} KB transferred, $errors console errors)"
  [ "$perf" -lt "$min" ] || break
  done
  [ "$a11y" -eq 100 ] || fail "$page: accessibility $a11y, not 100 (see $report)"
  [ "$bp" -eq 100 ] || fail "$page: best practices $bp, not 100 (see $report)"
  [ "$errors" -eq 0 ] || fail "$page: $errors console error(s) (see $report, audit errors-in-console)"
  if [ "$min" -gt 0 ] && [ "$perf" -lt "$min" ]; then
    fail "$page: performance $perf is below $min"
  fi
done
[ "$min" -gt 0 ] || log "performance scores above are measurements (LIGHTHOUSE_MIN=0): the gates are the facts"
exit "$status"
