-- wrk script: every request claims the hot coupon (BENCH_COUPON) for a user never seen before;
-- with BENCH_SPREAD=N, the coupons BENCH_COUPON-0 to BENCH_COUPON-(N-1) in turn instead.
-- A draw coupon's 202 (an entry) counts as a success too.
-- Prints one RESULT line that scripts/bench.sh parses. BENCH_AUTH_KIND (scripts/bench/auth.sh):
-- open (the default: no credential, a fresh user_id in the body), key (Authorization: Bearer
-- BENCH_KEY, a fresh user_id in the body) or token (a pre-minted shopper token per request from
-- the file BENCH_TOKENS, one per line, each for its own subject; thread t of BENCH_THREADS takes
-- the lines whose number is t - 1 modulo their count).
local coupon = os.getenv("BENCH_COUPON")
local run = os.getenv("BENCH_RUN") or "run"
local kind = os.getenv("BENCH_AUTH_KIND") or "open"
local key = os.getenv("BENCH_KEY")
local token_file = os.getenv("BENCH_TOKENS")
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
local spread = tonumber(os.getenv("BENCH_SPREAD") or "0")
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  counter, ok, conflict, other = 0, 0, 0, 0
  tokens = {}
  if kind == "token" then
    local n = 0
    for line in io.lines(token_file) do
      if n % nthreads == tid - 1 then table.insert(tokens, line) end
      n = n + 1
    end
  end
end

function request()
  counter = counter + 1
  local headers = { ["Content-Type"] = "application/json" }
  local body
  local coupon = coupon
  if spread > 0 then coupon = string.format("%s-%d", coupon, counter % spread) end
  if kind == "token" then
    headers["Authorization"] = "Bearer " .. tokens[(counter - 1) % #tokens + 1]
    body = string.format('{"coupon_name":"%s"}', coupon)
  else
    if kind == "key" then headers["Authorization"] = "Bearer " .. key end
    body = string.format('{"user_id":"%s-%d-%d","coupon_name":"%s"}', run, tid, counter, coupon)
  end
  return wrk.format("POST", "/api/coupons/claim", headers, body)
end

function response(status, headers, body)
  if status == 200 or status == 202 then
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
