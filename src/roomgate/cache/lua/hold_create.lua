-- Hold `qty` rooms of one room type on every night of a stay, or on none.
-- KEYS[1]: hold record; then groups of 2 per night: inv, night holds (sorted set); then
-- KEYS[#KEYS]: the hotel's view version (ver:{hotel}), bumped when anything changed.
-- ARGV: now ms, ttl ms, qty, hold id, room type id, nights (csv), record ttl ms.
-- For sale on a night = cached PMS available - active holds; holds whose expiry is not after now
-- are dropped first, so expiry needs no background job.
-- Returns {outcome, a, b}:
--   {'held', expires_at, 0}                        new hold
--   {'replayed' | 'expired' | 'released' | 'converted', expires_at, 0}
--                                                  the id exists: its first outcome / current state
--   {'conflict', 0, 0}                             the id exists with another room type, nights or qty
--                                                  (or is a multi-room hold of hold_many)
--   {'missing', night index (1-based), 0}          no fresh cached count: fill from the PMS, retry
--   {'short', night index, rooms for sale}         not enough rooms that night
--#include view_version
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local qty = tonumber(ARGV[3])
local hold_id = ARGV[4]

local record = redis.call('HMGET', KEYS[1], 's', 'e', 'rt', 'n', 'q', 'lq')
if record[1] then
  if record[6] or record[3] ~= ARGV[5] or record[4] ~= ARGV[6] or tonumber(record[5]) ~= qty then
    return {'conflict', 0, 0}
  end
  local expires_at = tonumber(record[2])
  if record[1] == 'held' then
    if expires_at > now then return {'replayed', expires_at, 0} end
    return {'expired', expires_at, 0}
  end
  return {record[1], expires_at, 0}
end

for base = 2, #KEYS - 1, 2 do
  local index = base / 2
  local inv = redis.call('HMGET', KEYS[base], 'a', 'e')
  local fresh_until = tonumber(inv[2])
  if not inv[1] or fresh_until == nil or fresh_until <= now then return {'missing', index, 0} end
  redis.call('ZREMRANGEBYSCORE', KEYS[base + 1], '-inf', ARGV[1])
  local held = 0
  for _, member in ipairs(redis.call('ZRANGE', KEYS[base + 1], 0, -1)) do
    held = held + tonumber(string.match(member, '^(%d+):'))
  end
  local for_sale = tonumber(inv[1]) - held
  if for_sale < qty then return {'short', index, math.max(0, for_sale)} end
end

local expires_at = now + ttl
local member = ARGV[3] .. ':' .. hold_id
for base = 2, #KEYS - 1, 2 do
  local night_holds = KEYS[base + 1]
  redis.call('ZADD', night_holds, expires_at, member)
  -- The set must outlive its longest hold in real time too; never shorten it.
  if redis.call('PTTL', night_holds) < ttl + 60000 then redis.call('PEXPIRE', night_holds, ttl + 60000) end
end
redis.call('HSET', KEYS[1], 's', 'held', 'e', string.format('%d', expires_at), 'rt', ARGV[5],
  'n', ARGV[6], 'q', ARGV[3], 'c', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
bump_view_version(KEYS[#KEYS])
return {'held', expires_at, 0}
