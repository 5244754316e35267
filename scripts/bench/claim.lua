-- wrk script: every request claims the hot coupon (BENCH_COUPON) for a user id never used before.
-- Prints one RESULT line that scripts/bench.sh parses.
local coupon = os.getenv("BENCH_COUPON")
local run = os.getenv("BENCH_RUN") or "run"
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  counter, ok, conflict, other = 0, 0, 0, 0
end

function request()
  counter = counter + 1
  local body = string.format('{"user_id":"%s-%d-%d","coupon_name":"%s"}', run, tid, counter, coupon)
  return wrk.format("POST", "/api/coupons/claim", { ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  elseif status == 409 then
    conflict = conflict + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local sum = { ok = 0, conflict = 0, other = 0 }
  for _, t in ipairs(threads) do
    for k, _ in pairs(sum) do sum[k] = sum[k] + t:get(k) end
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d ok=%d conflict=%d other=%d socket_errors=%d p50_us=%d p99_us=%d p999_us=%d duration_us=%d\n",
    summary.requests, sum.ok, sum.conflict, sum.other, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), summary.duration))
end
