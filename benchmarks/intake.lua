-- wrk script for benchmarks/intake.py: every request a distinct new complaint from a fresh
-- anonymous citizen (as a public form posts), its Idempotency-Key unique in this run and every
-- other (the run's seed is part of it), its text varied across categories and places, and a
-- location scattered over a wide area so that few reports are "the same problem".
-- Arguments: seed, duplicate share (0..1: that share re-sends an earlier request exactly),
-- delay in ms between a connection's requests (0: as fast as possible).

local seed, duplicates, pause = 0, 0, 0
local counter, sent = 0, {}
local threads = {}

-- subjects, places, details, times: prepended by intake.py from complaint_texts.py

local function pick(list) return list[math.random(#list)] end

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  seed = tonumber(args[1]) or os.time()
  duplicates = tonumber(args[2]) or 0
  pause = tonumber(args[3]) or 0
  math.randomseed(seed * 1000 + (id or 1))
  created, other = 0, 0
end

local function fresh()
  counter = counter + 1
  local key = string.format("bench-%d-%d-%d", seed, id or 1, counter)
  local text = string.format("%s di %s nomor %d RT %02d/RW %02d, %s, %s. (%s)",
    pick(subjects), pick(places), math.random(300), math.random(20), math.random(15),
    pick(details), pick(times), key)
  local lat = -7.35 + math.random() * 0.7
  local lon = 107.20 + math.random() * 0.8
  local body = string.format(
    '{"text":"%s","location":{"lat":%.6f,"lon":%.6f}}', text, lat, lon)
  return { key = key, body = body }
end

function request()
  local item
  if #sent > 0 and math.random() < duplicates then
    item = sent[math.random(#sent)]
  else
    item = fresh()
    if duplicates > 0 then
      if #sent < 1000 then table.insert(sent, item) else sent[math.random(1000)] = item end
    end
  end
  return wrk.format("POST", "/api/v1/web/messages",
    { ["Content-Type"] = "application/json", ["Idempotency-Key"] = item.key }, item.body)
end

function delay()
  return pause
end

function response(status, headers, body)
  if status == 201 then created = created + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local c, o = 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("created")
    o = o + thread:get("other")
  end
  io.write(string.format("status 201: %d, other: %d\n", c, o))
end
