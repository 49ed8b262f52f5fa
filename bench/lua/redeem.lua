-- POST /api/v1/redeem with an API key on behalf of a learner, as a vendor backend does:
-- every request a code no other request uses ("R" + 15 digits, BENCH_OFFSET + a per-thread
-- sequence) and its own learner (r<same number>@bench.example), or with BENCH_HOT_CODE set,
-- every request that one code (each by a learner of its own).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = os.getenv("BENCH_AUTH")
local offset = tonumber(os.getenv("BENCH_OFFSET") or "0")
local hot = os.getenv("BENCH_HOT_CODE")
local n = 0

function request()
  local index = offset + n * nthreads + tid
  n = n + 1
  local code = hot or string.format("R%015d", index)
  local body = string.format('{"code": "%s", "user": "r%d@bench.example"}', code, index)
  return wrk.format(nil, "/api/v1/redeem", nil, body)
end
