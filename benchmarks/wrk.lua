-- wrk script for `make bench` (benchmarks/load.py writes the files it reads).
--
--   wrk ... -s benchmarks/wrk.lua URL -- METHOD HEADERS_FILE EXPECTED_STATUS [BODY_FILE ...]
--
-- HEADERS_FILE holds "Name: value" lines (the session cookie); each BODY_FILE is one
-- request body, sent in turn, so a register POST alternates between two sets of marks
-- and every save changes them. Responses whose status is not EXPECTED_STATUS are counted
-- (wrk itself counts only those above 399), and done() prints one JSON line.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local function read_file(path)
  local handle = assert(io.open(path, "rb"))
  local data = handle:read("*a")
  handle:close()
  return data
end

local prepared = {}
local next_request = 0
expected = 200
unexpected = 0
first_unexpected = 0

function init(args)
  wrk.method = args[1]
  for line in io.lines(args[2]) do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name then
      wrk.headers[name] = value
    end
  end
  expected = tonumber(args[3])
  if #args > 3 then
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
    for i = 4, #args do
      table.insert(prepared, wrk.format(nil, nil, nil, read_file(args[i])))
    end
  else
    table.insert(prepared, wrk.format())
  end
end

function request()
  next_request = next_request % #prepared + 1
  return prepared[next_request]
end

function response(status, headers, body)
  if status ~= expected then
    unexpected = unexpected + 1
    if first_unexpected == 0 then
      first_unexpected = status
    end
  end
end

function done(summary, latency, requests)
  local wrong, first = 0, 0
  for _, thread in ipairs(threads) do
    wrong = wrong + thread:get("unexpected")
    if first == 0 then
      first = thread:get("first_unexpected")
    end
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, ' ..
    '"p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, "unexpected": %d, ' ..
    '"first_unexpected": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "status_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, wrong, first, errors.connect, errors.read, errors.write, errors.status,
    errors.timeout))
end
