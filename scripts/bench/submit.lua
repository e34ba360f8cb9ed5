-- wrk script for scripts/bench/submit: POST /api/v1/vision/analyze, multipart, with a JPEG
-- whose bytes differ on every request, so content-addressed dedup cannot skip the write.
--
-- The JPEG (env BENCH_JPEG) gets a 32-byte COM segment (FF FE) right after its SOI marker
-- holding "<run nonce>-<thread>-<counter>": still a valid JPEG with the same header facts,
-- but a new SHA-256 every time. Answers other than 202 are counted and one is kept as a sample.
-- done() prints one "BENCH key=value ..." line for the driver script.

local jpeg_path = os.getenv("BENCH_JPEG") or error("BENCH_JPEG is not set")
local nonce = os.getenv("BENCH_NONCE") or tostring(os.time())
local analysis_type = os.getenv("BENCH_ANALYSIS_TYPE") or "pest"

local file = assert(io.open(jpeg_path, "rb"))
local jpeg = file:read("*a")
file:close()
assert(jpeg:sub(1, 2) == "\255\216", jpeg_path .. " is not a JPEG")

local boundary = "visiongw-bench-5b1c0e9d7f"
local head = "--" .. boundary .. "\r\n" ..
    "Content-Disposition: form-data; name=\"analysis_type\"\r\n\r\n" .. analysis_type .. "\r\n" ..
    "--" .. boundary .. "\r\n" ..
    "Content-Disposition: form-data; name=\"image\"; filename=\"bench.jpg\"\r\n" ..
    "Content-Type: image/jpeg\r\n\r\n" ..
    "\255\216\255\254\0\34"          -- SOI, COM marker, segment length 34 = 2 + 32 payload bytes
local tail = jpeg:sub(3) .. "\r\n--" .. boundary .. "--\r\n"
local headers = { ["Content-Type"] = "multipart/form-data; boundary=" .. boundary }

-- The whole request is formatted once, with 32 placeholder bytes where the token goes; each
-- request is then one concatenation (one copy of ~100 KB) instead of a body concatenation plus
-- wrk.format's, so the load generator takes less of the CPU it shares with the gateway.
local placeholder = "<<visiongw-bench-token-goes-here"
assert(#placeholder == 32)
local before_token, after_token
function init(args)
  local whole = wrk.format("POST", "/api/v1/vision/analyze", headers, head .. placeholder .. tail)
  local at = assert(whole:find(placeholder, 1, true), "placeholder not found")
  before_token, after_token = whole:sub(1, at - 1), whole:sub(at + #placeholder)
end

local threads = {}
function setup(thread)
  thread:set("thread_no", #threads + 1)
  table.insert(threads, thread)
end

counter = 0
accepted = 0
rejected = 0
bad_sample = ""

function request()
  counter = counter + 1
  local token = string.format("%-32s", string.format("%s-%d-%d", nonce, thread_no, counter))
  return before_token .. token:sub(1, 32) .. after_token
end

function response(status, resp_headers, body)
  if status == 202 then
    accepted = accepted + 1
  else
    rejected = rejected + 1
    if bad_sample == "" then
      bad_sample = status .. " " .. (body or ""):sub(1, 200):gsub("%s", " ")
    end
  end
end

function done(summary, latency, requests)
  local ok, bad, sample = 0, 0, ""
  for _, thread in ipairs(threads) do
    ok = ok + thread:get("accepted")
    bad = bad + thread:get("rejected")
    local s = thread:get("bad_sample")
    if sample == "" and s ~= "" then sample = s end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d rps=%.1f accepted=%d rejected=%d " ..
    "p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.0f " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6), ok, bad,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
  if sample ~= "" then io.write("BENCH_SAMPLE " .. sample .. "\n") end
end
