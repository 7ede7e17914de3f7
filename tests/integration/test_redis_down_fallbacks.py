"""Breaker, rate limit and write gate while Redis is unreachable (a client on a port nobody listens on).

The breaker and the outbound rate limit keep guarding PMS calls on per-process state; the write gate
fails closed. Negative controls: the Redis-only breaker store turns the same situation into a Redis
error instead of a guarded vendor call.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from roomgate.cache.client import create_redis
from roomgate.clock import FakeClock
from roomgate.domain.errors import ErrorCode
from roomgate.payments.base import PaymentProviderError
from roomgate.payments.sandbox_store import SandboxStore
from roomgate.payments.toss_claims import TossClaims
from roomgate.pms.errors import PMSTransientError, PMSUnavailable
from roomgate.resilience.breaker import CircuitBreaker
from roomgate.resilience.breaker_fallback import FallbackBreakerStore
from roomgate.resilience.breaker_redis import RedisBreakerStore
from roomgate.resilience.breaker_state import BreakerConfig, BreakerKey, BreakerState
from roomgate.resilience.degraded import REDIS_DOWN_REASON, DegradedModeManager
from roomgate.resilience.ratelimit import LocalWindow, OutboundRateLimiter, RateLimit
from tests.fake_keys import cloudbeds_key

KEY = BreakerKey("cloudbeds", "hotel_123")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends: nobody listens


@pytest.fixture
async def dead_redis() -> AsyncIterator[aioredis.Redis]:
    client = create_redis(f"redis://127.0.0.1:{_closed_port()}/0")
    yield client
    await client.aclose()


async def _fail() -> None:
    raise PMSTransientError("PMS 503", vendor="cloudbeds", hotel_id="hotel_123")


async def test_while_redis_is_down_a_dead_pms_still_opens_the_breaker(dead_redis: aioredis.Redis) -> None:
    # given the app's breaker store over a Redis nobody answers
    store = FallbackBreakerStore(RedisBreakerStore(dead_redis))
    breaker = CircuitBreaker(store, BreakerConfig(failure_threshold=3), FakeClock())
    calls = 0

    async def dead_pms() -> None:
        nonlocal calls
        calls += 1
        await _fail()

    # when a dead PMS is called five times
    outcomes = []
    for _ in range(5):
        try:
            await breaker.call(KEY, dead_pms)
        except (PMSTransientError, PMSUnavailable) as exc:
            outcomes.append(type(exc).__name__)
    # then three calls reached the vendor, then the (per-process) breaker refused the rest
    assert calls == 3
    assert outcomes == ["PMSTransientError"] * 3 + ["PMSUnavailable"] * 2
    assert store.using_fallback
    assert (await breaker.status(KEY)).state is BreakerState.OPEN


async def test_negative_control_the_redis_only_store_fails_the_call_with_a_redis_error(
    dead_redis: aioredis.Redis,
) -> None:
    breaker = CircuitBreaker(RedisBreakerStore(dead_redis), BreakerConfig(), FakeClock())
    with pytest.raises(RedisConnectionError):
        await breaker.call(KEY, _fail)


async def test_the_breaker_uses_the_shared_store_again_once_redis_answers(real_redis: aioredis.Redis) -> None:
    # given the fallback store was in use
    store = FallbackBreakerStore(RedisBreakerStore(real_redis))
    store.using_fallback = True
    breaker = CircuitBreaker(store, BreakerConfig(), FakeClock())

    async def ok() -> str:
        return "ok"

    # when Redis answers the next operation
    assert await breaker.call(KEY, ok) == "ok"
    # then the shared breaker in Redis recorded it
    assert not store.using_fallback
    assert await real_redis.exists(KEY.redis_key) == 1


async def test_while_redis_is_down_the_rate_limit_is_kept_per_process(dead_redis: aioredis.Redis) -> None:
    # given a limit of 2 per second and a Redis nobody answers
    clock = FakeClock()
    limiter = OutboundRateLimiter(dead_redis, "cloudbeds", RateLimit(2, 1.0), clock=clock)
    bucket = limiter.key_for(cloudbeds_key("key"))
    # when / then two calls pass, the third waits for the oldest to leave the window
    assert await limiter.try_acquire(bucket) == 0.0
    assert await limiter.try_acquire(bucket) == 0.0
    clock.advance(0.25)
    assert await limiter.try_acquire(bucket) == pytest.approx(0.75)
    clock.advance(0.75)
    assert await limiter.try_acquire(bucket) == 0.0


def test_the_local_window_is_the_lua_sliding_log() -> None:
    window = LocalWindow()
    assert [window.try_acquire("k", now, 1000, 2) for now in (0, 10, 20)] == [0, 0, 980]
    assert window.try_acquire("other", 20, 1000, 2) == 0  # buckets are separate
    assert window.try_acquire("k", 1000, 1000, 2) == 0  # the first admission left the window
    assert window.try_acquire("k", 1001, 1000, 2) == 9  # the second leaves at 1010


async def test_while_redis_is_down_writes_are_refused_in_the_spec_shape(dead_redis: aioredis.Redis) -> None:
    degraded = DegradedModeManager(dead_redis)
    # reads never need Redis to be allowed
    assert (await degraded.check_operation_allowed("read", "hotel_123")).allowed
    # writes fail closed
    check = await degraded.check_operation_allowed("write", "hotel_123")
    assert not check.allowed
    assert check.code is ErrorCode.SERVICE_DEGRADED
    assert check.reason == REDIS_DOWN_REASON
    assert check.message == f"Degraded Mode: 현재 예약이 불가능합니다. ({REDIS_DOWN_REASON})"


async def test_while_redis_is_down_payment_stores_answer_like_an_unreachable_provider(
    dead_redis: aioredis.Redis,
) -> None:
    # the sandbox's payments and Toss's claims live in Redis: the saga sees a retryable provider
    # error (compensated or left to recovery), never a bare Redis error that would escape the saga
    with pytest.raises(PaymentProviderError) as sandbox:
        await SandboxStore(dead_redis).load("pay_1")
    with pytest.raises(PaymentProviderError) as toss:
        await TossClaims(dead_redis).bind("tpk_1", "bk_1")
    assert sandbox.value.retryable and toss.value.retryable
