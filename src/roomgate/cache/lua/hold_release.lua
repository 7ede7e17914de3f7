-- Release (abandon) a hold: its rooms go back on sale at once. Idempotent.
-- KEYS[1]: hold record; KEYS[2..]: the night holds sets of its nights; then
-- KEYS[#KEYS]: the hotel's view version (ver:{hotel}), bumped when anything changed.
-- A multi-room hold (hold_many) lists its night sets line by line, and each line's member carries
-- that line's quantity (the record's `lq`).
-- ARGV[1]: now ms; ARGV[2]: hold id. Returns 'released', 'already_released', 'expired' (rooms were already free),
-- 'refused_converted' or 'unknown'.
--#include view_version
local record = redis.call('HMGET', KEYS[1], 's', 'e', 'q', 'lq')
if not record[1] then return 'unknown' end
if record[1] == 'released' then return 'already_released' end
if record[1] == 'converted' then return 'refused_converted' end
if record[1] == 'expired' then return 'expired' end

local member = record[3] .. ':' .. ARGV[2]
local line_qty = {}
if record[4] then
  for q in string.gmatch(record[4], '%d+') do line_qty[#line_qty + 1] = q end
end
local per_line = #line_qty > 0 and (#KEYS - 2) / #line_qty or 0
for i = 2, #KEYS - 1 do
  if per_line > 0 then member = line_qty[math.floor((i - 2) / per_line) + 1] .. ':' .. ARGV[2] end
  redis.call('ZREM', KEYS[i], member)
end
bump_view_version(KEYS[#KEYS])
if tonumber(record[2]) <= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 's', 'expired')
  return 'expired'
end
redis.call('HSET', KEYS[1], 's', 'released')
return 'released'
