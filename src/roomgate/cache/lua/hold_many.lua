-- Hold rooms of several room types (a multi-room checkout) on every night of a stay in ONE step:
-- every (room type x night) is checked first and only then are all of them held, or nothing is.
-- KEYS[1]: hold record; then, line after line (in the order of the quantities below), groups of 2
-- per night: inv, night holds (sorted set); KEYS[#KEYS]: the hotel's view version (ver:{hotel}).
-- All keys carry the hotel's hash tag, so on a Redis Cluster they share one slot.
-- ARGV: now ms, ttl ms, hold id, nights (csv), record ttl ms,
--   check ('1'; '0' only for the negative control `hold_check=skip`, which holds without checking),
--   room type ids (joined by newlines), quantities (csv, one per line, same order).
-- A line's member in its night sets is `<its qty>:<holdId>` (hold_release / hold_convert read the
-- per-line quantities back from the record's `lq` field).
-- Returns {outcome, a, b, c}:
--   {'held', expires_at, 0, 0}                       new hold
--   {'replayed' | 'expired' | 'released' | 'converted', expires_at, 0, 0}
--                                                    the id exists: its first outcome / current state
--   {'conflict', 0, 0, 0}                            the id exists with other lines or nights
--   {'missing', line (1-based), night index, 0}      no fresh cached count: fill from the PMS, retry
--   {'short', line, night index, rooms for sale}     the first (line, night) without enough rooms
--#include view_version
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local hold_id = ARGV[3]
local quantities = {}
for q in string.gmatch(ARGV[8], '%d+') do quantities[#quantities + 1] = q end
local nights = (#KEYS - 2) / 2 / #quantities

local record = redis.call('HMGET', KEYS[1], 's', 'e', 'n', 'lt', 'lq')
if record[1] then
  if record[3] ~= ARGV[4] or record[4] ~= ARGV[7] or record[5] ~= ARGV[8] then
    return {'conflict', 0, 0, 0}
  end
  local expires_at = tonumber(record[2])
  if record[1] == 'held' then
    if expires_at > now then return {'replayed', expires_at, 0, 0} end
    return {'expired', expires_at, 0, 0}
  end
  return {record[1], expires_at, 0, 0}
end

local function line_of(base) return math.floor((base - 2) / 2 / nights) + 1 end

if ARGV[6] == '1' then
  for base = 2, #KEYS - 1, 2 do
    local line = line_of(base)
    local night = ((base - 2) / 2) % nights + 1
    local inv = redis.call('HMGET', KEYS[base], 'a', 'e')
    local fresh_until = tonumber(inv[2])
    if not inv[1] or fresh_until == nil or fresh_until <= now then return {'missing', line, night, 0} end
    redis.call('ZREMRANGEBYSCORE', KEYS[base + 1], '-inf', ARGV[1])
    local held = 0
    for _, member in ipairs(redis.call('ZRANGE', KEYS[base + 1], 0, -1)) do
      held = held + tonumber(string.match(member, '^(%d+):'))
    end
    local for_sale = tonumber(inv[1]) - held
    if for_sale < tonumber(quantities[line]) then return {'short', line, night, math.max(0, for_sale)} end
  end
end

local expires_at = now + ttl
local total = 0
for _, q in ipairs(quantities) do total = total + tonumber(q) end
for base = 2, #KEYS - 1, 2 do
  local night_holds = KEYS[base + 1]
  redis.call('ZADD', night_holds, expires_at, quantities[line_of(base)] .. ':' .. hold_id)
  -- The set must outlive its longest hold in real time too; never shorten it.
  if redis.call('PTTL', night_holds) < ttl + 60000 then redis.call('PEXPIRE', night_holds, ttl + 60000) end
end
local first_type = string.match(ARGV[7], '^[^\n]*')
redis.call('HSET', KEYS[1], 's', 'held', 'e', string.format('%d', expires_at), 'rt', first_type,
  'n', ARGV[4], 'q', string.format('%d', total), 'c', ARGV[1], 'lt', ARGV[7], 'lq', ARGV[8])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
bump_view_version(KEYS[#KEYS])
return {'held', expires_at, 0, 0}
