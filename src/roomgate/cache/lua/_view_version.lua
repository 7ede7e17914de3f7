-- Included by every script that changes what an availability read would show (`--#include
-- view_version`). `ver:{hotel}` is the hotel's view version: it changes with every such write, so
-- a process that rendered a response may serve it again while the version is unchanged. A missing
-- key restarts from the server's clock in microseconds, never from 1, so a version seen before a
-- flush or an eviction is never handed out again.
local function bump_view_version(key)
  if redis.call('INCR', key) == 1 then
    local t = redis.call('TIME')
    redis.call('SET', key, t[1] .. string.format('%06d', tonumber(t[2])))
  end
end
