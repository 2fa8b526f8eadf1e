-- Workload 7: 90% reads, 10% writes, from every connection for the whole run.
--   reads:  45% fetch a pool, 25% list pools (pageSize=50), 20% list a pool's senders (pageSize=50)
--   writes:  5% Create with 10 senders, 5% Add 10 senders to a pool (already-members count as created)
-- BENCH_MIXED_DATA names a file of lines "auth <Authorization header>", "pool <id>", "sender <id>".
-- Loaded after report.lua (run.py joins them), so bench_report is defined.

counts = {reads = 0, creates = 0, adds = 0}
statuses = {}
local threads = {}
local auth, pools, senders = nil, {}, {}
local get_headers, post_headers

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("BENCH_MIXED_DATA")) do
    local kind, value = line:match("^(%S+) (.+)$")
    if kind == "auth" then
      auth = value
    elseif kind == "pool" then
      table.insert(pools, value)
    elseif kind == "sender" then
      table.insert(senders, value)
    end
  end
  get_headers = {["Authorization"] = auth}
  post_headers = {["Authorization"] = auth, ["Content-Type"] = "application/json"}
  math.randomseed(os.time() + #threads)
end

local function refs(n)
  local first = math.random(#senders - n + 1)
  local parts = {}
  for i = first, first + n - 1 do
    parts[#parts + 1] = '{"senderId":"' .. senders[i] .. '"}'
  end
  return "[" .. table.concat(parts, ",") .. "]"
end

function request()
  local r = math.random(100)
  local pool = pools[math.random(#pools)]
  if r <= 90 then
    counts.reads = counts.reads + 1
    if r <= 45 then
      return wrk.format("GET", "/v1/SenderPools/" .. pool, get_headers)
    elseif r <= 70 then
      return wrk.format("GET", "/v1/SenderPools?pageSize=50", get_headers)
    end
    return wrk.format("GET", "/v1/SenderPools/" .. pool .. "/Senders?pageSize=50", get_headers)
  elseif r <= 95 then
    counts.creates = counts.creates + 1
    return wrk.format("POST", "/v1/SenderPools", post_headers, '{"name":"mixed","senders":' .. refs(10) .. "}")
  end
  counts.adds = counts.adds + 1
  return wrk.format("POST", "/v1/SenderPools/" .. pool .. "/Senders", post_headers, refs(10))
end

function response(status, headers, body)
  if status >= 300 then
    statuses[status] = (statuses[status] or 0) + 1
  end
end

done = function(summary, latency, requests)
  local total = {reads = 0, creates = 0, adds = 0}
  local bad = {}
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("counts")) do
      total[k] = total[k] + v
    end
    for k, v in pairs(thread:get("statuses")) do
      bad[k] = (bad[k] or 0) + v
    end
  end
  local parts = {}
  for status, n in pairs(bad) do
    parts[#parts + 1] = string.format('"%d":%d', status, n)
  end
  bench_report(summary, latency, string.format('{"reads":%d,"creates":%d,"adds":%d,"statuses":{%s}}',
    total.reads, total.creates, total.adds, table.concat(parts, ",")))
end
