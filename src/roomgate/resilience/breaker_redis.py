"""Breaker state in Redis: every operation is one Lua script, so all processes share one breaker."""

from __future__ import annotations

import redis.asyncio as aioredis

from roomgate.cache import scripts
from roomgate.resilience.breaker_state import BreakerConfig, BreakerKey, BreakerState, Decision, Op, Snapshot

# A breaker untouched for a day is forgotten (CLOSED with no history), never while it is open.
MIN_KEY_TTL_MS = 86_400_000


class RedisBreakerStore:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
        # Not idempotent (counts failures, successes, calls in flight): never re-sent.
        self._script = scripts.register_once(redis, "breaker")

    async def apply(
        self, key: BreakerKey, op: Op, generation: int, now_ms: int, config: BreakerConfig
    ) -> Decision:
        ttl_ms = max(MIN_KEY_TTL_MS, 2 * (config.open_ms + config.lost_call_ms))
        args = [
            op.value,
            generation,
            now_ms,
            config.failure_threshold,
            config.success_threshold,
            config.open_ms,
            config.half_open_probes,
            config.lost_call_ms,
            ttl_ms,
        ]
        allowed, new_generation, before, after, retry_after = await self._script(
            keys=[key.redis_key], args=args
        )
        return Decision(
            allowed=bool(int(allowed)),
            generation=int(new_generation),
            before=BreakerState(as_text(before)),
            after=BreakerState(as_text(after)),
            retry_after_ms=int(retry_after),
        )

    async def snapshot(self, key: BreakerKey) -> Snapshot | None:
        raw = await self._redis.hgetall(key.redis_key)
        if not raw:
            return None
        fields = {as_text(k): as_text(v) for k, v in raw.items()}
        return Snapshot(
            state=BreakerState(fields.get("state", "CLOSED")),
            failures=int(fields.get("failures", 0)),
            successes=int(fields.get("successes", 0)),
            in_flight=int(fields.get("in_flight", 0)),
            opened_at_ms=int(fields.get("opened_at", 0)),
            deadline_ms=int(fields.get("deadline", 0)),
            generation=int(fields.get("generation", 0)),
        )

    async def keys(self) -> list[BreakerKey]:
        found = []
        async for raw in self._redis.scan_iter(match="breaker:*", count=500):
            key = BreakerKey.from_redis_key(as_text(raw))
            if key is not None:
                found.append(key)
        return found


def as_text(value: str | bytes) -> str:
    """A Redis reply as text, whether or not the client decodes responses."""
    return value.decode() if isinstance(value, bytes) else str(value)
