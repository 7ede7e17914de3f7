-- Read-only: the cached state of many (room type, night) pairs in one round trip.
-- KEYS: groups of 5 per pair: inv, rate, night holds, lkg inv, lkg rate.
-- ARGV[1]: now (ms). An entry whose logical expiry `e` is not after now counts as absent, so
-- freshness follows the injected clock, not only Redis' own TTL.
-- Returns 13 strings/ints per pair:
--   avail, inv_read, held, price, currency, plan, rate_read,
--   lkg_avail, lkg_inv_read, lkg_price, lkg_currency, lkg_plan, lkg_rate_read
-- ('' = absent; a present rate with price '' means the PMS offered no price that night).
local now = tonumber(ARGV[1])
local out = {}

local function read_hash(key, fields)
  local values = redis.call('HMGET', key, 'e', unpack(fields))
  local expiry = tonumber(values[1])
  local live = expiry ~= nil and expiry > now
  for i = 2, #values do
    if live then out[#out + 1] = values[i] or '' else out[#out + 1] = '' end
  end
end

local function active_held(key)
  local held = 0
  for _, member in ipairs(redis.call('ZRANGEBYSCORE', key, '(' .. ARGV[1], '+inf')) do
    held = held + tonumber(string.match(member, '^(%d+):'))
  end
  return held
end

for base = 1, #KEYS, 5 do
  read_hash(KEYS[base], {'a', 'r'})
  out[#out + 1] = active_held(KEYS[base + 2])
  read_hash(KEYS[base + 1], {'p', 'c', 'rp', 'r'})
  read_hash(KEYS[base + 3], {'a', 'r'})
  read_hash(KEYS[base + 4], {'p', 'c', 'rp', 'r'})
end
return out
