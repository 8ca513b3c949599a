-- wrk script: every request is a new inbound message with its own externalId, from one of 500 senders,
-- so the server does the full ingestion work (identity, conversation, dedupe check, insert, event).
-- Usage: see Benchmarks/run-ingest.sh
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end

function init(args)
  token = os.getenv("CAREDESK_BENCH_TOKEN")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
  failures = 0
end

function request()
  counter = counter + 1
  local sender = (counter * 7 + tid * 131) % 500
  local body = string.format(
    '{"direction":"inbound","text":"Καλησπέρα, έχω ερώτηση για την παραγγελία %d — želim pomoć","externalId":"bench-%d-%d","from":{"kind":"email","address":"bench%d@example.gr","name":"Πελάτης %d"}}',
    counter, tid, counter, sender, sender)
  return wrk.format(nil, "/api/v1/messages", nil, body)
end

function response(status, headers, body)
  if status ~= 201 then
    failures = failures + 1
    if failures <= 3 then io.write("non-201: " .. status .. " " .. string.sub(body, 1, 200) .. "\n") end
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, t in ipairs(threads) do failed = failed + t:get("failures") end
  io.write(string.format("requests: %d, non-201 responses: %d, errors: %d\n", summary.requests, failed,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
  io.write(string.format("throughput: %.0f messages/s; latency p50 %.1f ms, p95 %.1f ms, p99 %.1f ms\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000))
end
