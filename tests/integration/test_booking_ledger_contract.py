"""The `BookingLedger` contract: the same scenarios against the in-memory fake the saga unit tests use
and the SQL adapter on SQLite, PostgreSQL and MariaDB, so the fake cannot drift from the real thing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from roomgate.clock import FakeClock
from roomgate.domain.booking import (
    RELEASE_LEASE,
    Booking,
    BookingAlreadyExists,
    BookingChange,
    BookingNotFound,
    BookingStatus,
    IllegalTransition,
    StaleBookingState,
    Step,
)
from roomgate.ledger.bookings import BookingRepository
from roomgate.ledger.db import create_engine, session_factory
from roomgate.services.booking_ledger import BookingLedger
from tests.conftest import LEDGER_BACKENDS, empty_database
from tests.memory_ledger import MemoryLedger

P, H, A, R, C, F = (
    BookingStatus.PENDING,
    BookingStatus.HELD,
    BookingStatus.AUTHORIZED,
    BookingStatus.RESERVED,
    BookingStatus.CONFIRMED,
    BookingStatus.FAILED,
)


class World:
    def __init__(self, ledger: BookingLedger, clock: FakeClock) -> None:
        self.ledger = ledger
        self.clock = clock

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now(), UTC)

    def booking(self, booking_id: str, *, owner: str | None = "saga:1") -> Booking:
        now = self.now()
        return Booking(
            booking_id=booking_id,
            vendor="cloudbeds",
            hotel_id="hotel_123",
            room_type_id="room_456",
            check_in=date(2026, 12, 1),
            check_out=date(2026, 12, 3),
            adults=2,
            children=0,
            status=P,
            currency="KRW",
            total_minor=250000,
            total_price=Decimal("250000.00"),
            created_at=now,
            updated_at=now,
            payment_provider="sandbox",
            guest_email="guest@example.com",
            lease_owner=owner,
            lease_until=now + timedelta(seconds=300) if owner else None,
        )


@pytest.fixture(params=["memory", *LEDGER_BACKENDS])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """None for the in-memory fake, else a migrated database on each backend."""
    if request.param == "memory":
        yield None
        return
    from roomgate.ledger.migrate import upgrade

    with empty_database(request.param, request, tmp_path) as url:
        upgrade(url)
        yield url


@pytest.fixture
async def world(backend_url: str | None) -> AsyncIterator[World]:
    clock = FakeClock()
    if backend_url is None:
        yield World(MemoryLedger(clock), clock)
        return
    engine = create_engine(backend_url)
    try:
        yield World(BookingRepository(session_factory(engine), clock), clock)
    finally:
        await engine.dispose()


async def test_a_booking_walks_the_saga_and_keeps_its_audit_trail(world: World) -> None:
    ledger = world.ledger
    created = await ledger.create(world.booking("bk_1"), detail={"amount": 250000})
    assert await ledger.get("bk_1") == created  # every column round-trips, times and money exact
    # one unit of work may carry earlier events with the step
    await ledger.transition(
        "bk_1",
        P,
        H,
        event="hold_created",
        change=BookingChange(hold_id="h1"),
        owner="saga:1",
    )
    world.clock.advance(1)
    await ledger.transition(
        "bk_1",
        H,
        A,
        event="payment_authorized",
        detail={"provider": "sandbox"},
        change=BookingChange(payment_auth_id="pa1", payment_status="authorized"),
        earlier=[Step("hold_checked", {"nights": 2})],
    )
    await ledger.transition(
        "bk_1",
        A,
        R,
        event="pms_reserved",
        change=BookingChange(pms_reservation_id="r1", confirmation_number="c1"),
    )
    await ledger.transition(
        "bk_1",
        R,
        C,
        event="captured",
        change=BookingChange(payment_status="captured", lease_owner=None, lease_until=None),
    )
    booking = await ledger.get("bk_1")
    assert (booking.status, booking.hold_id, booking.payment_auth_id, booking.pms_reservation_id) == (
        C,
        "h1",
        "pa1",
        "r1",
    )
    assert (booking.confirmation_number, booking.payment_status, booking.lease_owner) == (
        "c1",
        "captured",
        None,
    )
    assert booking.updated_at == world.now() and booking.created_at == world.now() - timedelta(seconds=1)
    assert booking.amount.minor == 250000 and booking.check_out - booking.check_in == timedelta(days=2)
    events = await ledger.events("bk_1")
    assert [e.event for e in events] == [
        "created",
        "hold_created",
        "hold_checked",
        "payment_authorized",
        "pms_reserved",
        "captured",
    ]
    assert (events[0].to_status, events[0].detail) == ("pending", {"amount": 250000})
    assert (events[3].from_status, events[3].to_status, events[3].detail) == (
        "held",
        "authorized",
        {"provider": "sandbox"},
    )


async def test_ids_are_unique_and_missing_ones_are_reported(world: World) -> None:
    await world.ledger.create(world.booking("bk_1"))
    with pytest.raises(BookingAlreadyExists):
        await world.ledger.create(world.booking("bk_1"))
    with pytest.raises(BookingNotFound):
        await world.ledger.get("missing")
    assert await world.ledger.find("missing") is None


async def test_a_stale_or_illegal_transition_changes_nothing(world: World) -> None:
    ledger = world.ledger
    await ledger.create(world.booking("bk_2"))
    await ledger.transition("bk_2", P, F, event="failed", change=BookingChange(error_code="E"))
    before = await ledger.get("bk_2")
    with pytest.raises(StaleBookingState):
        await ledger.transition("bk_2", P, H, event="hold_created", change=BookingChange(hold_id="h"))
    with pytest.raises(IllegalTransition):
        await ledger.transition("bk_2", F, C, event="nope")
    with pytest.raises(StaleBookingState):
        await ledger.record("bk_2", P, event="nope", change=BookingChange(error_code="X"))
    assert await ledger.get("bk_2") == before
    assert [e.event for e in await ledger.events("bk_2")] == ["created", "failed"]


async def test_only_the_lease_owner_moves_the_booking(world: World) -> None:
    ledger = world.ledger
    await ledger.create(world.booking("bk_3", owner="saga:1"))
    with pytest.raises(StaleBookingState):
        await ledger.transition("bk_3", P, H, event="hold_created", owner="recovery:1")
    await ledger.record("bk_3", P, event="noted", owner="saga:1", change=BookingChange(error_code="E1"))
    booking = await ledger.get("bk_3")
    assert (booking.status, booking.error_code) == (P, "E1")
    events = await ledger.events("bk_3")
    assert (events[-1].event, events[-1].from_status, events[-1].to_status) == ("noted", "pending", "pending")


async def test_unchanged_step_results_guard_the_move(world: World) -> None:
    ledger = world.ledger
    await ledger.create(world.booking("bk_4"))
    await ledger.transition("bk_4", P, H, event="hold_created")
    await ledger.transition("bk_4", H, A, event="a", change=BookingChange(payment_auth_id="pa"))
    # a late PMS result lands before the compensation records `failed`
    assert await ledger.attach("bk_4", event="pms_reserved_late", facts={"pms_reservation_id": "r9"})
    with pytest.raises(StaleBookingState):
        await ledger.transition(
            "bk_4", A, F, event="failed", unchanged={"pms_reservation_id": None, "payment_auth_id": "pa"}
        )
    await ledger.transition(
        "bk_4", A, F, event="failed", unchanged={"pms_reservation_id": "r9", "payment_auth_id": "pa"}
    )
    # a final booking takes no late results, nor does a column already filled
    assert not await ledger.attach("bk_4", event="late", facts={"payment_auth_id": "pa2"})
    await ledger.create(world.booking("bk_5"))
    assert await ledger.attach("bk_5", event="late", facts={"payment_auth_id": "pa5"})
    assert not await ledger.attach("bk_5", event="late", facts={"payment_auth_id": "pa6"})
    assert (await ledger.get("bk_5")).payment_auth_id == "pa5"
    assert [e.event for e in await ledger.events("bk_5")] == ["created", "late"]


async def test_only_one_of_two_racing_transitions_wins(world: World) -> None:
    await world.ledger.create(world.booking("bk_6"))
    results = await asyncio.gather(
        world.ledger.transition("bk_6", P, H, event="a"),
        world.ledger.transition("bk_6", P, F, event="b"),
        return_exceptions=True,
    )
    assert sum(isinstance(r, StaleBookingState) for r in results) == 1
    assert sum(r is None for r in results) == 1


async def test_stale_bookings_are_claimed_once_their_lease_runs_out(world: World) -> None:
    ledger = world.ledger
    await ledger.create(world.booking("bk_7"))  # leased to saga:1 for 300 s
    await ledger.create(world.booking("bk_8", owner=None))
    await ledger.transition("bk_8", P, F, event="failed")  # final: never claimed
    world.clock.advance(60)
    cutoff = world.now() - timedelta(seconds=30)
    assert await ledger.claim_stale(owner="w1", older_than=cutoff, lease_seconds=60) == []  # lease runs
    world.clock.advance(300)
    cutoff = world.now() - timedelta(seconds=30)
    assert await ledger.claim_stale(owner="w1", older_than=cutoff, lease_seconds=60) == ["bk_7"]
    assert await ledger.claim_stale(owner="w2", older_than=world.now(), lease_seconds=60) == []
    claimed = await ledger.get("bk_7")
    assert (claimed.lease_owner, claimed.lease_until) == ("w1", world.now() + timedelta(seconds=60))
    # the saga lost its lease: it can neither renew it nor move the booking
    assert not await ledger.renew_lease("bk_7", "saga:1", world.now() + timedelta(seconds=300))
    with pytest.raises(StaleBookingState):
        await ledger.transition("bk_7", P, H, event="hold_created", owner="saga:1")
    assert await ledger.renew_lease("bk_7", "w1", world.now() + timedelta(seconds=90))
    await ledger.release_lease("bk_7", "w2")  # not w2's: nothing happens
    assert (await ledger.get("bk_7")).lease_owner == "w1"
    await ledger.release_lease("bk_7", "w1")
    released = await ledger.get("bk_7")
    assert (released.lease_owner, released.lease_until, released.updated_at) == (None, None, world.now())
    # released just now: not stale yet for a cutoff in the past, stale once time has passed
    assert await ledger.claim_stale(owner="w2", older_than=cutoff, lease_seconds=60) == []
    world.clock.advance(31)
    later = world.now() - timedelta(seconds=30)
    assert await ledger.claim_stale(owner="w2", older_than=later, lease_seconds=60) == ["bk_7"]
    await ledger.transition("bk_7", P, F, event="failed", owner="w2", change=RELEASE_LEASE)
    assert not await ledger.renew_lease("bk_7", "w2", world.now())  # final


async def test_a_booking_is_found_behind_its_pms_reservation(world: World) -> None:
    ledger = world.ledger
    await ledger.create(world.booking("bk_9"))
    await ledger.transition("bk_9", P, H, event="h")
    await ledger.transition("bk_9", H, A, event="a")
    await ledger.transition("bk_9", A, R, event="r", change=BookingChange(pms_reservation_id="r9"))
    by_ours = await ledger.find_for_reservation(
        "cloudbeds", "hotel_123", reservation_id=None, external_id="bk_9"
    )
    by_theirs = await ledger.find_for_reservation(
        "cloudbeds", "hotel_123", reservation_id="r9", external_id="x"
    )
    assert (
        by_ours is not None and by_theirs is not None and by_ours.booking_id == by_theirs.booking_id == "bk_9"
    )
    other_hotel = await ledger.find_for_reservation(
        "cloudbeds", "hotel_9", reservation_id="r9", external_id="bk_9"
    )
    assert other_hotel is None
    assert (
        await ledger.find_for_reservation("cloudbeds", "hotel_123", reservation_id="r0", external_id=None)
        is None
    )
