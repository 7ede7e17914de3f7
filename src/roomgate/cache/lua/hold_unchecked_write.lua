-- Negative controls only (ROOMGATE_DEBUG_FAULTS=hold_check=skip, refused in production): add a hold to
-- its nights WITHOUT checking availability, to show the oversell hold_create's atomic check prevents.
-- KEYS[1]: hold record; KEYS[2..]: night holds sets; KEYS[#KEYS]: the hotel's view version.
-- ARGV: expires_at ms, qty, hold id, room type id, nights csv, record ttl ms, now ms.
--#include view_version
local member = ARGV[2] .. ':' .. ARGV[3]
for i = 2, #KEYS - 1 do
  redis.call('ZADD', KEYS[i], ARGV[1], member)
  redis.call('PEXPIRE', KEYS[i], ARGV[6])
end
redis.call('HSET', KEYS[1], 's', 'held', 'e', ARGV[1], 'rt', ARGV[4], 'n', ARGV[5], 'q', ARGV[2], 'c', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
bump_view_version(KEYS[#KEYS])
return 'held'
