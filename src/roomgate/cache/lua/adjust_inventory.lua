-- Move cached PMS counts by a local booking mutation (booking -1, cancellation +1) and mark the
-- nights as mutated, so a PMS snapshot read before this moment cannot overwrite the change.
-- KEYS: groups of 3 per night: inv, lkg inv, mutation marker; then
-- KEYS[#KEYS]: the hotel's view version (ver:{hotel}), bumped when anything changed.
-- ARGV[1]: now (ms); ARGV[2]: delta; ARGV[3]: when the PMS itself changed (ms, -1 unknown);
-- ARGV[4]: marker ttl (ms).
-- A copy whose read began at or after the PMS change already contains it and is left alone.
-- Counts never go below zero. Returns the new fresh count per night (-1 when not cached or no longer fresh).
local now = tonumber(ARGV[1])
local delta = tonumber(ARGV[2])
local changed_at = tonumber(ARGV[3])
--#include view_version
local results = {}

local function adjust(key)
  local values = redis.call('HMGET', key, 'a', 'r', 'e')
  if not values[1] then return -1 end
  local count = tonumber(values[1])
  if changed_at < 0 or tonumber(values[2]) < changed_at then
    count = math.max(0, count + delta)
    redis.call('HSET', key, 'a', count)
  end
  if tonumber(values[3]) <= now then return -1 end
  return count
end

for base = 1, #KEYS - 1, 3 do
  results[#results + 1] = adjust(KEYS[base])
  adjust(KEYS[base + 1])
  redis.call('SET', KEYS[base + 2], ARGV[1], 'PX', ARGV[4])
end
bump_view_version(KEYS[#KEYS])
return results
