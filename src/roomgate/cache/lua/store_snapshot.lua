-- Store a PMS snapshot (fresh copy + last-known-good copy), never over newer or locally mutated data.
-- KEYS: groups of 3 per entry: main key, lkg key, mutation marker of the night; then
-- KEYS[#KEYS]: the hotel's view version (ver:{hotel}), bumped when anything changed.
-- ARGV[1]: now (ms); ARGV[2]: when the PMS read began (ms); then per entry:
--   guarded (1 = skip when the night was mutated locally after the read began), ttl ms, lkg ttl ms,
--   field count n, then n field/value pairs.
-- Returns per entry: 1 stored, 0 skipped (local mutation after the read began),
--   2 skipped (a snapshot whose read began later is already there).
local now = tonumber(ARGV[1])
local read_started = tonumber(ARGV[2])
--#include view_version
local results = {}
local arg = 3
local changed = false

local function newer_present(key)
  local read = tonumber(redis.call('HGET', key, 'r'))
  return read ~= nil and read > read_started
end

local function write(key, ttl, fields)
  redis.call('DEL', key)
  redis.call('HSET', key, 'r', ARGV[2], 'e', string.format('%d', now + ttl), unpack(fields))
  redis.call('PEXPIRE', key, ttl)
end

for base = 1, #KEYS - 1, 3 do
  local guarded = ARGV[arg] == '1'
  local ttl = tonumber(ARGV[arg + 1])
  local lkg_ttl = tonumber(ARGV[arg + 2])
  local n = tonumber(ARGV[arg + 3])
  local fields = {}
  for i = 1, n * 2 do fields[i] = ARGV[arg + 3 + i] end
  arg = arg + 4 + n * 2

  local mutated = tonumber(redis.call('GET', KEYS[base + 2]))
  if guarded and mutated ~= nil and mutated >= read_started then
    results[#results + 1] = 0
  elseif newer_present(KEYS[base]) then
    results[#results + 1] = 2
  else
    write(KEYS[base], ttl, fields)
    if not newer_present(KEYS[base + 1]) then write(KEYS[base + 1], lkg_ttl, fields) end
    results[#results + 1] = 1
    changed = true
  end
end
if changed then bump_view_version(KEYS[#KEYS]) end
return results
