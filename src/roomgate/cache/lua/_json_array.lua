-- Included by scripts that reply with one JSON string (`--#include json_array`). The text is built
-- here, by index, and never by `cjson.encode`: the in-process Redis' cjson walks a Lua table in
-- `next` order, which for Lua 5.1 is not index order once some integer keys landed in the table's
-- hash part (a multiple assignment `t[n+1], t[n+2] = …` stores n+2 first), so two values of a
-- night swapped places there and never on a real Redis. Built here, the bytes are the same on both.
local function json_escape_char(c)
  if c == '"' or c == '\\' then return '\\' .. c end
  return string.format('\\u%04x', string.byte(c))
end

-- `[v1,…,vcount]` of strings; false (or nil) is null. Costs the Redis thread about twice what
-- cjson.encode did (~0.2 µs a value); a remembered answer ('=') encodes nothing.
local function json_array(values, count)
  local parts = {}
  for i = 1, count do
    local v = values[i]
    if not v then
      parts[i] = 'null'
    elseif string.find(v, '[%c"\\]') then
      parts[i] = '"' .. (string.gsub(v, '[%c"\\]', json_escape_char)) .. '"'
    else
      parts[i] = '"' .. v .. '"'
    end
  end
  return '[' .. table.concat(parts, ',') .. ']'
end
