"""The Lua scripts of `cache/lua/`, registered on a client (EVALSHA, falling back to EVAL on NOSCRIPT)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

LUA_DIR = Path(__file__).with_name("lua")


@cache
def source(name: str) -> str:
    """The text of `lua/<name>.lua`."""
    return (LUA_DIR / f"{name}.lua").read_text(encoding="utf-8")


def register(redis: aioredis.Redis, name: str) -> Any:
    """An `AsyncScript` for `lua/<name>.lua` bound to `redis`."""
    return redis.register_script(source(name))


async def preload(redis: aioredis.Redis, names: list[str]) -> None:
    """SCRIPT LOAD the scripts up front, so even their first call is a single round trip."""
    for name in names:
        await redis.script_load(source(name))
