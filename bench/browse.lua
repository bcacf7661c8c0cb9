-- Browsing during the term opening: each connection goes round the prepared requests.
--
-- Argument after "--": a file of requests, one "path<TAB>cookie" per line (the cookie may
-- be empty, for a visitor). done() prints the figures as one JSON line, as report.lua does.
local requests = {}
local next_one = 0

function init(args)
  for line in io.lines(args[1]) do
    local path, cookie = line:match("^([^\t]+)\t?(.*)$")
    local headers = {}
    if cookie ~= "" then
      headers["Cookie"] = cookie
    end
    table.insert(requests, wrk.format("GET", path, headers))
  end
end

function request()
  next_one = next_one % #requests + 1
  return requests[next_one]
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.2f, '
      .. '"p95_ms": %.2f, "p99_ms": %.2f, "errors": %d, "non_2xx_3xx": %d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, errors, summary.errors.status))
end
