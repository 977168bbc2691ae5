-- wrk script for conformance/bench/access: POSTs access checks to one Gatehouse instance.
--
-- Environment:
--   BENCH_TOKEN  service token of the workspace (required)
--   BENCH_SLUG   workspace slug (default bench)
--   BENCH_MODE   single    - /access/check, one check per request
--                batch     - /access/check-batch, BENCH_BATCH checks per request
--                resources - /access/resources for heavy@example.com (source.read on source)
--   BENCH_BATCH  checks per batch request (default 100)
--
-- Users and resources rotate over a pre-generated set (different per thread, same on every
-- run: math.randomseed is fixed per thread). The mix matches seed.sql: members user1..user100000
-- (1..10 are owners), heavy@example.com 1 time in 1,000, sources src-1..src-8000 and
-- destinations dst-1..dst-2000.
-- done() prints one "BENCH ..." line with the request count, duration and latency percentiles
-- (microseconds) that conformance/bench/access parses.

local mode = os.getenv("BENCH_MODE") or "single"
local token = os.getenv("BENCH_TOKEN") or error("BENCH_TOKEN is not set")
local slug = os.getenv("BENCH_SLUG") or "bench"
local batch = tonumber(os.getenv("BENCH_BATCH") or "100")

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end

-- action, resource type, how many instances of that type exist
local actions = {
  { "source.read", "src", "source", 8000 },
  { "source.update", "src", "source", 8000 },
  { "source.read", "src", "source", 8000 },
  { "source.delete", "src", "source", 8000 },
  { "destination.read", "dst", "destination", 2000 },
  { "destination.update", "dst", "destination", 2000 },
  { "warehouse.read", "wh", "warehouse", 100 },
  { "tracking_plan.read", "tp", "tracking_plan", 100 },
}

local function check_json()
  local r = math.random
  local user
  if r(1, 1000) == 1 then
    user = "heavy@example.com"
  else
    user = "user" .. r(1, 100000) .. "@example.com"
  end
  local a = actions[r(1, #actions)]
  return string.format('{"user":"%s","action":"%s","resource":{"type":"%s","id":"%s-%d"}}',
    user, a[1], a[3], a[2], r(1, a[4]))
end

local bodies = {}
local next_body = 0
local path
local headers = {
  ["Content-Type"] = "application/json",
  ["Authorization"] = "Bearer " .. token,
}

function init(args)
  math.randomseed(7919 * (thread_no or 1))
  local base = "/v1/workspaces/" .. slug .. "/access/"
  if mode == "single" then
    path = base .. "check"
    for i = 1, 8192 do
      bodies[i] = check_json()
    end
  elseif mode == "batch" then
    path = base .. "check-batch"
    for i = 1, 256 do
      local checks = {}
      for j = 1, batch do
        checks[j] = check_json()
      end
      bodies[i] = '{"checks":[' .. table.concat(checks, ",") .. ']}'
    end
  elseif mode == "resources" then
    path = base .. "resources"
    bodies[1] = '{"user":"heavy@example.com","action":"source.read","resource_type":"source"}'
  else
    error("unknown BENCH_MODE " .. mode)
  end
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", path, headers, bodies[next_body])
end

function done(summary, latency, requests)
  local e = summary.errors
  print(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f " ..
    "errors_status=%d errors_other=%d",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout))
end
