"""ResilientConnector over an in-memory fake vendor: retries, safe create, breaker, limiter, metrics."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import date

import httpx2
import pytest
from prometheus_client import REGISTRY

from roomgate.cache.client import fresh_in_process_redis
from roomgate.clock import FakeClock
from roomgate.pms.base import PMSConnector
from roomgate.pms.errors import (
    PMSRateLimited,
    PMSSoldOut,
    PMSTimeout,
    PMSTransientError,
    PMSUnavailable,
)
from roomgate.pms.types import GuestInfo, ReservationRequest
from roomgate.resilience.breaker import CircuitBreaker
from roomgate.resilience.breaker_state import BreakerConfig, BreakerKey, BreakerState
from roomgate.resilience.breaker_store import InMemoryBreakerStore
from roomgate.resilience.connector import ResilientConnector
from roomgate.resilience.ratelimit import OutboundRateLimited, OutboundRateLimiter, RateLimit
from roomgate.resilience.retry import RetryPolicy
from tests.fake_keys import cloudbeds_key
from tests.unit.resilience_fakes import FakeConnector

NIGHT = date(2025, 11, 1)
REQUEST = ReservationRequest(
    external_id="bk_1",
    room_type_id="room_1",
    check_in=NIGHT,
    check_out=date(2025, 11, 3),
    adults=2,
    children=0,
    guest=GuestInfo("홍", "길동", "hong@example.com"),
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def vendor(unique_id: str) -> FakeConnector:
    return FakeConnector(hotel_id=f"hotel_{unique_id}")


@pytest.fixture
def breaker(clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker(InMemoryBreakerStore(), BreakerConfig(), clock)


@pytest.fixture
def connector(vendor: FakeConnector, breaker: CircuitBreaker, clock: FakeClock) -> ResilientConnector:
    return ResilientConnector(vendor, breaker, RetryPolicy(), None, clock, rng=random.Random(5))


def timeout() -> PMSTimeout:
    return PMSTimeout("no answer within 10s")


def server_error() -> PMSTransientError:
    return PMSTransientError("HTTP 500", status=500)


def test_it_is_a_pms_connector(connector: ResilientConnector, vendor: FakeConnector) -> None:
    # given / when / then
    assert isinstance(connector, PMSConnector)
    assert (connector.vendor, connector.hotel_id) == (vendor.vendor, vendor.hotel_id)


async def test_reads_are_retried(
    connector: ResilientConnector, vendor: FakeConnector, clock: FakeClock
) -> None:
    # given
    vendor.fail_next("get_inventory", timeout(), server_error())
    # when
    nights = await connector.get_inventory(["room_1"], NIGHT, date(2025, 11, 2))
    # then
    assert nights[0].available == 3
    assert vendor.calls["get_inventory"] == 3
    assert len(clock.sleeps) == 2


async def test_create_after_a_timeout_that_did_book_returns_the_booking(
    connector: ResilientConnector, vendor: FakeConnector
) -> None:
    # given the vendor books, then the answer is lost
    vendor.create_lands_before_failing = True
    vendor.fail_next("create_reservation", timeout())
    # when
    reservation = await connector.create_reservation(REQUEST)
    # then it was looked up, not booked twice
    assert reservation.external_id == "bk_1"
    assert vendor.calls["create_reservation"] == 1
    assert vendor.calls["find_reservation_by_external_id"] == 1
    assert len(vendor.reservations) == 1


async def test_create_with_an_unknown_outcome_is_never_sent_twice(
    connector: ResilientConnector, vendor: FakeConnector
) -> None:
    # given a create that fails with a 500 (the vendor may have booked it anyway, or still be booking it)
    vendor.fail_next("create_reservation", server_error())
    # when the lookups never find it
    with pytest.raises(PMSTransientError):
        await connector.create_reservation(REQUEST)
    # then it was looked up on every retry but never sent again: the saga leaves it to recovery
    assert vendor.calls["create_reservation"] == 1
    assert vendor.calls["find_reservation_by_external_id"] == 3
    assert vendor.reservations == {} or len(vendor.reservations) <= 1


async def test_create_that_never_left_this_host_is_sent_again(
    connector: ResilientConnector, vendor: FakeConnector
) -> None:
    # given the first create could not even connect (nothing reached the vendor)
    refused = PMSTransientError("connection failed (ConnectError)")
    refused.__cause__ = httpx2.ConnectError("connection refused")
    vendor.fail_next("create_reservation", refused)
    # when
    reservation = await connector.create_reservation(REQUEST)
    # then it was simply sent again, without a lookup
    assert reservation.external_id == "bk_1"
    assert vendor.calls["create_reservation"] == 2
    assert vendor.calls.get("find_reservation_by_external_id", 0) == 0


async def test_create_looks_up_again_when_the_lookup_itself_failed(
    connector: ResilientConnector, vendor: FakeConnector
) -> None:
    # given the create timed out after booking, and the first lookup fails too
    vendor.create_lands_before_failing = True
    vendor.fail_next("create_reservation", timeout())
    vendor.fail_next("find_reservation_by_external_id", server_error())
    # when
    reservation = await connector.create_reservation(REQUEST)
    # then the unknown outcome was never forgotten: no second create
    assert reservation.reservation_id == "R1"
    assert vendor.calls["find_reservation_by_external_id"] == 2
    assert vendor.calls["create_reservation"] == 1


async def test_create_refused_with_429_is_retried_without_a_lookup(
    connector: ResilientConnector, vendor: FakeConnector, clock: FakeClock
) -> None:
    # given a 429: the vendor did not process the request
    vendor.fail_next("create_reservation", PMSRateLimited("429", retry_after=2.0))
    # when
    await connector.create_reservation(REQUEST)
    # then
    assert vendor.calls["find_reservation_by_external_id"] == 0
    assert vendor.calls["create_reservation"] == 2
    assert clock.sleeps == [2.0]


async def test_create_sold_out_is_not_retried(connector: ResilientConnector, vendor: FakeConnector) -> None:
    # given
    vendor.fail_next("create_reservation", PMSSoldOut("no rooms"))
    # when / then
    with pytest.raises(PMSSoldOut):
        await connector.create_reservation(REQUEST)
    assert vendor.calls["create_reservation"] == 1
    assert vendor.calls["find_reservation_by_external_id"] == 0


async def test_cancel_and_confirm_are_retried(connector: ResilientConnector, vendor: FakeConnector) -> None:
    # given
    booked = await connector.create_reservation(REQUEST)
    vendor.fail_next("confirm_reservation", timeout())
    vendor.fail_next("cancel_reservation", timeout(), server_error())
    # when
    confirmed = await connector.confirm_reservation(booked.reservation_id)
    await connector.cancel_reservation(booked.reservation_id)
    # then
    assert confirmed.reservation_id == booked.reservation_id
    assert vendor.calls["confirm_reservation"] == 2
    assert vendor.calls["cancel_reservation"] == 3


async def test_a_dead_vendor_costs_five_calls_then_none(
    connector: ResilientConnector, vendor: FakeConnector, breaker: CircuitBreaker
) -> None:
    # given
    vendor.fail_always(server_error())
    # when: the first read tries 4 times, the second fails once more and opens the breaker
    with pytest.raises(PMSTransientError):
        await connector.get_room_types()
    with pytest.raises(PMSUnavailable):
        await connector.get_room_types()
    with pytest.raises(PMSUnavailable):
        await connector.get_hotel_details()
    # then
    assert vendor.calls["get_room_types"] == 5
    assert vendor.calls["get_hotel_details"] == 0
    assert await breaker.state(BreakerKey(vendor.vendor, vendor.hotel_id)) is BreakerState.OPEN


async def test_writes_through_an_open_breaker_are_refused_without_a_call(
    connector: ResilientConnector, vendor: FakeConnector
) -> None:
    # given
    vendor.fail_always(server_error())
    for _ in range(2):
        with pytest.raises((PMSTransientError, PMSUnavailable)):
            await connector.get_room_types()
    vendor.fail_always(None)
    # when / then
    with pytest.raises(PMSUnavailable):
        await connector.create_reservation(REQUEST)
    assert vendor.calls["create_reservation"] == 0


@pytest.fixture
async def redis() -> AsyncIterator[object]:
    client = fresh_in_process_redis()
    yield client
    await client.aclose()


async def test_calls_wait_for_the_rate_limit(
    vendor: FakeConnector, breaker: CircuitBreaker, clock: FakeClock, redis: object
) -> None:
    # given 2 calls per second
    limiter = OutboundRateLimiter(redis, "cloudbeds", RateLimit(2, 1.0), clock=clock)  # type: ignore[arg-type]
    connector = ResilientConnector(
        vendor, breaker, RetryPolicy(), limiter, clock, credential=cloudbeds_key("test_key")
    )
    # when five calls are made
    for _ in range(5):
        await connector.get_room_types()
    # then calls 3 and 5 each waited a full second for a slot
    assert vendor.calls["get_room_types"] == 5
    assert clock.sleeps == [1.0, 1.0]


async def test_our_own_rate_limit_never_counts_against_the_vendor(
    vendor: FakeConnector, breaker: CircuitBreaker, clock: FakeClock, redis: object
) -> None:
    # given a limiter that is full and will not wait
    limiter = OutboundRateLimiter(  # type: ignore[arg-type]
        redis, "cloudbeds", RateLimit(1, 60.0), clock=clock, max_wait_seconds=0
    )
    connector = ResilientConnector(vendor, breaker, RetryPolicy(retries=0), limiter, clock, credential="k")
    await connector.get_room_types()
    # when ten calls are refused locally
    for _ in range(10):
        with pytest.raises(OutboundRateLimited):
            await connector.get_room_types()
    # then the vendor saw one call and the breaker no failure
    assert vendor.calls["get_room_types"] == 1
    status = await breaker.status(BreakerKey(vendor.vendor, vendor.hotel_id))
    assert status.state is BreakerState.CLOSED and status.failures == 0


async def test_metrics_count_latency_and_errors(connector: ResilientConnector, vendor: FakeConnector) -> None:
    # given
    labels = {"vendor": "cloudbeds", "method": "get_rates"}

    def sample(name: str, **extra: str) -> float:
        return REGISTRY.get_sample_value(name, {**labels, **extra}) or 0.0

    ok_before = sample("roomgate_pms_request_seconds_count", outcome="ok")
    failed_before = sample("roomgate_pms_request_seconds_count", outcome="vendor_error")
    errors_before = sample("roomgate_pms_errors_total", error="PMSTimeout")
    vendor.fail_next("get_rates", timeout())
    # when
    await connector.get_rates(None, NIGHT, date(2025, 11, 2), 2, 0)
    # then
    assert sample("roomgate_pms_request_seconds_count", outcome="ok") == ok_before + 1
    assert sample("roomgate_pms_request_seconds_count", outcome="vendor_error") == failed_before + 1
    assert sample("roomgate_pms_errors_total", error="PMSTimeout") == errors_before + 1
