-- Degraded mode: set or clear one automatic source (e.g. breaker:cloudbeds) unless a newer change won.
-- Breaker listeners in different processes may write out of order; the ordering token (the
-- transition time in ms) makes the latest transition win.
-- KEYS[1]  degraded hash, e.g. degraded:{hotel_123}
-- ARGV     source, token_ms, value ('' clears the source)
-- Returns  1 when applied, 0 when a newer change was already recorded
local key, source, token, value = KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3]
local last = tonumber(redis.call('HGET', key, 'at:' .. source) or '-1')
if token < last then return 0 end
redis.call('HSET', key, 'at:' .. source, token)
if value == '' then
  redis.call('HDEL', key, source)
else
  redis.call('HSET', key, source, value)
end
return 1
