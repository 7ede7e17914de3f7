"""The booking repository and idempotency store on every backend."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from roomgate.domain.booking import BookingStatus, IllegalTransition
from roomgate.ledger.bookings import BookingNotFound, BookingRepository, StaleBookingState
from roomgate.ledger.db import create_engine, session_factory
from roomgate.ledger.idempotency import ClaimOutcome, IdempotencyStore, request_fingerprint
from roomgate.ledger.models import Booking
from roomgate.ledger.types import utcnow


@pytest.fixture
async def sessions(ledger_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(ledger_url)
    yield session_factory(engine)
    await engine.dispose()


def _booking(booking_id: str) -> Booking:
    return Booking(
        booking_id=booking_id,
        vendor="cloudbeds",
        hotel_id="hotel_123",
        room_type_id="room_456",
        check_in=date(2026, 12, 1),
        check_out=date(2026, 12, 3),
        adults=2,
        children=0,
        status=BookingStatus.PENDING.value,
        total_price=Decimal("250000"),
        total_minor=250000,
        currency="KRW",
    )


async def test_booking_walks_the_saga_and_keeps_an_audit_trail(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    repo = BookingRepository(sessions)
    # given a pending booking
    await repo.create(_booking("bk_1"))
    # when each step is recorded
    await repo.transition(
        "bk_1", BookingStatus.PENDING, BookingStatus.HELD, event="hold_created", hold_id="h1"
    )
    await repo.transition(
        "bk_1",
        BookingStatus.HELD,
        BookingStatus.AUTHORIZED,
        event="payment_authorized",
        payment_auth_id="pa1",
    )
    await repo.transition(
        "bk_1",
        BookingStatus.AUTHORIZED,
        BookingStatus.RESERVED,
        event="pms_reserved",
        pms_reservation_id="r1",
    )
    await repo.transition("bk_1", BookingStatus.RESERVED, BookingStatus.CONFIRMED, event="captured")
    # then the row holds every result and the events tell the story in order
    row = await repo.get("bk_1")
    assert (row.status, row.hold_id, row.payment_auth_id, row.pms_reservation_id) == (
        "confirmed",
        "h1",
        "pa1",
        "r1",
    )
    assert row.total_price == Decimal("250000") and row.check_out - row.check_in == timedelta(days=2)
    events = [e.event for e in await repo.events("bk_1")]
    assert events == ["created", "hold_created", "payment_authorized", "pms_reserved", "captured"]


async def test_a_stale_transition_is_refused(sessions: async_sessionmaker[AsyncSession]) -> None:
    repo = BookingRepository(sessions)
    await repo.create(_booking("bk_2"))
    await repo.transition("bk_2", BookingStatus.PENDING, BookingStatus.FAILED, event="failed")
    with pytest.raises(StaleBookingState):
        await repo.transition("bk_2", BookingStatus.PENDING, BookingStatus.HELD, event="hold_created")
    with pytest.raises(IllegalTransition):
        await repo.transition("bk_2", BookingStatus.FAILED, BookingStatus.CONFIRMED, event="nope")
    with pytest.raises(BookingNotFound):
        await repo.get("missing")


async def test_only_one_of_two_racing_transitions_wins(sessions: async_sessionmaker[AsyncSession]) -> None:
    repo = BookingRepository(sessions)
    await repo.create(_booking("bk_3"))
    results = await asyncio.gather(
        repo.transition("bk_3", BookingStatus.PENDING, BookingStatus.HELD, event="a"),
        repo.transition("bk_3", BookingStatus.PENDING, BookingStatus.FAILED, event="b"),
        return_exceptions=True,
    )
    assert sum(isinstance(r, StaleBookingState) for r in results) == 1


async def test_stale_bookings_are_claimed_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    repo = BookingRepository(sessions)
    await repo.create(_booking("bk_4"))
    later = utcnow() + timedelta(seconds=5)
    first = await repo.claim_stale(owner="w1", older_than=later, lease_seconds=60)
    second = await repo.claim_stale(owner="w2", older_than=later, lease_seconds=60)
    assert first == ["bk_4"] and second == []


async def test_idempotency_claim_replay_conflict(sessions: async_sessionmaker[AsyncSession]) -> None:
    store = IdempotencyStore(sessions)
    body = {"a": 1, "b": [1, 2]}
    digest = request_fingerprint(body)
    assert digest == request_fingerprint({"b": [1, 2], "a": 1})
    # first claim owns the key; a concurrent duplicate sees it in flight
    assert (await store.claim("k1", digest, "bk_x")).outcome is ClaimOutcome.NEW
    assert (await store.claim("k1", digest, "bk_y")).outcome is ClaimOutcome.IN_FLIGHT
    assert (
        await store.claim("k1", request_fingerprint({"a": 2}), "bk_z")
    ).outcome is ClaimOutcome.BODY_MISMATCH
    # once completed, the same body replays the stored answer
    await store.complete("k1", 200, {"success": True, "bookingId": "bk_x"})
    replay = await store.claim("k1", digest, "bk_w")
    assert replay.outcome is ClaimOutcome.REPLAY and replay.body == {"success": True, "bookingId": "bk_x"}
    assert replay.booking_id == "bk_x"


async def test_concurrent_claims_of_one_key_have_one_owner(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = IdempotencyStore(sessions)
    outcomes = await asyncio.gather(*(store.claim("k2", "h", f"bk_{i}") for i in range(8)))
    assert sum(o.outcome is ClaimOutcome.NEW for o in outcomes) == 1
