-- Circuit breaker: one atomic operation on one breaker (mirror of resilience/breaker_state.py:step).
-- KEYS[1]  breaker hash, e.g. breaker:{hotel_123}:cloudbeds
-- ARGV     op (admit|success|failure|release), generation, now_ms, failure_threshold,
--          success_threshold, open_ms, half_open_probes, lost_call_ms, key_ttl_ms
-- Returns  {allowed 0|1, generation, state_before, state_after, retry_after_ms}
local key = KEYS[1]
local op = ARGV[1]
local ticket = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local failure_threshold = tonumber(ARGV[4])
local success_threshold = tonumber(ARGV[5])
local open_ms = tonumber(ARGV[6])
local probes = tonumber(ARGV[7])
local lost_ms = tonumber(ARGV[8])
local ttl_ms = tonumber(ARGV[9])

local h = redis.call('HMGET', key, 'state', 'failures', 'successes', 'in_flight', 'opened_at', 'deadline', 'generation')
local s = {
  state = h[1] or 'CLOSED',
  failures = tonumber(h[2]) or 0,
  successes = tonumber(h[3]) or 0,
  in_flight = tonumber(h[4]) or 0,
  opened_at = tonumber(h[5]) or 0,
  deadline = tonumber(h[6]) or 0,
  generation = tonumber(h[7]) or 0,
}
local before = s.state

local function new_generation(state)
  s.state = state
  s.failures, s.successes, s.in_flight, s.deadline = 0, 0, 0, 0
  s.generation = s.generation + 1
  if state == 'OPEN' then s.opened_at = now end
end

-- what time alone does
if s.state == 'OPEN' and now >= s.opened_at + open_ms then new_generation('HALF_OPEN') end
if s.in_flight > 0 and now >= s.deadline then s.in_flight = 0 end

local allowed, retry_after = 1, 0
if op == 'admit' then
  local room
  if s.state == 'OPEN' then
    room = false
    retry_after = s.opened_at + open_ms - now
  elseif s.state == 'HALF_OPEN' then
    room = s.in_flight < probes
  else
    room = s.failures == 0 or s.failures + s.in_flight < failure_threshold
  end
  if room then
    s.in_flight = s.in_flight + 1
    s.deadline = now + lost_ms
  else
    allowed = 0
  end
elseif ticket == s.generation and s.state ~= 'OPEN' then
  s.in_flight = math.max(s.in_flight - 1, 0)
  if op == 'release' then
    -- nothing else: the call never reached the vendor
  elseif s.state == 'HALF_OPEN' then
    if op == 'failure' then
      new_generation('OPEN')
    else
      s.successes = s.successes + 1
      if s.successes >= success_threshold then new_generation('CLOSED') end
    end
  elseif op == 'success' then
    s.failures = 0
  else
    s.failures = s.failures + 1
    if s.failures >= failure_threshold then new_generation('OPEN') end
  end
end

redis.call('HSET', key, 'state', s.state, 'failures', s.failures, 'successes', s.successes,
  'in_flight', s.in_flight, 'opened_at', s.opened_at, 'deadline', s.deadline, 'generation', s.generation)
redis.call('PEXPIRE', key, ttl_ms)
return {allowed, s.generation, before, s.state, retry_after}
