"""A separate process for the two-process resilience tests: Cloudbeds connector + resilience, real Redis.

    python -m tests.integration.resilience_worker --redis URL --base-url URL --calls N
        [--breaker redis|memory] [--rate-limit N/SECONDS] --worker NAME --barrier KEY [--parties 2]

Waits at a Redis barrier until every party is ready, makes N sequential `get_room_types` calls and
prints one JSON line: outcomes by exception name, the vendor-side failures this process saw, and
`admitted_ms`: for each call, the wall-clock millisecond the outbound limiter admitted it at (the very
`now_ms` its Lua script judged), or, without a limiter, the millisecond the call was made.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter

import httpx2
from prometheus_client import REGISTRY

from roomgate.cache.client import create_redis
from roomgate.clock import SYSTEM_CLOCK
from roomgate.pms.cloudbeds import CloudbedsConnector
from roomgate.pms.errors import PMSError
from roomgate.resilience.breaker import CircuitBreaker
from roomgate.resilience.breaker_redis import RedisBreakerStore
from roomgate.resilience.breaker_state import BreakerConfig
from roomgate.resilience.breaker_store import BreakerStore, InMemoryBreakerStore
from roomgate.resilience.connector import ResilientConnector
from roomgate.resilience.ratelimit import OutboundRateLimiter, RateLimit
from roomgate.resilience.retry import RetryPolicy
from tests.fake_keys import cloudbeds_key

HOTEL = "hotel_123"
API_KEY = cloudbeds_key("resilience_test_key")


async def wait_at_barrier(redis: object, key: str, parties: int) -> None:
    await redis.incr(key)  # type: ignore[attr-defined]
    for _ in range(2000):
        if int(await redis.get(key) or 0) >= parties:  # type: ignore[attr-defined]
            return
        await asyncio.sleep(0.005)
    raise SystemExit("barrier timed out")


class RecordingClock:
    """The system clock, remembering the last wall-clock millisecond read (as the limiter rounds it)."""

    last_ms = 0

    def now(self) -> float:
        now = SYSTEM_CLOCK.now()
        self.last_ms = round(now * 1000)
        return now

    def monotonic(self) -> float:
        return SYSTEM_CLOCK.monotonic()

    async def sleep(self, seconds: float) -> None:
        await SYSTEM_CLOCK.sleep(seconds)


def record_admissions(limiter: OutboundRateLimiter, clock: RecordingClock, admitted_ms: list[int]) -> None:
    """Note the `now_ms` of every try that the shared log admitted."""
    try_acquire = limiter.try_acquire

    async def recorded(key: str) -> float:
        wait = await try_acquire(key)
        if wait == 0.0:
            admitted_ms.append(clock.last_ms)
        return wait

    limiter.try_acquire = recorded  # type: ignore[method-assign]


async def main(args: argparse.Namespace) -> None:
    redis = create_redis(args.redis)
    store: BreakerStore = RedisBreakerStore(redis) if args.breaker == "redis" else InMemoryBreakerStore()
    breaker = CircuitBreaker(store, BreakerConfig(), SYSTEM_CLOCK)
    limiter = None
    clock = RecordingClock()
    admitted_ms: list[int] = []
    if args.rate_limit:
        limit, period = args.rate_limit.split("/")
        limiter = OutboundRateLimiter(
            redis, "cloudbeds", RateLimit(int(limit), float(period)), clock=clock, max_wait_seconds=30
        )
        record_admissions(limiter, clock, admitted_ms)
    retry = RetryPolicy(retries=3, base_delay_ms=20, deadline_seconds=10)
    async with httpx2.AsyncClient(headers={"X-Worker": args.worker}) as http:
        inner = CloudbedsConnector(
            hotel_id=HOTEL, api_key=API_KEY, http=http, base_url=f"{args.base_url}/api/v1.3", timeout=5.0
        )
        connector = ResilientConnector(inner, breaker, retry, limiter, SYSTEM_CLOCK, credential=API_KEY)
        await wait_at_barrier(redis, args.barrier, args.parties)
        outcomes: Counter[str] = Counter()
        for _ in range(args.calls):
            if limiter is None:
                admitted_ms.append(round(SYSTEM_CLOCK.now() * 1000))
            try:
                await connector.get_room_types()
                outcomes["ok"] += 1
            except PMSError as error:
                outcomes[type(error).__name__] += 1
    await redis.aclose()
    failures = REGISTRY.get_sample_value(
        "roomgate_pms_request_seconds_count",
        {"vendor": "cloudbeds", "method": "get_room_types", "outcome": "vendor_error"},
    )
    report = {
        "worker": args.worker,
        "outcomes": outcomes,
        "vendor_failures": int(failures or 0),
        "admitted_ms": admitted_ms,
    }
    print(json.dumps(report))  # noqa: T201


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--calls", type=int, required=True)
    parser.add_argument("--breaker", choices=["redis", "memory"], default="redis")
    parser.add_argument("--rate-limit", default="")
    parser.add_argument("--worker", required=True)
    parser.add_argument("--barrier", required=True)
    parser.add_argument("--parties", type=int, default=2)
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse(sys.argv[1:])))
