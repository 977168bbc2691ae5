-- wrk script for conformance/bench/scim (Gatehouse and the scim2-server peer).
--
-- Environment:
--   BENCH_TOKEN       bearer token (required)
--   BENCH_MODE        paths - GET each path of BENCH_PATHS in turn (user ids, filters)
--                     post  - POST /scim/v2/Users with a new userName every request
--   BENCH_PATHS       file of request paths, one a line (mode paths)
--   BENCH_TAG         makes the userNames unique (mode post): bench-TAG-RUN-tTHREAD-N@DOMAIN
--   BENCH_DOMAIN      domain of the new userNames (default example.com)
--
-- Each thread starts at its own place in the path list, so the threads do not ask for the
-- same resource at the same time. done() prints one "BENCH key=value ..." line (latencies in
-- microseconds) that conformance/bench/scim parses.

local mode = os.getenv("BENCH_MODE") or "paths"
local token = os.getenv("BENCH_TOKEN") or error("BENCH_TOKEN is not set")
-- wrk_bench sets BENCH_RUN (warm, 1, 2, …): the userNames of each run differ
local tag = (os.getenv("BENCH_TAG") or "0") .. "-" .. (os.getenv("BENCH_RUN") or "0")
local domain = os.getenv("BENCH_DOMAIN") or "example.com"

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("thread_no", #threads)
end

local paths = {}
local next_path = 0
local created = 0
local get_headers = { ["Authorization"] = "Bearer " .. token, ["Accept"] = "application/scim+json" }
local post_headers = {
  ["Authorization"] = "Bearer " .. token,
  ["Accept"] = "application/scim+json",
  ["Content-Type"] = "application/scim+json",
}

function init(args)
  if mode == "paths" then
    local file = os.getenv("BENCH_PATHS") or error("BENCH_PATHS is not set")
    for line in io.lines(file) do
      if line ~= "" then paths[#paths + 1] = line end
    end
    if #paths == 0 then error("no paths in " .. file) end
    -- threads start spread over the list
    next_path = math.floor((#paths / 7) * ((thread_no or 1) - 1)) % #paths
  elseif mode ~= "post" then
    error("unknown BENCH_MODE " .. mode)
  end
end

local user_json = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],' ..
  '"userName":"%s","externalId":"%s",' ..
  '"name":{"givenName":"Bench","familyName":"User %d","formatted":"Bench User %d"},' ..
  '"emails":[{"value":"%s","type":"work","primary":true}],"title":"Engineer","active":true}'

function request()
  if mode == "post" then
    created = created + 1
    local name = string.format("bench-%s-t%d-%d@%s", tag, thread_no or 1, created, domain)
    local ext = string.format("bench-%s-t%d-%d", tag, thread_no or 1, created)
    return wrk.format("POST", "/scim/v2/Users", post_headers,
      string.format(user_json, name, ext, created, created, name))
  end
  next_path = next_path % #paths + 1
  return wrk.format("GET", paths[next_path], get_headers)
end

-- In post mode, the first refused answer of each thread is kept and printed by done().
if mode == "post" then
  function response(status, headers, body)
    if status >= 300 and not refused then
      refused = status .. " " .. string.sub(body or "", 1, 300)
    end
  end
end

function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    local r = t:get("refused")
    if r then print("REFUSED " .. r) end
  end
  local e = summary.errors
  print(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f " ..
    "errors_status=%d errors_other=%d",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout))
end
