"""Degraded (read-only) mode, per hotel and global, with its state in Redis so all processes agree.

Sources: an admin (`enable_degraded_mode`), or a hotel's circuit breaker (`follow(breaker)`):
OPEN switches the hotel on, CLOSED switches the breaker's source off again. An admin's switch is
never ended by the breaker; `disable_degraded_mode` (the admin) ends every source of that scope.
Reads are always allowed; writes are refused with the spec's message and `SERVICE_DEGRADED`.
While Redis itself is unreachable writes are refused too (fail closed, reason `REDIS_DOWN_REASON`):
the holds that prevent overbooking live there, so no hold means no sale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

import redis.asyncio as aioredis

from roomgate.cache import scripts
from roomgate.cache.client import REDIS_DOWN
from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.domain.errors import DomainError, ErrorCode, degraded_message
from roomgate.resilience.breaker import CircuitBreaker
from roomgate.resilience.breaker_redis import as_text
from roomgate.resilience.breaker_state import BreakerKey, BreakerState
from roomgate.resilience.metrics import DEGRADED

ADMIN = "admin"
GLOBAL = "global"
_ORDER_PREFIX = "at:"
REDIS_DOWN_REASON = "Redis 연결 불가"

Operation = Literal["read", "write"]


@dataclass(frozen=True, slots=True)
class OperationCheck:
    allowed: bool
    message: str | None = None
    reason: str | None = None
    code: ErrorCode | None = None


def _redis_key(hotel_id: str | None) -> str:
    return "degraded:global" if hotel_id is None else f"degraded:{{{hotel_id}}}"


def _sources(raw: dict[Any, Any]) -> dict[str, dict[str, Any]]:
    """The active sources of one scope's hash, admin first (its reason is the one shown)."""
    fields = {as_text(k): as_text(v) for k, v in raw.items()}
    found = {k: json.loads(v) for k, v in fields.items() if not k.startswith(_ORDER_PREFIX)}
    return dict(sorted(found.items(), key=lambda item: (item[0] != ADMIN, item[0])))


class DegradedModeManager:
    def __init__(self, redis: aioredis.Redis, clock: Clock = SYSTEM_CLOCK) -> None:
        self._redis = redis
        self._clock = clock
        self._mark = scripts.register(redis, "degraded_mark")

    async def enable_degraded_mode(
        self, reason: str, hotel_id: str | None = None, *, source: str = ADMIN
    ) -> None:
        """Refuse writes for one hotel, or everywhere when `hotel_id` is None."""
        entry = json.dumps({"reason": reason, "since": self._clock.now()}, ensure_ascii=False)
        await self._redis.hset(_redis_key(hotel_id), source, entry)
        await self._publish(hotel_id)

    async def disable_degraded_mode(self, hotel_id: str | None = None) -> None:
        """The admin's switch-off: ends every source of the scope (a breaker re-arms on its next opening)."""
        key = _redis_key(hotel_id)
        sources = _sources(await self._redis.hgetall(key))
        if sources:
            await self._redis.hdel(key, *sources)
        await self._publish(hotel_id)

    async def check_operation_allowed(
        self, operation: Operation, hotel_id: str | None = None
    ) -> OperationCheck:
        """Reads always pass; a write is refused while the service or the hotel is degraded."""
        if operation == "read":
            return OperationCheck(allowed=True)
        scopes = (None, hotel_id) if hotel_id is not None else (None,)
        try:  # both scopes in one round trip (not a transaction: in a cluster they live on two slots)
            async with self._redis.pipeline(transaction=False) as pipe:
                for scope in scopes:
                    pipe.hgetall(_redis_key(scope))
                replies = await pipe.execute()
        except REDIS_DOWN:
            reason = REDIS_DOWN_REASON
            return OperationCheck(False, degraded_message(reason), reason, ErrorCode.SERVICE_DEGRADED)
        for reply in replies:  # the whole service first, then the hotel
            sources = _sources(reply)
            if sources:
                reason = str(next(iter(sources.values()))["reason"])
                return OperationCheck(False, degraded_message(reason), reason, ErrorCode.SERVICE_DEGRADED)
        return OperationCheck(allowed=True)

    async def ensure_write_allowed(self, hotel_id: str | None = None) -> None:
        """Raise `DomainError(SERVICE_DEGRADED)` with the spec's message when writes are refused."""
        check = await self.check_operation_allowed("write", hotel_id)
        if not check.allowed:
            raise DomainError(ErrorCode.SERVICE_DEGRADED, check.reason, message=check.message)

    async def status(self) -> dict[str, Any]:
        """`{"global": sources | None, "hotels": {hotelId: sources}}`, only scopes that are degraded."""
        hotels: dict[str, Any] = {}
        async for key in self._redis.scan_iter(match="degraded:{*}", count=500):
            hotel_id = as_text(key)[len("degraded:{") : -1]
            sources = _sources(await self._redis.hgetall(key))
            DEGRADED.labels(hotel=hotel_id).set(1 if sources else 0)
            if sources:
                hotels[hotel_id] = sources
        global_sources = _sources(await self._redis.hgetall(_redis_key(None)))
        DEGRADED.labels(hotel=GLOBAL).set(1 if global_sources else 0)
        return {"global": global_sources or None, "hotels": dict(sorted(hotels.items()))}

    def follow(self, breaker: CircuitBreaker) -> None:
        """Switch hotels on and off as their breakers open and close."""
        breaker.on_state_change(self.on_breaker_change)

    async def on_breaker_change(self, key: BreakerKey, before: BreakerState, after: BreakerState) -> None:
        """Breaker listener: OPEN → degraded (source `breaker:<vendor>`), CLOSED → that source ends."""
        if after is BreakerState.HALF_OPEN:
            return
        value = ""
        if after is BreakerState.OPEN:
            reason = f"PMS API 다운: {key.vendor}"
            value = json.dumps({"reason": reason, "since": self._clock.now()}, ensure_ascii=False)
        token = round(self._clock.now() * 1000)
        await self._mark(keys=[_redis_key(key.hotel_id)], args=[f"breaker:{key.vendor}", token, value])
        await self._publish(key.hotel_id)

    async def _publish(self, hotel_id: str | None) -> None:
        degraded = bool(_sources(await self._redis.hgetall(_redis_key(hotel_id))))
        DEGRADED.labels(hotel=hotel_id or GLOBAL).set(1 if degraded else 0)
