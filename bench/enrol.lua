-- Enrolment through HTTP: every prepared student presses "enrol" exactly once.
--
-- Arguments after "--": the file of prepared students (one "cookie<TAB>body" per line), the
-- course's enrol path, and a folder where each thread leaves a mark when it has finished.
-- Thread n of N takes lines n, n+N, ...; delay() lets a connection send only while
-- students remain, so no request is sent twice and none is made up. Each thread stops
-- when its last answer is in, and done() prints the figures as one JSON line.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]]

local function now()
  local spec = ffi.new("bench_timespec")
  ffi.C.clock_gettime(1, spec) -- CLOCK_MONOTONIC, the same clock in every thread
  return tonumber(spec.tv_sec) + tonumber(spec.tv_nsec) / 1e9
end

local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local mine = {}
local reserved, sent, answered = 0, 0, 0
local statuses = {}
local marks
first, last, index, count, codes = nil, nil, nil, 0, ""

local function mark_done()
  local file = io.open(marks .. "/done-" .. index, "w")
  file:write("done\n")
  file:close()
end

function init(args)
  local path, enrol, total = args[1], args[2], tonumber(args[4])
  marks = args[3]
  local number = 0
  for line in io.lines(path) do
    if number % total == index then
      local cookie, body = line:match("^([^\t]+)\t(.+)$")
      table.insert(mine, wrk.format("POST", enrol, {
        ["Cookie"] = "session=" .. cookie,
        ["Content-Type"] = "application/x-www-form-urlencoded",
      }, body))
    end
    number = number + 1
  end
  count = #mine
  if count == 0 then
    mark_done()
  end
end

function delay()
  if reserved < #mine then
    reserved = reserved + 1
    return 0
  end
  return 3600000 -- this connection has nobody left to sign up
end

function request()
  if reserved == 0 then
    return mine[1] or wrk.format("GET", "/") -- wrk's own check before the run; never sent
  end
  sent = sent + 1
  first = first or now()
  return mine[sent]
end

function response(status, headers, body)
  answered = answered + 1
  statuses[status] = (statuses[status] or 0) + 1
  last = now()
  if answered == #mine then
    local parts = {}
    for code, number in pairs(statuses) do
      table.insert(parts, code .. ":" .. number)
    end
    codes = table.concat(parts, ",")
    mark_done()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local started, finished, total = nil, nil, 0
  local merged = {}
  for _, thread in ipairs(threads) do
    local a, b = thread:get("first"), thread:get("last")
    if a and (not started or a < started) then started = a end
    if b and (not finished or b > finished) then finished = b end
    total = total + thread:get("count")
    for code, number in string.gmatch(thread:get("codes") or "", "(%d+):(%d+)") do
      merged[code] = (merged[code] or 0) + tonumber(number)
    end
  end
  local parts = {}
  for code, number in pairs(merged) do
    table.insert(parts, string.format('"%s": %d', code, number))
  end
  local seconds = (started and finished) and (finished - started) or 0
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "answered": %d, "seconds": %.3f, "rps": %.1f, '
      .. '"p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "errors": %d, "statuses": {%s}}\n',
    total, summary.requests, seconds, seconds > 0 and summary.requests / seconds or 0,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, errors, table.concat(parts, ", ")))
end
