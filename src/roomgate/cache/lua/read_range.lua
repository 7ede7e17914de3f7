-- Read-only: the cached state of many (room type, night) pairs in one round trip.
-- ARGV[1]: now (ms). An entry whose logical expiry `e` is not after now counts as absent, so
-- freshness follows the injected clock, not only Redis' own TTL.
-- ARGV[2]: reply layout.
--   absent   KEYS in groups of 5 per pair (inv, rate, night holds, lkg inv, lkg rate); a flat array
--            of 13 values per pair: avail, inv_read, held, price, currency, plan, rate_read,
--            lkg_avail, lkg_inv_read, lkg_price, lkg_currency, lkg_plan, lkg_rate_read
--            ('' = absent; a present rate with price '' means the PMS offered no price that night).
--   'fresh'  KEYS in groups of 3 (inv, rate, night holds); the first 7 of those values per pair.
--   'all'    KEYS in groups of 5; all 13 values per pair.
--   Both named layouts reply with ONE string, a cjson array, because a client parses one bulk
--   string far faster than a thousand-element array. Values stay the strings Redis holds (held
--   too) and an absent one is null: cjson formats numbers with sprintf, which cost this single
--   shared Redis thread more than int() costs the (many) clients.
-- ARGV[3] (named layouts): how many leading KEYS are copies of the hotel's room-type list; their
-- raw values (null when missing) open the reply, so the same call also answers "which rooms".
local now = tonumber(ARGV[1])
local after_now = '(' .. ARGV[1]  -- holds whose expiry is after now are active
local packed = ARGV[2] ~= nil
local absent = ''
if packed then absent = cjson.null end
local out, n = {}, 0

local function read_inv(key)
  local v = redis.call('HMGET', key, 'e', 'a', 'r')
  local expiry = tonumber(v[1])
  if expiry and expiry > now then
    out[n + 1], out[n + 2] = v[2] or absent, v[3] or absent
  else
    out[n + 1], out[n + 2] = absent, absent
  end
  n = n + 2
end

local function read_rate(key)
  local v = redis.call('HMGET', key, 'e', 'p', 'c', 'rp', 'r')
  local expiry = tonumber(v[1])
  if expiry and expiry > now then
    out[n + 1], out[n + 2], out[n + 3], out[n + 4] = v[2] or absent, v[3] or absent, v[4] or absent, v[5] or absent
  else
    out[n + 1], out[n + 2], out[n + 3], out[n + 4] = absent, absent, absent, absent
  end
  n = n + 4
end

local function read_held(key)
  local held = 0
  for _, member in ipairs(redis.call('ZRANGEBYSCORE', key, after_now, '+inf')) do
    held = held + tonumber(string.match(member, '^(%d+):'))
  end
  n = n + 1
  if not packed then
    out[n] = held
  elseif held == 0 then
    out[n] = '0'
  else
    out[n] = tostring(held)
  end
end

local first, width = 1, 5
if packed then
  first = 1 + tonumber(ARGV[3])
  for i = 1, first - 1 do
    n = n + 1
    out[n] = redis.call('GET', KEYS[i]) or absent
  end
  if ARGV[2] == 'fresh' then width = 3 end
end

for base = first, #KEYS, width do
  read_inv(KEYS[base])
  read_held(KEYS[base + 2])
  read_rate(KEYS[base + 1])
  if width == 5 then
    read_inv(KEYS[base + 3])
    read_rate(KEYS[base + 4])
  end
end
if not packed then return out end
-- An empty table would encode as {} on real Redis; the reply is always an array.
if n == 0 then return '[]' end
return cjson.encode(out)
