-- Included by scripts that reply with one JSON string (`--#include json_text`). The text is built
-- here with table.concat, which takes a table's values by index, never with `cjson.encode`: the
-- in-process Redis' cjson walks a Lua table in `next` order, which for Lua 5.1 is not index order
-- once some integer keys landed in the table's hash part (a multiple assignment
-- `t[n+1], t[n+2] = …` stores n+2 first), so two values of a night swapped places there and never
-- on a real Redis (issue 10). Built here, the bytes are the same on both servers.

local function json_escape_char(c)
  if c == '"' or c == '\\' then return '\\' .. c end
  return string.format('\\u%04x', string.byte(c))
end

-- The inside of a JSON string for `v` (a string or a number).
local function json_escaped(v)
  if type(v) == 'string' and string.find(v, '[%c"\\]') then
    return (string.gsub(v, '[%c"\\]', json_escape_char))
  end
  return v
end

-- `["v1",…,"vcount"]`: values[1..count] (strings or numbers) as JSON strings; `values` is used up.
-- Values before `bulk_from` are escaped one by one (a room-type list is JSON: it always needs it);
-- from `bulk_from` on, one scan of all their text decides (rarely true: a rate plan id may).
local function json_strings(values, count, bulk_from)
  for i = 1, bulk_from - 1 do values[i] = json_escaped(values[i]) end
  if string.find(table.concat(values, '', bulk_from, count), '[%c"\\]') then
    for i = bulk_from, count do values[i] = json_escaped(values[i]) end
  end
  return '["' .. table.concat(values, '","', 1, count) .. '"]'
end
