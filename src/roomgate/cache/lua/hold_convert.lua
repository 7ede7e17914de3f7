-- Convert a hold once its booking is confirmed: the hold disappears and the cached count of every
-- night drops by its quantity, atomically; the nights are marked as locally mutated. Idempotent.
-- KEYS[1]: hold record; then groups of 4 per night: night holds, inv, lkg inv, mutation marker;
-- then KEYS[#KEYS]: the hotel's view version (ver:{hotel}), bumped when anything changed.
-- A multi-room hold (hold_many) lists its nights line by line; each line's quantity (the record's
-- `lq`) is both its member's prefix and what its nights' counts drop by.
-- ARGV: now ms, hold id, when the PMS booked it (ms, -1 unknown), marker ttl ms,
--   count_if_expired ('1': the PMS accepted the booking although the hold lapsed; count it anyway).
-- A cached copy whose PMS read began at or after the booking already counts it and is not moved.
-- Returns 'converted', 'converted_late', 'already_converted', 'refused_released', 'refused_expired'
-- or 'unknown'.
--#include view_version
local now = tonumber(ARGV[1])
local booked_at = tonumber(ARGV[3])
local record = redis.call('HMGET', KEYS[1], 's', 'e', 'q', 'lq')
if not record[1] then return 'unknown' end
if record[1] == 'converted' then return 'already_converted' end
if record[1] == 'released' then return 'refused_released' end
if record[1] == 'expired' then return 'refused_expired' end

local line_qty = {}
if record[4] then
  for q in string.gmatch(record[4], '%d+') do line_qty[#line_qty + 1] = q end
else
  line_qty[1] = record[3]
end
local per_line = (#KEYS - 2) / #line_qty
local function qty_at(base) return line_qty[math.floor((base - 2) / per_line) + 1] end
local late = tonumber(record[2]) <= now
if late and ARGV[5] ~= '1' then
  -- Its rooms may already be held by someone else: only the saga, with the PMS's answer, may decide.
  for base = 2, #KEYS - 1, 4 do redis.call('ZREM', KEYS[base], qty_at(base) .. ':' .. ARGV[2]) end
  bump_view_version(KEYS[#KEYS])
  redis.call('HSET', KEYS[1], 's', 'expired')
  return 'refused_expired'
end

local function take(key, qty)
  local values = redis.call('HMGET', key, 'a', 'r')
  if not values[1] then return end
  if booked_at >= 0 and tonumber(values[2]) >= booked_at then return end
  redis.call('HSET', key, 'a', math.max(0, tonumber(values[1]) - qty))
end

for base = 2, #KEYS - 1, 4 do
  local qty = tonumber(qty_at(base))
  redis.call('ZREM', KEYS[base], qty_at(base) .. ':' .. ARGV[2])
  take(KEYS[base + 1], qty)
  take(KEYS[base + 2], qty)
  redis.call('SET', KEYS[base + 3], ARGV[1], 'PX', ARGV[4])
end
redis.call('HSET', KEYS[1], 's', 'converted')
bump_view_version(KEYS[#KEYS])
if late then return 'converted_late' end
return 'converted'
