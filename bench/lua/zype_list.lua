-- GET /redemption_codes?api_key=…&video_id=…&created_at.gte=… (Zype's list, first page).
-- BENCH_QUERY: the whole query string.
wrk.method = "GET"
local path = "/redemption_codes?" .. os.getenv("BENCH_QUERY")

function request()
  return wrk.format(nil, path)
end
