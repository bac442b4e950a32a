-- Prepended to every scenario by scripts/lib/bench.py. Each wrk thread counts the responses its
-- scenario accepts (`ok`) and refuses (`bad`); `done` sums them over the threads and prints one line
-- for bench.py to parse. A figure with any `bad` response or socket error is reported as INVALID.
local threads = {}
ok, bad = 0, 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("index", #threads)
  if scenario_setup then scenario_setup(thread, #threads) end
end

function header(headers, name)
  return headers[name] or headers[name:lower()]
end

function done(summary, latency, requests)
  local good, failed = 0, 0
  for _, t in ipairs(threads) do
    good = good + t:get("ok")
    failed = failed + t:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d ok=%d bad=%d socket_errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, good, failed, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
