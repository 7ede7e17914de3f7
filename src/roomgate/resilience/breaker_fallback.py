"""Breaker state while Redis is unreachable: each process falls back to its own in-memory breakers.

The shared breaker lives in Redis (breaker_redis.py). When a breaker operation cannot reach Redis,
the same operation runs on this process's `InMemoryBreakerStore` instead, so a PMS call is still
guarded (a dead PMS still opens the breaker, per process) and Redis trouble never turns into a
vendor-call failure. The next operation that reaches Redis uses the shared state again; the two
never merge (an outcome reported to the other store carries a generation it does not know and is
ignored, see breaker_state.py). Degraded-mode followers of a transition made here fail to write
to Redis too; the breaker logs that and goes on.
"""

from __future__ import annotations

import structlog

from roomgate.cache.client import REDIS_DOWN
from roomgate.resilience.breaker_state import BreakerConfig, BreakerKey, Decision, Op, Snapshot
from roomgate.resilience.breaker_store import BreakerStore, InMemoryBreakerStore

log = structlog.get_logger(__name__)


class FallbackBreakerStore:
    """`primary` (Redis) first; on a Redis connection error or timeout, `fallback` (this process)."""

    def __init__(self, primary: BreakerStore, fallback: BreakerStore | None = None) -> None:
        self.primary = primary
        self.fallback = fallback or InMemoryBreakerStore()
        self.using_fallback = False

    async def apply(
        self, key: BreakerKey, op: Op, generation: int, now_ms: int, config: BreakerConfig
    ) -> Decision:
        try:
            decision = await self.primary.apply(key, op, generation, now_ms, config)
        except REDIS_DOWN as exc:
            self._switch(True, exc)
            return await self.fallback.apply(key, op, generation, now_ms, config)
        self._switch(False)
        return decision

    async def snapshot(self, key: BreakerKey) -> Snapshot | None:
        try:
            return await self.primary.snapshot(key)
        except REDIS_DOWN as exc:
            self._switch(True, exc)
            return await self.fallback.snapshot(key)

    async def keys(self) -> list[BreakerKey]:
        try:
            return await self.primary.keys()
        except REDIS_DOWN as exc:
            self._switch(True, exc)
            return await self.fallback.keys()

    def _switch(self, down: bool, error: BaseException | None = None) -> None:
        if down == self.using_fallback:
            return
        self.using_fallback = down
        if down:
            log.warning("breaker_store_fallback", store="in-process", error=type(error).__name__)
        else:
            log.warning("breaker_store_restored", store="redis")
