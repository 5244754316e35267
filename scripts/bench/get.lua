-- wrk script: GET one coupon (BENCH_COUPON, already percent-encoded) over and over, or the path
-- BENCH_PATH below it (e.g. /stock).
local coupon = os.getenv("BENCH_COUPON")
local suffix = os.getenv("BENCH_PATH") or ""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, other = 0, 0
end

function request()
  return wrk.format("GET", "/api/coupons/" .. coupon .. suffix)
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local sum_ok, sum_other = 0, 0
  for _, t in ipairs(threads) do
    sum_ok = sum_ok + t:get("ok")
    sum_other = sum_other + t:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d ok=%d conflict=0 other=%d socket_errors=%d p50_us=%d p99_us=%d p999_us=%d duration_us=%d\n",
    summary.requests, sum_ok, sum_other, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), summary.duration))
end
