-- POST a redemption to the URL wrk is given: Entitle's /api/v1/redeem (with BENCH_AUTH, an
-- API key redeeming on behalf of a learner, as a vendor backend does) or the ceiling view.
-- Every request a code no other request uses (BENCH_PREFIX "R" or "C" + 15 digits: BENCH_OFFSET
-- + a per-thread sequence) and its own learner (r<same number>@bench.example), or with
-- BENCH_HOT_CODE set, every request that one code (each by a learner of its own).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
if os.getenv("BENCH_AUTH") then wrk.headers["Authorization"] = os.getenv("BENCH_AUTH") end
local prefix = os.getenv("BENCH_PREFIX") or "R"
local offset = tonumber(os.getenv("BENCH_OFFSET") or "0")
local hot = os.getenv("BENCH_HOT_CODE")
local n = 0

function request()
  local index = offset + n * nthreads + tid
  n = n + 1
  local code = hot or string.format("%s%015d", prefix, index)
  local body = string.format('{"code": "%s", "user": "r%d@bench.example"}', code, index)
  return wrk.format(nil, nil, nil, body)
end
