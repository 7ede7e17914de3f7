-- The cached state of many (room type, night) pairs in one round trip. It writes nothing, except
-- a missing view version in the named layouts (set as a write would set it).
-- ARGV[1]: now (ms). An entry whose logical expiry `e` is not after now counts as absent, so
-- freshness follows the injected clock, not only Redis' own TTL.
-- ARGV[2]: reply layout.
--   absent   KEYS in groups of 5 per pair (inv, rate, night holds, lkg inv, lkg rate); a flat array
--            of 15 values per pair: avail, inv_read, held, price, currency, plan, rate_read, occupancy,
--            lkg_avail, lkg_inv_read, lkg_price, lkg_currency, lkg_plan, lkg_rate_read, lkg_occupancy
--            ('' = absent; a present rate with price '' means the PMS offered no price that night;
--            occupancy is the rate's extra-guest rule, field `o`, '' when the price has none).
--   'fresh'  KEYS in groups of 3 (inv, rate, night holds); the first 8 of those values per pair.
--   'all'    KEYS in groups of 5; all 15 values per pair.
--   Both named layouts reply with ONE string: the same values ('' = absent) as a JSON array of
--   strings, because a client parses one bulk string far faster than a thousand-element array.
--   The text is built by _json_text.lua, in index order — never by cjson.encode, whose in-process
--   (fakeredis) version walks the table in `next` order (issue 10).
-- Named layouts: KEYS[1] is the hotel's view version (ver:{hotel}); ARGV[3] says how many KEYS
-- after it are copies of the hotel's room-type list; then come the groups. The reply opens with
-- the version, the time (ms, a string) until which everything read stays as
-- read (the earliest fresh-copy expiry or active-hold expiry; '' when nothing was), and the
-- list copies' raw values ('' when missing), so the same call also answers "which rooms".
-- ARGV[4] (optional): a version the caller already rendered; when it is still current the reply
-- is the string '=' and nothing else is read (a memoised response is still good).
--#include view_version
--#include json_text
local now = tonumber(ARGV[1])
local after_now = '(' .. ARGV[1]  -- holds whose expiry is after now are active
local packed = ARGV[2] ~= nil
local absent = ''
local out, n = {}, 0
local until_ms = nil  -- earliest expiry among what was read as fresh or active

local function keep_until(ms)
  if until_ms == nil or ms < until_ms then until_ms = ms end
end

local function read_inv(key)
  local v = redis.call('HMGET', key, 'e', 'a', 'r')
  local expiry = tonumber(v[1])
  if expiry and expiry > now then
    keep_until(expiry)
    out[n + 1], out[n + 2] = v[2] or absent, v[3] or absent
  else
    out[n + 1], out[n + 2] = absent, absent
  end
  n = n + 2
end

local function read_rate(key)
  local v = redis.call('HMGET', key, 'e', 'p', 'c', 'rp', 'r', 'o')
  local expiry = tonumber(v[1])
  if expiry and expiry > now then
    keep_until(expiry)
    out[n + 1], out[n + 2], out[n + 3], out[n + 4] = v[2] or absent, v[3] or absent, v[4] or absent, v[5] or absent
    out[n + 5] = v[6] or absent
  else
    out[n + 1], out[n + 2], out[n + 3], out[n + 4], out[n + 5] = absent, absent, absent, absent, absent
  end
  n = n + 5
end

local function read_held(key)
  local held = 0
  local active = redis.call('ZRANGEBYSCORE', key, after_now, '+inf', 'WITHSCORES')
  if active[2] then keep_until(tonumber(active[2])) end  -- the soonest to expire comes first
  for i = 1, #active, 2 do
    held = held + tonumber(string.match(active[i], '^(%d+):'))
  end
  n = n + 1
  if not packed then
    out[n] = held
  elseif held == 0 then
    out[n] = '0'
  else
    out[n] = tostring(held)
  end
end

local first, width = 1, 5
if packed then
  local version = redis.call('GET', KEYS[1])
  if not version then
    -- cached before versions existed, or the key was evicted: start one, so this read counts
    bump_view_version(KEYS[1])
    version = redis.call('GET', KEYS[1])
  elseif ARGV[4] and ARGV[4] ~= '' and version == ARGV[4] then
    return '='
  end
  out[1], out[2], n = version, absent, 2  -- out[2]: until_ms, known at the end
  first = 2 + tonumber(ARGV[3])
  for i = 2, first - 1 do
    n = n + 1
    out[n] = redis.call('GET', KEYS[i]) or absent
  end
  if ARGV[2] == 'fresh' then width = 3 end
end
local grid_from = n + 1  -- out[grid_from..]: the pairs' values

for base = first, #KEYS, width do
  read_inv(KEYS[base])
  read_held(KEYS[base + 2])
  read_rate(KEYS[base + 1])
  if width == 5 then
    read_inv(KEYS[base + 3])
    read_rate(KEYS[base + 4])
  end
end
if not packed then return out end
if until_ms then out[2] = string.format('%d', until_ms) end
return json_strings(out, n, grid_from)
