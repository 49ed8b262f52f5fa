-- GET /api/v1/access?user=<learner>&item=<one of the items they hold>, with an API key.
-- BENCH_AUTH: the Authorization header; BENCH_LEARNER: an email; BENCH_ITEMS: ids, comma list.
local items = {}
for id in string.gmatch(os.getenv("BENCH_ITEMS"), "[^,]+") do table.insert(items, id) end
local learner = os.getenv("BENCH_LEARNER")
wrk.headers["Authorization"] = os.getenv("BENCH_AUTH")
local n = 0

function request()
  n = n + 1
  local item = items[((n * 7919 + (tid or 0) * 31) % #items) + 1]
  return wrk.format("GET", "/api/v1/access?user=" .. learner .. "&item=" .. item)
end
