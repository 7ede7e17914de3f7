"""Retry: counts, backoff spacing with jitter bounds, Retry-After, deadline, what is never retried."""

from __future__ import annotations

import random

import pytest

from roomgate.clock import FakeClock
from roomgate.config import load_settings
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
from roomgate.resilience.breaker import BreakerBusy
from roomgate.resilience.retry import RetryPolicy

POLICY = RetryPolicy()  # the spec's numbers: 3 retries, 500 ms base, 8 s deadline, +0..25 % jitter
BOUNDS = [(0.5, 0.625), (1.0, 1.25), (2.0, 2.5)]


class Flaky:
    """Fails with the given errors in turn, then answers."""

    def __init__(self, *errors: BaseException, clock: FakeClock | None = None, takes: float = 0.0) -> None:
        self.errors = list(errors)
        self.calls = 0
        self._clock = clock
        self._takes = takes

    async def __call__(self) -> str:
        self.calls += 1
        if self._clock is not None:
            self._clock.advance(self._takes)
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def transient() -> PMSError:
    return PMSTransientError("HTTP 503", status=503)


@pytest.mark.parametrize("seed", range(20))
async def test_three_retries_spaced_500_1000_2000_ms_plus_jitter(seed: int) -> None:
    # given a vendor that never recovers
    clock = FakeClock()
    operation = Flaky(*[transient() for _ in range(10)])
    # when
    with pytest.raises(PMSTransientError):
        await POLICY.run(operation, clock=clock, rng=random.Random(seed))
    # then one call plus three retries, each wait within its bounds
    assert operation.calls == 4
    assert len(clock.sleeps) == 3
    for slept, (low, high) in zip(clock.sleeps, BOUNDS, strict=True):
        assert low <= slept <= high


async def test_jitter_actually_varies_the_waits() -> None:
    # given / when many first waits
    rng = random.Random(7)
    waits = {round(POLICY.backoff_seconds(0, rng), 6) for _ in range(50)}
    # then they are spread, not one fixed value
    assert len(waits) > 40
    assert min(waits) >= 0.5 and max(waits) <= 0.625


async def test_success_after_transient_failures_returns_the_answer() -> None:
    # given
    clock = FakeClock()
    operation = Flaky(PMSTimeout("t"), transient())
    # when
    result = await POLICY.run(operation, clock=clock, rng=random.Random(1))
    # then
    assert result == "done"
    assert operation.calls == 3
    assert len(clock.sleeps) == 2


async def test_retry_after_is_honoured() -> None:
    # given a 429 asking for 3 s, longer than the 500 ms backoff
    clock = FakeClock()
    operation = Flaky(PMSRateLimited("429", retry_after=3.0))
    # when
    assert await POLICY.run(operation, clock=clock, rng=random.Random(1)) == "done"
    # then
    assert clock.sleeps == [3.0]


async def test_a_short_retry_after_does_not_shorten_the_backoff() -> None:
    # given
    clock = FakeClock()
    operation = Flaky(PMSRateLimited("429", retry_after=0.0))
    # when
    await POLICY.run(operation, clock=clock, rng=random.Random(1))
    # then
    assert 0.5 <= clock.sleeps[0] <= 0.625


async def test_a_retry_after_beyond_the_deadline_gives_up_at_once() -> None:
    # given
    clock = FakeClock()
    operation = Flaky(PMSRateLimited("429", retry_after=30.0))
    # when / then
    with pytest.raises(PMSRateLimited):
        await POLICY.run(operation, clock=clock)
    assert operation.calls == 1 and clock.sleeps == []


async def test_the_deadline_counts_the_calls_too() -> None:
    # given calls that each take 2 s, under an 8 s deadline
    clock = FakeClock()
    operation = Flaky(*[PMSTimeout("t") for _ in range(10)], clock=clock, takes=2.0)
    started = clock.monotonic()
    # when
    with pytest.raises(PMSTimeout):
        await POLICY.run(operation, clock=clock, rng=random.Random(3))
    # then 2 s + ~0.5 + 2 s + ~1 + 2 s = ~7.5 s; a third wait (2 s) would end past 8 s
    assert operation.calls == 3
    assert clock.monotonic() - started <= POLICY.deadline_seconds


async def test_a_short_deadline_cuts_the_retries() -> None:
    # given a 1.2 s deadline: 0.5 s fits, 0.5 + 1.0 does not
    clock = FakeClock()
    policy = RetryPolicy(deadline_seconds=1.2)
    operation = Flaky(*[transient() for _ in range(10)])
    # when
    with pytest.raises(PMSTransientError):
        await policy.run(operation, clock=clock, rng=random.Random(1))
    # then
    assert operation.calls == 2
    assert len(clock.sleeps) == 1


@pytest.mark.parametrize(
    "error",
    [
        PMSSoldOut("s"),
        PMSBadRequest("b"),
        PMSNotFound("n"),
        PMSAuthenticationError("a"),
        PMSUnavailable("open"),
        ValueError("bug"),
    ],
    ids=["sold-out", "bad-request", "not-found", "auth", "breaker-open", "not-a-pms-error"],
)
async def test_errors_not_marked_retryable_are_raised_at_once(error: BaseException) -> None:
    # given
    clock = FakeClock()
    operation = Flaky(error)
    # when / then
    with pytest.raises(type(error)):
        await POLICY.run(operation, clock=clock)
    assert operation.calls == 1 and clock.sleeps == []


async def test_an_open_breaker_is_never_retried_even_if_marked_retryable() -> None:
    # given a (mis)configured subclass claiming to be retryable
    class RetryableUnavailable(PMSUnavailable):
        retryable = True

    operation = Flaky(RetryableUnavailable("open"))
    # when / then
    with pytest.raises(PMSUnavailable):
        await POLICY.run(operation, clock=FakeClock())
    assert operation.calls == 1


async def test_a_busy_breaker_is_retried() -> None:
    # given
    operation = Flaky(BreakerBusy("waiting"))
    # when / then
    assert await POLICY.run(operation, clock=FakeClock(), rng=random.Random(1)) == "done"
    assert operation.calls == 2


async def test_zero_retries_means_one_call() -> None:
    # given
    operation = Flaky(transient())
    # when / then
    with pytest.raises(PMSTransientError):
        await RetryPolicy(retries=0).run(operation, clock=FakeClock())
    assert operation.calls == 1


def test_policy_from_settings() -> None:
    # given
    settings = load_settings(retry_attempts=2, retry_base_delay_ms=100, retry_deadline_seconds=3)
    # when
    policy = RetryPolicy.from_settings(settings)
    # then
    assert (policy.retries, policy.base_delay_ms, policy.deadline_seconds) == (2, 100, 3.0)
