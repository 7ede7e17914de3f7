"""Outbound rate limit per vendor credential, shared by every process through one Redis Lua script.

Algorithm: a sliding-window log (a sorted set of admission times per credential). Unlike GCRA
with a burst allowance, which lets `2·limit − 1` calls into some windows of one period, the log
keeps *every* window of `period` at or under `limit`, which is how vendors count (Cloudbeds 5 per
second per property, Mews 200 per 30 s per access token). It costs at most `limit` small set
members per credential (200 for Mews), which is nothing.

Buckets are keyed by a SHA-256 of the credential, never the credential itself.

While Redis is unreachable each process keeps the same log in memory (`LocalWindow`) and admits up to
the full limit on its own: with N servers the vendor may then see up to N times the limit, and its
429s are honoured by the retry policy like any other. The next call that reaches Redis uses the
shared log again.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import redis.asyncio as aioredis

from roomgate.cache import scripts
from roomgate.cache.client import REDIS_DOWN
from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.pms.errors import PMSRateLimited

if TYPE_CHECKING:
    from roomgate.config import Settings

DEFAULT_MAX_WAIT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class RateLimit:
    limit: int
    period_seconds: float


def vendor_rate_limits(settings: Settings) -> dict[str, RateLimit]:
    """The vendors' documented limits, from settings (`cloudbeds_rate_limit`, `mews_rate_limit`)."""
    return {
        "cloudbeds": RateLimit(settings.cloudbeds_rate_limit, 1.0),
        "mews": RateLimit(settings.mews_rate_limit, 30.0),
    }


class LocalWindow:
    """lua/outbound_rate_limit.lua's sliding-window log, for one process (while Redis is down)."""

    def __init__(self) -> None:
        self._admitted: dict[str, deque[int]] = {}

    def try_acquire(self, key: str, now_ms: int, window_ms: int, limit: int) -> int:
        """0 when admitted (and recorded), else the milliseconds until the oldest admission leaves."""
        log = self._admitted.setdefault(key, deque())
        while log and log[0] <= now_ms - window_ms:
            log.popleft()
        if len(log) < limit:
            log.append(now_ms)
            return 0
        return max(1, log[0] + window_ms - now_ms)


class OutboundRateLimited(PMSRateLimited):
    """We gave up waiting for our own limiter; the vendor was not called (so no breaker failure)."""

    vendor_side = False


class OutboundRateLimiter:
    """One vendor's limit; `acquire(key)` waits (through the clock) for a slot in the key's window."""

    def __init__(
        self,
        redis: aioredis.Redis,
        vendor: str,
        rate: RateLimit,
        *,
        clock: Clock = SYSTEM_CLOCK,
        max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS,
    ) -> None:
        self.vendor = vendor
        self.rate = rate
        self._clock = clock
        self._max_wait = max_wait_seconds
        self._script = scripts.register(redis, "outbound_rate_limit")
        self._local = LocalWindow()

    def key_for(self, credential: str) -> str:
        """The bucket of one credential (API key or access token): a hash, safe to log and store."""
        digest = hashlib.sha256(f"{self.vendor}\0{credential}".encode()).hexdigest()[:32]
        return f"ratelimit:{self.vendor}:{digest}"

    async def try_acquire(self, key: str) -> float:
        """Take a slot now if there is one: 0.0, else the seconds until one frees up."""
        now_ms = round(self._clock.now() * 1000)
        window_ms = int(self.rate.period_seconds * 1000)
        try:
            # Safe to re-send after a broken connection: the member is unique to this call.
            allowed, wait_ms = await self._script(
                keys=[key], args=[now_ms, window_ms, self.rate.limit, uuid.uuid4().hex]
            )
        except REDIS_DOWN:
            return self._local.try_acquire(key, now_ms, window_ms, self.rate.limit) / 1000
        return 0.0 if int(allowed) else int(wait_ms) / 1000

    async def acquire(self, key: str) -> float:
        """Wait for a slot and take it; returns seconds waited. `OutboundRateLimited` past the max wait."""
        waited = 0.0
        while True:
            wait = await self.try_acquire(key)
            if wait == 0.0:
                return waited
            if waited + wait > self._max_wait:
                raise OutboundRateLimited(
                    f"outbound rate limit ({self.rate.limit} per {self.rate.period_seconds:g}s) still full",
                    retry_after=wait,
                    vendor=self.vendor,
                )
            await self._clock.sleep(wait)
            waited += wait


def vendor_limiters(
    redis: aioredis.Redis, settings: Settings, *, clock: Clock = SYSTEM_CLOCK
) -> dict[str, OutboundRateLimiter]:
    """One limiter per known vendor, keyed by vendor name."""
    return {
        vendor: OutboundRateLimiter(redis, vendor, rate, clock=clock)
        for vendor, rate in vendor_rate_limits(settings).items()
    }
