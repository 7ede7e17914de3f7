-- Inbound rate limit, token bucket shared by every server process; tokens are leased in small batches
-- so most requests cost no Redis call (the process spends its lease locally).
-- KEYS[1]  the bucket of one client and traffic class: HASH {t = tokens, ts = last refill ms}
-- ARGV     now_ms, limit (bucket size = tokens per period), period_ms, want (batch size)
-- Returns  {granted, wait_ms}: granted in 0..want; wait_ms until one token is back when granted == 0
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local per_ms = limit / period

local state = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(state[1])
local stamp = tonumber(state[2])
if tokens == nil or stamp == nil then
  tokens, stamp = limit, now
end
if now > stamp then
  tokens = math.min(limit, tokens + (now - stamp) * per_ms)
  stamp = now
end
local granted = math.min(want, math.floor(tokens))
tokens = tokens - granted
-- fixed formats: tostring() of a float differs between Lua versions (real vs in-process Redis)
redis.call('HSET', KEYS[1], 't', string.format('%.6f', tokens), 'ts', string.format('%d', stamp))
redis.call('PEXPIRE', KEYS[1], period + 1000)
if granted > 0 then return {granted, 0} end
return {0, math.max(1, math.ceil((1 - tokens) / per_ms))}
