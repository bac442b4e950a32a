-- Password sign-ins through the hosted pages, one user per connection (threads = connections):
-- 1. GET the authorization URL without a session -> 302 to /reauth/{id} with a new browser cookie;
-- 2. GET /reauth/{id} -> the sign-in page, whose form carries the flow's CSRF token;
-- 3. POST /reauth/{id}/password -> 302 to the client's redirect URI with a code (one Argon2id verification).
-- `ok` counts completed sign-ins (step 3 redirects with a code); any unexpected answer is `bad` and
-- starts over at step 1.
local users = {}
for email in string.gmatch(os.getenv("BENCH_EMAILS"), "[^,]+") do table.insert(users, email) end

function scenario_setup(thread, n)
  thread:set("email", users[n])
end

local authorize_path = os.getenv("BENCH_PATH")
local password = os.getenv("BENCH_PASSWORD")
local redirect_uri = os.getenv("BENCH_REDIRECT_URI")
local agent = os.getenv("BENCH_USER_AGENT")
local step, flow, cookie, csrf = 1, nil, nil, nil
steps = 0

function request()
  if step == 1 then
    return wrk.format("GET", authorize_path, {["User-Agent"] = agent})
  elseif step == 2 then
    return wrk.format("GET", "/reauth/" .. flow, {["User-Agent"] = agent, ["Cookie"] = cookie})
  else
    return wrk.format("POST", "/reauth/" .. flow .. "/password", {
      ["User-Agent"] = agent, ["Cookie"] = cookie, ["Content-Type"] = "application/x-www-form-urlencoded",
    }, "csrf_token=" .. csrf .. "&email=" .. email:gsub("@", "%%40") .. "&password=" .. password)
  end
end

local function fail()
  bad = bad + 1
  step = 1
end

function response(status, headers, body)
  steps = steps + 1
  if step == 1 then
    local location = header(headers, "Location") or ""
    local set = header(headers, "Set-Cookie") or ""
    flow = location:match("^/reauth/([%w_%-]+)$")
    local browser = set:match("(reverify_browser=[^;]+)")
    if status == 302 and flow and browser then cookie = browser; step = 2 else fail() end
  elseif step == 2 then
    csrf = status == 200 and body:match('name="csrf_token" value="([^"]+)"')
    if csrf then step = 3 else fail() end
  else
    local location = header(headers, "Location") or ""
    if status == 302 and location:find(redirect_uri, 1, true) == 1 and location:find("code=", 1, true) then
      ok = ok + 1
      step = 1
    else
      fail()
    end
  end
end
