-- refresh_token grant with rotation: one chain per connection (run with as many threads as connections,
-- so each thread owns one connection and its requests go one after another). Every 200 carries the
-- rotated token, which the next request presents; anything else breaks the chain and counts as bad.
local chains = {}
for token in string.gmatch(os.getenv("BENCH_TOKENS"), "[^,]+") do table.insert(chains, token) end

function scenario_setup(thread, n)
  thread:set("token", chains[n])
end

local path = os.getenv("BENCH_PATH")
local headers = {
  ["Authorization"] = os.getenv("BENCH_AUTHORIZATION"),
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["User-Agent"] = os.getenv("BENCH_USER_AGENT"),
}

function request()
  return wrk.format("POST", path, headers, "grant_type=refresh_token&refresh_token=" .. token)
end

function response(status, headers, body)
  local rotated = status == 200 and body:match('"refresh_token":"([^"]+)"')
  if rotated and body:find('"access_token":"', 1, true) and body:find('"id_token":"', 1, true) then
    token = rotated
    ok = ok + 1
  else
    bad = bad + 1
  end
end
