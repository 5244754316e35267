#!/usr/bin/env bash
# Lighthouse (mobile profile: a mid-range phone on slow 4G, simulated) on the admin pages of a
# running server: `/`, `/coupons/{name}` (a coupon it creates, with a few claims) and `/live`.
# Prints each page's performance, accessibility and best-practices scores with LCP, TBT and the
# bytes transferred, and fails when a performance score is below LIGHTHOUSE_MIN (default 90).
# Usage: scripts/lighthouse.sh [base url]   (default http://127.0.0.1:8080; `make lighthouse`
# against `make run`; make test runs it on the release server of the release check). Reports:
# target/lighthouse/*.json.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/log.sh
log() { log_as lighthouse "$@"; }

base=${1:-http://127.0.0.1:8080}
min=${LIGHTHOUSE_MIN:-90}
out=target/lighthouse
mkdir -p "$out"
[ -x end2end/node_modules/.bin/lighthouse ] || { echo "Lighthouse is missing: run scripts/setup.sh test" >&2; exit 1; }

coupon="LIGHTHOUSE_$(date +%s)"
curl -fsS -o /dev/null -X POST "$base/api/coupons" -H 'Content-Type: application/json' \
  -d "{\"name\": \"$coupon\", \"amount\": 100}"
for i in 1 2 3; do
  curl -fsS -o /dev/null -X POST "$base/api/coupons/claim" -H 'Content-Type: application/json' \
    -d "{\"user_id\": \"lighthouse-$i\", \"coupon_name\": \"$coupon\"}"
done

status=0
for page in / "/coupons/$coupon" /live; do
  report="$out/$(tr -c 'a-zA-Z0-9\n' _ <<<"${page#/}" | head -c 40)_.json"
  # The performance score is simulated on a shared 2-core box and varies by ~10 points between
  # runs: a page below the bar is measured once more, and the second score counts.
  for attempt in 1 2; do
  end2end/node_modules/.bin/lighthouse "$base$page" --quiet --output=json --output-path="$report" \
    --only-categories=performance,accessibility,best-practices \
    --chrome-path=/usr/bin/chromium \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-background-networking --disable-component-update --disable-sync --no-first-run"
  line=$(node -e '
    const r = require(process.argv[1]);
    const s = (c) => Math.round(r.categories[c].score * 100);
    const a = (id) => r.audits[id].numericValue;
    console.log(`${s("performance")} ${s("accessibility")} ${s("best-practices")} ` +
      `${(a("largest-contentful-paint") / 1000).toFixed(1)} ${Math.round(a("total-blocking-time"))} ` +
      `${Math.round(a("total-byte-weight") / 1024)}`);' "$PWD/$report")
  read -r perf a11y bp lcp tbt kb <<<"$line"
  log "$page: performance $perf, accessibility $a11y, best practices $bp (LCP ${lcp} s, TBT ${tbt} ms, ${kb} KB transferred)"
  [ "$perf" -lt "$min" ] || break
  done
  if [ "$perf" -lt "$min" ]; then
    log "$page: performance $perf is below $min"
    status=1
  fi
done
exit "$status"
