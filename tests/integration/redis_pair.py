"""Two Redis servers driven in lock step: the in-process one (fakeredis + Lua, what `make demo`
runs) and a real one. Every operation runs on both through the same code; replies and state must
be equal once the only server-chosen values (view versions started from the server's clock) are
replaced by the order in which each side first handed them out."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from roomgate.cache import keys, scripts
from roomgate.cache.client import create_redis, fresh_in_process_redis
from roomgate.cache.holds import RedisHoldLedger
from roomgate.cache.inventory import InventoryCache
from roomgate.clock import FakeClock
from tests.integration.cache_support import settings as cache_settings

SCRIPT_NAMES = sorted(p.stem for p in scripts.LUA_DIR.glob("*.lua") if not p.stem.startswith("_"))


@dataclass
class Side:
    """One server with the adapters under test, all on the shared injected clock."""

    name: str
    redis: Any
    cache: InventoryCache
    ledger: RedisHoldLedger
    unchecked: RedisHoldLedger  # the negative-control path (`hold_check=skip`): writes without the check
    script: dict[str, Any]
    versions: list[str] = field(default_factory=list)

    def canonical(self, value: Any) -> Any:
        """`value` with every view version this side handed out replaced by `<vN>`."""
        if isinstance(value, str):
            for index, version in enumerate(self.versions):
                if value == version:
                    return f"<v{index}>"
                value = value.replace(f'"{version}"', f'"<v{index}>"')
            return value
        if isinstance(value, list):
            return [self.canonical(item) for item in value]
        if isinstance(value, tuple):  # NamedTuples too (CachedNight): compared field by field
            return tuple(self.canonical(item) for item in value)
        if isinstance(value, dict):
            return {self.canonical(k): self.canonical(v) for k, v in value.items()}
        return value

    async def note_version(self, hotel_id: str) -> None:
        current = await self.redis.get(keys.view_version(hotel_id))
        if current is not None and current not in self.versions:
            self.versions.append(current)

    async def dump(self) -> dict[str, Any]:
        """Every key: its type, value and whether it has a TTL (TTL lengths follow real time)."""
        state: dict[str, Any] = {}
        for key in sorted(await self.redis.keys("*")):
            kind = await self.redis.type(key)
            if kind == "string":
                value: Any = await self.redis.get(key)
            elif kind == "hash":
                value = await self.redis.hgetall(key)
            elif kind == "zset":
                value = await self.redis.zrange(key, 0, -1, withscores=True)
            else:
                value = f"<{kind}>"
            state[key] = (kind, value, await self.redis.pttl(key) == -1)
        return self.canonical(state)


def build_side(name: str, redis: Any, clock: FakeClock, seed: int) -> Side:
    # Same seed on both sides: the TTL jitter draws are the same sequence.
    cache = InventoryCache(redis, cache_settings(ttl_jitter_ratio=0.1), clock, rng=random.Random(seed))
    ledger = RedisHoldLedger(redis, clock, default_ttl_seconds=180)
    unchecked = RedisHoldLedger(redis, clock, default_ttl_seconds=180, skip_check=True)
    script = {name: scripts.register(redis, name) for name in SCRIPT_NAMES}
    return Side(name, redis, cache, ledger, unchecked, script)


class RedisPair:
    """The in-process and the real Redis (its test db flushed), same clock, same seed."""

    def __init__(self, real_url: str, clock: FakeClock, seed: int) -> None:
        self.clock = clock
        self.sides = [
            build_side("in-process", fresh_in_process_redis(), clock, seed),
            build_side("real", create_redis(real_url), clock, seed),
        ]

    async def __aenter__(self) -> RedisPair:
        await self.sides[1].redis.flushdb()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.sides[1].redis.flushdb()
        for side in self.sides:
            await side.redis.aclose()

    async def both(self, hotel_id: str, operation: Callable[[Side], Awaitable[Any]]) -> tuple[Any, Any]:
        """Run `operation` on each side (in-process first); the replies, versions made canonical."""
        replies = []
        for side in self.sides:
            try:
                reply: Any = await operation(side)
            except Exception as exc:  # an error must be the same error on both
                reply = ("raised", type(exc).__name__)  # messages differ in wording
            await side.note_version(hotel_id)
            replies.append(side.canonical(reply))
        return replies[0], replies[1]
