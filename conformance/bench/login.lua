-- wrk script for the password logins of conformance/bench/saml: POSTs one form body to a path.
--
-- Environment:
--   BENCH_PATH   request path (default /login)
--   BENCH_BODY   the urlencoded form, e.g. email=u1%40example.com&password=…&csrf_token=…
--   BENCH_COOKIE the login form's pre-session cookie (gatehouse_form=…), sent with every request
--
-- wrk counts answers >= 400 as errors, so a wrong password (401) or the throttle (429) shows
-- up; anything else that is not the expected 303 is kept per thread and printed by done().

local path = os.getenv("BENCH_PATH") or "/login"
local body = os.getenv("BENCH_BODY") or error("BENCH_BODY is not set")
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then headers["Cookie"] = cookie end

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
end

function request()
  return wrk.format("POST", path, headers, body)
end

function response(status, hdrs, answer)
  if status ~= 303 and not refused then
    refused = status .. " " .. string.sub(answer or "", 1, 300)
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
