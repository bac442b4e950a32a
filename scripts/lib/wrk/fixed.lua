-- One fixed request, repeated: BENCH_METHOD, BENCH_PATH, BENCH_HEADERS ("Name: value" lines),
-- BENCH_BODY. A response counts as a success only with status BENCH_STATUS and, when set, BENCH_BODY_HAS
-- in its body or BENCH_LOCATION_HAS in its Location header (a 302 with a code, not with an error).
wrk.method = os.getenv("BENCH_METHOD") or "GET"
wrk.path = os.getenv("BENCH_PATH")
wrk.body = os.getenv("BENCH_BODY")
for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
  local name, value = line:match("^([^:]+):%s*(.*)$")
  wrk.headers[name] = value
end

local expected_status = tonumber(os.getenv("BENCH_STATUS") or "200")
local body_has = os.getenv("BENCH_BODY_HAS")
local location_has = os.getenv("BENCH_LOCATION_HAS")

function response(status, headers, body)
  local good = status == expected_status
  if good and body_has then good = body ~= nil and body:find(body_has, 1, true) ~= nil end
  if good and location_has then
    local location = header(headers, "Location")
    good = location ~= nil and location:find(location_has, 1, true) ~= nil
  end
  if good then ok = ok + 1 else bad = bad + 1 end
end
