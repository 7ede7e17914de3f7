"""Circuit breaker transitions, outcome classification, listeners and metrics (in-memory store)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from prometheus_client import REGISTRY

from roomgate.clock import FakeClock
from roomgate.pms.errors import (
    PMSAuthenticationError,
    PMSBadRequest,
    PMSError,
    PMSNotFound,
    PMSRateLimited,
    PMSSoldOut,
    PMSTimeout,
    PMSTransientError,
    PMSUnavailable,
)
from roomgate.resilience.breaker import BreakerBusy, CircuitBreaker
from roomgate.resilience.breaker_state import BreakerConfig, BreakerKey, BreakerState, Op
from roomgate.resilience.breaker_store import InMemoryBreakerStore

KEY = BreakerKey("cloudbeds", "hotel_123")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def breaker(clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker(InMemoryBreakerStore(), BreakerConfig(), clock)


def raising(error: BaseException) -> Callable[[], Awaitable[None]]:
    async def operation() -> None:
        raise error

    return operation


async def ok() -> str:
    return "ok"


async def fail(breaker: CircuitBreaker, key: BreakerKey = KEY, error: PMSError | None = None) -> None:
    error = error or PMSTransientError("HTTP 500", status=500)
    with pytest.raises(type(error)):
        await breaker.call(key, raising(error))


async def open_breaker(breaker: CircuitBreaker, key: BreakerKey = KEY) -> None:
    for _ in range(5):
        await fail(breaker, key)
    assert await breaker.state(key) is BreakerState.OPEN


async def test_five_consecutive_vendor_failures_open_it_and_then_no_call_is_made(
    breaker: CircuitBreaker,
) -> None:
    # given four failures: still closed
    for _ in range(4):
        await fail(breaker)
    assert await breaker.state(KEY) is BreakerState.CLOSED
    # when the fifth fails
    await fail(breaker)
    # then it is open and refuses without running the operation
    assert await breaker.state(KEY) is BreakerState.OPEN
    calls = 0

    async def counted() -> None:
        nonlocal calls
        calls += 1

    with pytest.raises(PMSUnavailable) as refused:
        await breaker.call(KEY, counted)
    assert calls == 0
    assert refused.value.vendor == "cloudbeds" and refused.value.hotel_id == "hotel_123"


@pytest.mark.parametrize(
    "error",
    [PMSTimeout("t"), PMSTransientError("502", status=502), PMSRateLimited("429", retry_after=1.0)],
    ids=["timeout", "5xx", "429"],
)
async def test_each_vendor_side_failure_counts(breaker: CircuitBreaker, error: PMSError) -> None:
    # given / when five failures of this kind
    for _ in range(5):
        await fail(breaker, error=error)
    # then
    assert await breaker.state(KEY) is BreakerState.OPEN


@pytest.mark.parametrize(
    "error",
    [PMSSoldOut("sold out"), PMSBadRequest("bad"), PMSNotFound("nf"), PMSAuthenticationError("revoked key")],
    ids=["sold-out", "bad-request", "not-found", "auth"],
)
async def test_answers_from_a_working_vendor_never_open_it(breaker: CircuitBreaker, error: PMSError) -> None:
    # given four real failures
    for _ in range(4):
        await fail(breaker)
    # when the vendor answers with a business or client error, many times
    for _ in range(10):
        await fail(breaker, error=error)
    # then it stays closed: the answer proved the vendor is up, so the failure streak is over
    assert await breaker.state(KEY) is BreakerState.CLOSED
    assert (await breaker.status(KEY)).failures == 0


async def test_a_success_resets_the_streak(breaker: CircuitBreaker) -> None:
    # given
    for _ in range(4):
        await fail(breaker)
    # when
    assert await breaker.call(KEY, ok) == "ok"
    for _ in range(4):
        await fail(breaker)
    # then 8 failures, never 5 in a row
    assert await breaker.state(KEY) is BreakerState.CLOSED


async def test_open_lasts_sixty_seconds_then_half_open(breaker: CircuitBreaker, clock: FakeClock) -> None:
    # given
    await open_breaker(breaker)
    status = await breaker.status(KEY)
    assert status.retry_at == pytest.approx(clock.now() + 60)
    # when / then
    clock.advance(59.999)
    assert await breaker.state(KEY) is BreakerState.OPEN
    with pytest.raises(PMSUnavailable):
        await breaker.call(KEY, ok)
    clock.advance(0.001)
    assert await breaker.state(KEY) is BreakerState.HALF_OPEN


async def test_half_open_needs_two_successes_to_close(breaker: CircuitBreaker, clock: FakeClock) -> None:
    # given
    await open_breaker(breaker)
    clock.advance(60)
    # when / then
    assert await breaker.call(KEY, ok) == "ok"
    assert await breaker.state(KEY) is BreakerState.HALF_OPEN
    assert await breaker.call(KEY, ok) == "ok"
    assert await breaker.state(KEY) is BreakerState.CLOSED


async def test_a_failed_probe_reopens_for_another_full_period(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    # given
    await open_breaker(breaker)
    clock.advance(60)
    await breaker.call(KEY, ok)
    # when
    await fail(breaker)
    # then
    assert await breaker.state(KEY) is BreakerState.OPEN
    clock.advance(59)
    assert await breaker.state(KEY) is BreakerState.OPEN
    clock.advance(1)
    assert await breaker.state(KEY) is BreakerState.HALF_OPEN


async def test_half_open_admits_one_probe_at_a_time(breaker: CircuitBreaker, clock: FakeClock) -> None:
    # given a probe in flight
    await open_breaker(breaker)
    clock.advance(60)
    release = asyncio.Event()

    async def slow_probe() -> str:
        await release.wait()
        return "probe"

    probe = asyncio.create_task(breaker.call(KEY, slow_probe))
    await asyncio.sleep(0)
    # when a second call arrives
    with pytest.raises(PMSUnavailable):
        await breaker.call(KEY, ok)
    # then once the probe is back, the next probe is admitted
    release.set()
    assert await probe == "probe"
    assert await breaker.call(KEY, ok) == "ok"
    assert await breaker.state(KEY) is BreakerState.CLOSED


async def test_an_outcome_from_an_older_generation_is_ignored(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    # given a call admitted while closed that outlives the lost-call time (30 s) ...
    release = asyncio.Event()

    async def slow() -> str:
        await release.wait()
        return "late"

    late = asyncio.create_task(breaker.call(KEY, slow))
    await asyncio.sleep(0)
    clock.advance(30)
    # ... while the breaker opens and becomes half-open
    await open_breaker(breaker)
    clock.advance(60)
    # when the old call finally succeeds, and one real probe succeeds
    release.set()
    assert await late == "late"
    await breaker.call(KEY, ok)
    # then only the probe counted: one success of the two needed
    assert await breaker.state(KEY) is BreakerState.HALF_OPEN


async def test_failure_budget_refuses_calls_that_could_overshoot_the_threshold(
    breaker: CircuitBreaker,
) -> None:
    # given four failures and one call in flight: the fifth outcome is already on its way
    for _ in range(4):
        await fail(breaker)
    release = asyncio.Event()

    async def in_flight() -> None:
        await release.wait()
        raise PMSTransientError("HTTP 500", status=500)

    pending = asyncio.create_task(breaker.call(KEY, in_flight))
    await asyncio.sleep(0)
    # when another call arrives
    calls = 0

    async def counted() -> None:
        nonlocal calls
        calls += 1

    with pytest.raises(BreakerBusy) as busy:
        await breaker.call(KEY, counted)
    # then it was refused without a vendor call, retryably, and the in-flight failure opens the breaker
    assert calls == 0 and busy.value.retryable and not busy.value.vendor_side
    release.set()
    with pytest.raises(PMSTransientError):
        await pending
    assert await breaker.state(KEY) is BreakerState.OPEN


async def test_calls_are_not_limited_while_no_failure_has_been_seen(breaker: CircuitBreaker) -> None:
    # given many calls in flight on a healthy vendor
    release = asyncio.Event()

    async def slow() -> str:
        await release.wait()
        return "ok"

    tasks = [asyncio.create_task(breaker.call(KEY, slow)) for _ in range(20)]
    await asyncio.sleep(0)
    # when one more call arrives
    result = await breaker.call(KEY, ok)
    # then it runs: the budget applies only after a failure
    release.set()
    assert result == "ok" and await asyncio.gather(*tasks) == ["ok"] * 20


async def test_a_call_that_never_reports_is_forgotten(clock: FakeClock) -> None:
    # given a half-open breaker whose probe's process died (admitted, never settled)
    config = BreakerConfig(lost_call_ms=20_000)
    store = InMemoryBreakerStore()
    breaker = CircuitBreaker(store, config, clock)
    await open_breaker(breaker)
    clock.advance(60)
    await store.apply(KEY, Op.ADMIT, 0, int(clock.now() * 1000), config)
    with pytest.raises(PMSUnavailable):
        await breaker.call(KEY, ok)
    # when the lost-call time has passed
    clock.advance(20)
    # then a new probe is admitted
    assert await breaker.call(KEY, ok) == "ok"


async def test_non_vendor_exceptions_and_refusals_before_the_call_count_for_nothing(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    # given a half-open breaker (one probe slot)
    await open_breaker(breaker)
    clock.advance(60)
    # when a probe dies of a bug, and another is refused by `before` (e.g. the rate limiter)
    with pytest.raises(RuntimeError):
        await breaker.call(KEY, raising(RuntimeError("bug")))
    with pytest.raises(PMSRateLimited):
        await breaker.call(KEY, ok, before=raising(PMSRateLimited("local limit")))
    # then both released the slot without counting: still half-open, and two real successes close it
    assert await breaker.state(KEY) is BreakerState.HALF_OPEN
    await breaker.call(KEY, ok)
    await breaker.call(KEY, ok)
    assert await breaker.state(KEY) is BreakerState.CLOSED


async def test_keys_are_independent(breaker: CircuitBreaker) -> None:
    # given
    other = BreakerKey("cloudbeds", "hotel_456")
    # when
    await open_breaker(breaker)
    # then
    assert await breaker.state(other) is BreakerState.CLOSED
    assert await breaker.call(other, ok) == "ok"


async def test_listeners_see_every_transition_and_a_failing_one_is_skipped(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    # given
    seen: list[tuple[str, str, str]] = []

    async def broken(key: BreakerKey, before: BreakerState, after: BreakerState) -> None:
        raise RuntimeError("listener bug")

    async def record(key: BreakerKey, before: BreakerState, after: BreakerState) -> None:
        seen.append((key.hotel_id, before.value, after.value))

    breaker.on_state_change(broken)
    breaker.on_state_change(record)
    # when a full cycle runs
    await open_breaker(breaker)
    clock.advance(60)
    await breaker.call(KEY, ok)
    await breaker.call(KEY, ok)
    # then
    assert seen == [
        ("hotel_123", "CLOSED", "OPEN"),
        ("hotel_123", "OPEN", "HALF_OPEN"),
        ("hotel_123", "HALF_OPEN", "CLOSED"),
    ]


def _sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def test_metrics_follow_the_state(breaker: CircuitBreaker, clock: FakeClock, unique_id: str) -> None:
    # given a hotel no other test touched
    key = BreakerKey("cloudbeds", f"metrics_{unique_id}")
    labels = {"vendor": "cloudbeds", "hotel": key.hotel_id}
    await breaker.call(key, ok)
    assert _sample("roomgate_breaker_state", **labels) == 0
    # when / then
    await open_breaker(breaker, key)
    assert _sample("roomgate_breaker_state", **labels) == 2
    clock.advance(60)
    await breaker.call(key, ok)
    assert _sample("roomgate_breaker_state", **labels) == 1
    opened = {**labels, "from_state": "CLOSED", "to_state": "OPEN"}
    assert _sample("roomgate_breaker_transitions_total", **opened) == 1


async def test_all_states_lists_every_breaker(breaker: CircuitBreaker, clock: FakeClock) -> None:
    # given
    other = BreakerKey("mews", "hotel_9")
    await breaker.call(other, ok)
    await open_breaker(breaker)
    # when
    statuses = await breaker.all_states()
    # then
    assert [(s.hotel_id, s.vendor, s.state) for s in statuses] == [
        ("hotel_123", "cloudbeds", BreakerState.OPEN),
        ("hotel_9", "mews", BreakerState.CLOSED),
    ]
    assert statuses[0].as_dict() == {
        "vendor": "cloudbeds",
        "hotelId": "hotel_123",
        "state": "OPEN",
        "failures": 0,
        "openedAt": clock.now(),
        "retryAt": clock.now() + 60,
    }


def test_redis_key_carries_the_hotel_hash_tag() -> None:
    # given / when
    key = BreakerKey("cloudbeds", "hotel_123")
    # then
    assert key.redis_key == "breaker:{hotel_123}:cloudbeds"
    assert BreakerKey.from_redis_key(key.redis_key) == key
    assert BreakerKey.from_redis_key("inv:{hotel_123}:room") is None


def test_config_from_settings() -> None:
    # given
    from roomgate.config import load_settings

    settings = load_settings(
        breaker_failure_threshold=3, breaker_open_seconds=30, breaker_success_threshold=1
    )
    # when
    config = BreakerConfig.from_settings(settings)
    # then
    assert (config.failure_threshold, config.open_ms, config.success_threshold) == (3, 30_000, 1)
