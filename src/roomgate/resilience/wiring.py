"""Wiring: one breaker, retry policy, limiter per vendor and degraded-mode manager for the app."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import redis.asyncio as aioredis

from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.config import Settings
from roomgate.pms.base import PMSConnector
from roomgate.resilience.breaker import CircuitBreaker
from roomgate.resilience.breaker_fallback import FallbackBreakerStore
from roomgate.resilience.breaker_redis import RedisBreakerStore
from roomgate.resilience.breaker_state import BreakerConfig
from roomgate.resilience.connector import ResilientConnector
from roomgate.resilience.degraded import DegradedModeManager
from roomgate.resilience.ratelimit import OutboundRateLimiter, vendor_limiters
from roomgate.resilience.retry import RetryPolicy


@dataclass
class Resilience:
    breaker: CircuitBreaker
    retry: RetryPolicy
    limiters: dict[str, OutboundRateLimiter]
    degraded: DegradedModeManager
    clock: Clock = SYSTEM_CLOCK
    rng: random.Random = field(default_factory=random.Random)

    @classmethod
    def create(cls, settings: Settings, redis: aioredis.Redis, clock: Clock = SYSTEM_CLOCK) -> Resilience:
        """Everything backed by `redis` (in-process or real), with degraded mode following the breaker;
        breaker and rate limits fall back to per-process state while Redis is unreachable."""
        store = FallbackBreakerStore(RedisBreakerStore(redis))
        breaker = CircuitBreaker(store, BreakerConfig.from_settings(settings), clock)
        degraded = DegradedModeManager(redis, clock)
        degraded.follow(breaker)
        return cls(
            breaker=breaker,
            retry=RetryPolicy.from_settings(settings),
            limiters=vendor_limiters(redis, settings, clock=clock),
            degraded=degraded,
            clock=clock,
        )

    def wrap(self, connector: PMSConnector, *, credential: str | None = None) -> ResilientConnector:
        """The connector with breaker, retry and its vendor's rate limit (keyed by `credential`)."""
        return ResilientConnector(
            connector,
            self.breaker,
            self.retry,
            self.limiters.get(connector.vendor),
            self.clock,
            credential=credential,
            rng=self.rng,
        )
