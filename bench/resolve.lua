-- Workload 9: POST /v1/Senders/Resolve with 100 recipients in mixed countries, from every connection.
-- BENCH_RESOLVE_DATA names a file of lines "auth <Authorization header>", "pool <id>", "options <JSON fields>"
-- (added to each body, e.g. "geoMatch":true) and "prefix <E.164 prefix> <digits after it>".
-- Recipients are drawn at random from those number ranges, so most have never been resolved before.
-- Loaded after report.lua (run.py joins them), so bench_report is defined.

local auth, pool, options, prefixes = nil, nil, "", {}
local headers
statuses = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("BENCH_RESOLVE_DATA")) do
    local kind, value = line:match("^(%S+) (.*)$")
    if kind == "auth" then
      auth = value
    elseif kind == "pool" then
      pool = value
    elseif kind == "options" then
      options = value
    elseif kind == "prefix" then
      local prefix, digits = value:match("^(%S+) (%d+)$")
      table.insert(prefixes, {prefix, tonumber(digits)})
    end
  end
  headers = {["Authorization"] = auth, ["Content-Type"] = "application/json"}
  math.randomseed(os.time() + #threads)
end

local function recipient()
  local p = prefixes[math.random(#prefixes)]
  local digits = {}
  for i = 1, p[2] do
    digits[i] = tostring(math.random(0, 9))
  end
  return '{"address":"' .. p[1] .. table.concat(digits) .. '","channel":"PHONE"}'
end

function request()
  local parts = {}
  for i = 1, 100 do
    parts[i] = recipient()
  end
  local body = '{"senderPoolId":"' .. pool .. '","recipientAddresses":[' .. table.concat(parts, ",") .. "]"
  if options ~= "" then
    body = body .. "," .. options
  end
  return wrk.format("POST", "/v1/Senders/Resolve", headers, body .. "}")
end

function response(status, headers, body)
  if status ~= 200 then
    statuses[status] = (statuses[status] or 0) + 1
  end
end

done = function(summary, latency, requests)
  local bad = {}
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("statuses")) do
      bad[k] = (bad[k] or 0) + v
    end
  end
  local parts = {}
  for status, n in pairs(bad) do
    parts[#parts + 1] = string.format('"%d":%d', status, n)
  end
  bench_report(summary, latency, string.format('{"statuses":{%s}}', table.concat(parts, ",")))
end
