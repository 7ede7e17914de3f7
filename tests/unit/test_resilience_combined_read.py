"""`get_inventory_and_rates` through the resilience wrapper and the port's fallback helper."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import Any

import pytest

from roomgate.cache.client import fresh_in_process_redis
from roomgate.clock import FakeClock
from roomgate.pms.base import ReadsInventoryAndRates, get_inventory_and_rates
from roomgate.pms.errors import PMSTimeout, PMSTransientError, PMSUnavailable
from roomgate.pms.types import NightInventory, NightRate
from roomgate.resilience.breaker import CircuitBreaker
from roomgate.resilience.breaker_state import BreakerConfig, BreakerKey, BreakerState
from roomgate.resilience.breaker_store import InMemoryBreakerStore
from roomgate.resilience.connector import ResilientConnector
from roomgate.resilience.ratelimit import OutboundRateLimiter, RateLimit
from roomgate.resilience.retry import RetryPolicy
from tests.unit.resilience_fakes import FakeConnector

NIGHT, NEXT = date(2026, 3, 1), date(2026, 3, 2)


class CombinedConnector(FakeConnector):
    """A fake vendor whose combined read sends `requests` HTTP requests (Mews: 2, Cloudbeds: 1)."""

    def __init__(self, requests: int = 1) -> None:
        super().__init__(hotel_id="hotel_combined")
        self.inventory_and_rates_requests = requests
        self.max_read_nights: int | None = None

    async def get_inventory_and_rates(
        self, room_type_ids: Sequence[str] | None, start: date, end: date, adults: int, children: int
    ) -> tuple[list[NightInventory], list[NightRate]]:
        self._enter("get_inventory_and_rates")
        return [NightInventory("room_1", start, 4)], []


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def breaker(clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker(InMemoryBreakerStore(), BreakerConfig(), clock)


def wrap(vendor: FakeConnector, breaker: CircuitBreaker, clock: FakeClock) -> ResilientConnector:
    return ResilientConnector(vendor, breaker, RetryPolicy(), None, clock, rng=random.Random(3))


async def test_the_helper_uses_the_combined_read_when_there_is_one() -> None:
    # given
    vendor = CombinedConnector()
    # when
    inventory, _ = await get_inventory_and_rates(vendor, ["room_1"], NIGHT, NEXT, 1, 0)
    # then
    assert isinstance(vendor, ReadsInventoryAndRates)
    assert inventory[0].available == 4
    calls = vendor.calls
    assert (calls["get_inventory_and_rates"], calls["get_inventory"], calls["get_rates"]) == (1, 0, 0)


async def test_the_helper_falls_back_to_both_reads() -> None:
    # given a connector without the capability
    vendor = FakeConnector()
    # when
    inventory, rates = await get_inventory_and_rates(vendor, ["room_1"], NIGHT, NEXT, 1, 0)
    # then
    assert not isinstance(vendor, ReadsInventoryAndRates)
    assert (inventory[0].available, rates) == (3, [])
    assert (vendor.calls["get_inventory"], vendor.calls["get_rates"]) == (1, 1)


async def test_the_helper_raises_the_failure_after_both_reads_ended() -> None:
    # given the rates read fails
    vendor = FakeConnector()
    vendor.fail_next("get_rates", PMSTimeout("slow"))
    # when / then
    with pytest.raises(PMSTimeout):
        await get_inventory_and_rates(vendor, ["room_1"], NIGHT, NEXT, 1, 0)
    assert (vendor.calls["get_inventory"], vendor.calls["get_rates"]) == (1, 1)


async def test_the_wrapper_retries_the_combined_read_as_one_read(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    # given
    vendor = CombinedConnector()
    vendor.fail_next("get_inventory_and_rates", PMSTimeout("slow"), PMSTransientError("HTTP 503", status=503))
    connector = wrap(vendor, breaker, clock)
    # when
    inventory, _ = await get_inventory_and_rates(connector, ["room_1"], NIGHT, NEXT, 1, 0)
    # then three attempts of the one read, two backoff sleeps, nothing else called
    assert inventory[0].available == 4
    assert vendor.calls["get_inventory_and_rates"] == 3 and len(clock.sleeps) == 2
    assert vendor.calls["get_inventory"] == vendor.calls["get_rates"] == 0


async def test_the_wrapper_falls_back_to_two_resilient_reads(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    # given a vendor without the combined read whose inventory read fails once
    vendor = FakeConnector()
    vendor.fail_next("get_inventory", PMSTimeout("slow"))
    connector = wrap(vendor, breaker, clock)
    # when
    inventory, _ = await connector.get_inventory_and_rates(["room_1"], NIGHT, NEXT, 1, 0)
    # then only the failed read was retried
    assert inventory[0].available == 3
    assert (vendor.calls["get_inventory"], vendor.calls["get_rates"]) == (2, 1)


async def test_a_failing_combined_read_opens_the_breaker(breaker: CircuitBreaker, clock: FakeClock) -> None:
    # given a dead vendor
    vendor = CombinedConnector()
    vendor.fail_always(PMSTransientError("HTTP 500", status=500))
    connector = wrap(vendor, breaker, clock)
    # when: four attempts, then one more opens the breaker, then no call at all
    with pytest.raises(PMSTransientError):
        await connector.get_inventory_and_rates(["room_1"], NIGHT, NEXT, 1, 0)
    for _ in range(2):
        with pytest.raises(PMSUnavailable):
            await connector.get_inventory_and_rates(["room_1"], NIGHT, NEXT, 1, 0)
    # then
    assert vendor.calls["get_inventory_and_rates"] == 5
    assert await breaker.state(BreakerKey(vendor.vendor, vendor.hotel_id)) is BreakerState.OPEN


@pytest.fixture
async def redis() -> AsyncIterator[Any]:
    client = fresh_in_process_redis()
    yield client
    await client.aclose()


async def slots_left_after_two_reads(
    requests: int, breaker: CircuitBreaker, clock: FakeClock, redis: Any
) -> int:
    """Free slots of a 10-per-minute limiter after two combined reads of a vendor sending `requests` each."""
    limiter = OutboundRateLimiter(redis, "mews", RateLimit(10, 60.0), clock=clock)
    connector = ResilientConnector(
        CombinedConnector(requests), breaker, RetryPolicy(), limiter, clock, credential="t"
    )
    for _ in range(2):
        await connector.get_inventory_and_rates(["room_1"], NIGHT, NEXT, 1, 0)
    key, free = limiter.key_for("t"), 0
    while await limiter.try_acquire(key) == 0.0:
        free += 1
    return free


async def test_a_read_of_two_requests_takes_two_rate_limit_slots(
    breaker: CircuitBreaker, clock: FakeClock, redis: Any
) -> None:
    # given / when a Mews-like vendor (getAvailability + getPricing per read)
    free = await slots_left_after_two_reads(2, breaker, clock, redis)
    # then four of the ten slots are taken
    assert free == 6


async def test_negative_control_a_read_of_one_request_takes_one_slot(
    breaker: CircuitBreaker, clock: FakeClock, redis: Any
) -> None:
    # given / when a Cloudbeds-like vendor (one getRatePlans per read)
    free = await slots_left_after_two_reads(1, breaker, clock, redis)
    # then
    assert free == 8


async def test_the_wrapper_passes_on_the_vendor_cap_on_one_read(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    # given a vendor with a cap and one without
    capped = CombinedConnector()
    capped.max_read_nights = 367
    # when / then
    assert wrap(capped, breaker, clock).max_read_nights == 367
    assert wrap(FakeConnector(), breaker, clock).max_read_nights is None
