"""The outbound rate-limit Lua script on fakeredis and real Redis, with an injected clock."""

from __future__ import annotations

import random
from typing import Any

import pytest

from roomgate.clock import FakeClock
from roomgate.config import load_settings
from roomgate.pms.errors import PMSRateLimited
from roomgate.resilience.ratelimit import (
    OutboundRateLimited,
    OutboundRateLimiter,
    RateLimit,
    vendor_limiters,
    vendor_rate_limits,
)
from tests.conftest import second_client
from tests.fake_keys import cloudbeds_key

CLOUDBEDS = RateLimit(5, 1.0)


def limiter(redis: Any, clock: FakeClock, rate: RateLimit = CLOUDBEDS, **kw: Any) -> OutboundRateLimiter:
    return OutboundRateLimiter(redis, "cloudbeds", rate, clock=clock, **kw)


async def test_five_per_second_then_the_sixth_waits_for_the_oldest(any_redis: Any) -> None:
    # given
    clock = FakeClock()
    subject = limiter(any_redis, clock)
    key = subject.key_for(cloudbeds_key("property_key"))
    # when five calls at 0 ms, 100 ms, ... 400 ms
    for _ in range(5):
        assert await subject.acquire(key) == 0.0
        clock.advance(0.1)
    waited = await subject.acquire(key)
    # then the sixth waited until the first left the window (at 1000 ms)
    assert waited == pytest.approx(0.5)
    assert clock.sleeps == [pytest.approx(0.5)]


async def test_no_window_ever_holds_more_than_the_limit(any_redis: Any) -> None:
    # given bursts of callers at random moments
    clock = FakeClock()
    subject = limiter(any_redis, clock, max_wait_seconds=60)
    key = subject.key_for("k")
    rng = random.Random(11)
    admitted: list[float] = []
    # when
    for _ in range(60):
        clock.advance(rng.choice([0.0, 0.0, 0.05, 0.3, 0.9]))
        await subject.acquire(key)
        admitted.append(clock.now())
    # then every one-second window [t, t+1) holds at most five admissions
    busiest = max(sum(1 for t in admitted if start <= t < start + 1.0) for start in admitted)
    assert busiest == 5


async def test_past_the_max_wait_it_raises_without_waiting(any_redis: Any) -> None:
    # given a full 200-per-30-s bucket
    clock = FakeClock()
    subject = limiter(any_redis, clock, RateLimit(200, 30.0), max_wait_seconds=5)
    key = subject.key_for("mews-access-token")
    for _ in range(200):
        await subject.acquire(key)
    # when / then
    with pytest.raises(OutboundRateLimited) as refused:
        await subject.acquire(key)
    assert isinstance(refused.value, PMSRateLimited)
    assert refused.value.retry_after == pytest.approx(30.0)
    assert not refused.value.vendor_side  # our own refusal: the breaker must not count it
    assert clock.sleeps == []


async def test_buckets_are_per_credential_and_named_by_a_hash(any_redis: Any) -> None:
    # given
    clock = FakeClock()
    subject = limiter(any_redis, clock, RateLimit(1, 1.0), max_wait_seconds=0)
    secret = cloudbeds_key("SECRET_do_not_store")
    first, second = subject.key_for(secret), subject.key_for(cloudbeds_key("other_property"))
    # when
    await subject.acquire(first)
    await subject.acquire(second)
    # then each credential has its own bucket, and no key contains the credential
    with pytest.raises(OutboundRateLimited):
        await subject.acquire(first)
    keys = [key async for key in any_redis.scan_iter(match="ratelimit:*")]
    assert sorted(keys) == sorted([first, second])
    assert all(secret not in key and "SECRET" not in key for key in keys)


async def test_two_connections_share_one_bucket(any_redis: Any) -> None:
    # given two limiters on two connections, as two processes would have
    clock = FakeClock()
    other = second_client(any_redis)
    try:
        one, two = limiter(any_redis, clock, max_wait_seconds=0), limiter(other, clock, max_wait_seconds=0)
        key = one.key_for("shared")
        # when three calls go through one and two through the other
        for subject in (one, one, one, two, two):
            await subject.acquire(key)
        # then the sixth is refused by either
        with pytest.raises(OutboundRateLimited):
            await two.acquire(key)
        with pytest.raises(OutboundRateLimited):
            await one.acquire(key)
    finally:
        await other.aclose()


async def test_limits_come_from_settings(any_redis: Any) -> None:
    # given
    settings = load_settings(cloudbeds_rate_limit=4, mews_rate_limit=150)
    # when
    limits = vendor_rate_limits(settings)
    limiters = vendor_limiters(any_redis, settings, clock=FakeClock())
    # then
    assert limits == {"cloudbeds": RateLimit(4, 1.0), "mews": RateLimit(150, 30.0)}
    assert limiters["mews"].rate == RateLimit(150, 30.0)
