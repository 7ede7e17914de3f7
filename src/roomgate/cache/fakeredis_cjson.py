"""Make the in-process Redis's `cjson.encode` list an array in index order, as real Redis does.

fakeredis 2.40 turns a Lua array into a JSON list by iterating the table with `next`, whose order is
not the index order for slots that landed in the table's hash part (a multiple assignment such as
`out[n + 1], out[n + 2] = a, b` can do that). lua/read_range.lua then came back with a night's
columns swapped in the embedded mode only. This patch reads arrays by index, like real cjson."""

from __future__ import annotations

from typing import Any

_PATCHED = False


def patch_fakeredis_cjson() -> None:
    global _PATCHED
    if _PATCHED:
        return
    from fakeredis.commands_mixins import scripting_mixin as mixin

    original = mixin._cjson_lua_to_python

    def lua_to_python(obj: Any) -> Any:
        if obj is mixin._lua_cjson_null or isinstance(obj, bytes):
            return original(obj)
        if mixin.LUA_MODULE.lua_type(obj) != "table":
            return obj
        keys = list(obj.keys())
        if keys and all(isinstance(k, int) for k in keys) and sorted(keys) == list(range(1, len(keys) + 1)):
            return [lua_to_python(obj[i]) for i in range(1, len(keys) + 1)]
        return {lua_to_python(k): lua_to_python(v) for k, v in dict(obj).items()}

    mixin._cjson_lua_to_python = lua_to_python
    _PATCHED = True
