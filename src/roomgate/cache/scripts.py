"""The Lua scripts of `cache/lua/`, registered on a client (EVALSHA, falling back to EVAL on NOSCRIPT)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from roomgate.cache import keys
from roomgate.cache.once_script import OnceScript

LUA_DIR = Path(__file__).with_name("lua")


INCLUDE = re.compile(r"^--#include (\w+)$", re.MULTILINE)


@cache
def source(name: str) -> str:
    """The text of `lua/<name>.lua`, each `--#include x` line replaced by `lua/_x.lua`."""
    text = (LUA_DIR / f"{name}.lua").read_text(encoding="utf-8")
    return INCLUDE.sub(lambda m: (LUA_DIR / f"_{m.group(1)}.lua").read_text(encoding="utf-8"), text)


def register(redis: aioredis.Redis, name: str) -> Any:
    """An `AsyncScript` for `lua/<name>.lua` bound to `redis`: re-sent when its connection breaks,
    so only for scripts whose second run changes nothing (see `register_once`)."""
    return redis.register_script(source(name))


def register_once(redis: aioredis.Redis, name: str) -> OnceScript:
    """`lua/<name>.lua` sent at most once per call: for scripts that are not idempotent."""
    return OnceScript(redis, source(name))


async def preload(redis: aioredis.Redis, names: list[str]) -> None:
    """SCRIPT LOAD the scripts up front, so even their first call is a single round trip."""
    for name in names:
        await redis.script_load(source(name))


async def bump_view_version(pipe: Pipeline, hotel_id: str) -> None:
    """Queue the view-version bump as the last command of a MULTI that changes the hotel's view
    (scripts bump it themselves through `--#include view_version`)."""
    key = keys.view_version(hotel_id)
    if hasattr(pipe, "cluster_client"):
        # A cluster pipeline cannot load scripts before its MULTI (the node is known only at execute
        # time), so it sends the small script's text with EVAL.
        pipe.eval(source("view_version_bump"), 1, key)
        return
    await register(pipe, "view_version_bump")(keys=[key], client=pipe)
