-- Outbound rate limit, sliding-window log: at most `limit` admissions in any window of `window_ms`.
-- KEYS[1]  sorted set of admission times, e.g. ratelimit:cloudbeds:<hash of the credential>
-- ARGV     now_ms, window_ms, limit, member (unique per call)
-- Returns  {1, 0} when admitted, {0, wait_ms} with the time until the oldest admission leaves the window
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])

redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, window)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
local wait = tonumber(oldest[2]) + window - now
if wait < 1 then wait = 1 end
return {0, wait}
