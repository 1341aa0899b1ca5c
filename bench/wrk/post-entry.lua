-- One audit entry per request, each on a trace of its own (the thinly spread load that
-- batching must still pay off for). Bodies are made up front so that wrk, which shares the
-- cores with the servers, spends as little as possible per request. Counts 201s per thread
-- so the harness can compare the acknowledged entries with the rows stored afterwards.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local bodies = {}
local next_body = 1

local function uuid()
  return string.format("%08x-%04x-4%03x-%04x-%06x%06x",
    math.random(0, 0xffffffff), math.random(0, 0xffff), math.random(0, 0xfff),
    math.random(0x8000, 0xbfff), math.random(0, 0xffffff), math.random(0, 0xffffff))
end

function init(args)
  created = 0
  failed = 0
  math.randomseed(os.time() * 1000 + id)
  local actions = { "CREATE", "READ", "UPDATE", "DELETE" }
  local now = os.time()
  for i = 1, 20000 do
    local body = string.format(
      '{"traceId":"%s","timestamp":"%s","eventType":"MANAGEMENT_EVENT","eventAction":"%s",' ..
      '"status":"%s","actorType":"SERVICE","actorId":"svc-%d","targetType":"RESOURCE","targetId":"res-%d",' ..
      '"requestMetadata":{"schemaId":"schema-%d","requestedFields":["name","address"]},' ..
      '"responseMetadata":{"decision":"ALLOWED","fieldsReturned":2}}',
      uuid(), os.date("!%Y-%m-%dT%H:%M:%SZ", now - i), actions[i % 4 + 1],
      (i % 10 == 0) and "FAILURE" or "SUCCESS", i % 50, i, i % 100)
    bodies[i] = wrk.format("POST", "/api/audit-logs", { ["Content-Type"] = "application/json" }, body)
  end
end

function request()
  local r = bodies[next_body]
  next_body = next_body % #bodies + 1
  return r
end

function response(status, headers, body)
  if status == 201 then created = created + 1 else failed = failed + 1 end
end

function done(summary, latency, requests)
  local ok, bad = 0, 0
  for _, t in ipairs(threads) do
    ok = ok + t:get("created")
    bad = bad + t:get("failed")
  end
  io.write(string.format("RESULT requests=%d duration_us=%d created=%d failed=%d p50_us=%d p99_us=%d errors=%d\n",
    summary.requests, summary.duration, ok, bad, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
