-- wrk script for the page benchmarks: one kind of page per run (Benchmarks/run-pages.sh sets the env).
--   CAREDESK_BENCH_KIND   inbox | conversation | search
--   CAREDESK_BENCH_COOKIE the signed-in agent's session cookie ("caredesk_session=...")
--   CAREDESK_BENCH_IDS    comma-separated conversation ids the agent may see (for "conversation")
local kind, ids, terms, views
local counter = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function urlencode(text)
  return (text:gsub("[^%w%-_.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  kind = os.getenv("CAREDESK_BENCH_KIND")
  wrk.headers["Cookie"] = os.getenv("CAREDESK_BENCH_COOKIE")
  ids = {}
  for id in string.gmatch(os.getenv("CAREDESK_BENCH_IDS") or "", "%d+") do table.insert(ids, id) end
  -- Greek, Croatian and English words, with and without accents, common and rare.
  terms = {"παραπονο", "Παράπονο", "τιμολογιο", "επιστροφη", "narudzba", "račun", "prigovor", "dostava",
           "refund", "invoice", "delivery", "Γιώργος", "Horvat", "zeljko", "password", "εγγυηση", "lozinka", "58213"}
  views = {"/inbox?view=open", "/inbox?view=mine", "/inbox?view=unassigned", "/inbox?view=all",
           "/inbox?view=open&sort=priority", "/inbox?view=all&status=closed"}
  failures = 0
end

function request()
  counter = counter + 1
  local path
  if kind == "inbox" then
    path = views[(counter % #views) + 1]
  elseif kind == "conversation" then
    path = "/conversations/" .. ids[(counter % #ids) + 1]
  else
    path = "/search?q=" .. urlencode(terms[(counter % #terms) + 1])
  end
  return wrk.format("GET", path)
end

function response(status, headers, body)
  if status ~= 200 then failures = failures + 1 end
end

function done(summary, latency, requests)
  local failures = 0
  for _, t in ipairs(threads) do failures = failures + t:get("failures") end
  io.write(string.format("%s: %d requests, non-200: %d, p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms\n",
    os.getenv("CAREDESK_BENCH_KIND"), summary.requests, failures, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
