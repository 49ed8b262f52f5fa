-- POST /bench/ceiling/redeem: every request a code no other request uses (BENCH_OFFSET + a
-- per-thread sequence), or with BENCH_HOT_CODE set, every request the same code.
-- Codes are "C" and 15 digits, as bench/run.py loads them.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local offset = tonumber(os.getenv("BENCH_OFFSET") or "0")
local hot = os.getenv("BENCH_HOT_CODE")
local n = 0

function request()
  local index = offset + n * nthreads + tid
  n = n + 1
  local code = hot or string.format("C%015d", index)
  local body = string.format('{"code": "%s", "user": "u%d-%d"}', code, offset + tid, n)
  return wrk.format(nil, nil, nil, body)
end
