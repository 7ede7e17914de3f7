"""The Idempotency-Key store's take-over of a dead request's key, on a real SQLite ledger.

The same behaviour through HTTP: tests/e2e/test_saga_idempotency.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from roomgate.clock import FakeClock
from roomgate.domain.booking import Booking, BookingAlreadyExists, BookingStatus
from roomgate.ledger.bookings import BookingRepository
from roomgate.ledger.db import create_engine, session_factory
from roomgate.ledger.idempotency import ClaimOutcome, IdempotencyStore


@pytest.fixture
async def sessions(sqlite_ledger_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(sqlite_ledger_url)
    yield session_factory(engine)
    await engine.dispose()


def _booking(booking_id: str) -> Booking:
    return Booking(
        booking_id=booking_id,
        vendor="cloudbeds",
        hotel_id="hotel_123",
        room_type_id="room_456",
        check_in=date(2026, 12, 24),
        check_out=date(2026, 12, 26),
        adults=2,
        children=0,
        status=BookingStatus.PENDING,
        currency="KRW",
        total_minor=None,
        total_price=None,
        created_at=datetime.fromtimestamp(FakeClock().now(), UTC),
        updated_at=datetime.fromtimestamp(FakeClock().now(), UTC),
    )


async def test_a_retry_takes_over_a_dead_claim_under_its_booking_id(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # given a claim whose request died before writing its booking, long ago
    clock = FakeClock()
    store = IdempotencyStore(sessions, clock=clock)
    first = await store.claim("k", "h", "bk_first")
    clock.advance(3600)
    # when a retry claims the key
    retry = await store.claim("k", "h", "bk_retry")
    # then it owns it, under the first request's booking id, with a token of its own
    assert (retry.outcome, retry.booking_id) == (ClaimOutcome.NEW, "bk_first")
    assert retry.token is not None and retry.token != first.token
    # and a third request meanwhile is told the key is in flight
    assert (await store.claim("k", "h", "bk_third")).outcome is ClaimOutcome.IN_FLIGHT
    # while before the lease had run out, the key was in flight too (negative control)
    fresh = await store.claim("k3", "h", "bk_fresh")
    clock.advance(30)
    assert (await store.claim("k3", "h", "bk_early")).outcome is ClaimOutcome.IN_FLIGHT
    assert fresh.outcome is ClaimOutcome.NEW


async def test_the_dead_request_coming_back_cannot_free_the_key_it_lost(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # given a key taken over from a request that was only slow, not dead
    clock = FakeClock()
    store = IdempotencyStore(sessions, clock=clock)
    slow = await store.claim("k", "h", "bk_slow")
    clock.advance(3600)
    retry = await store.claim("k", "h", "bk_retry")
    # when the slow request gives up and frees "its" claim
    await store.forget("k", token=slow.token)
    # then the retry's claim stands, and its answer is what the key replays
    assert (await store.claim("k", "h", "bk_other")).outcome is ClaimOutcome.IN_FLIGHT
    await store.complete("k", 200, {"bookingId": "bk_slow"}, booking_id=retry.booking_id)
    replay = await store.claim("k", "h", "bk_other")
    assert (replay.outcome, replay.body) == (ClaimOutcome.REPLAY, {"bookingId": "bk_slow"})
    # and a forget with the owner's own token does free it (negative control for the token check)
    other = await store.claim("k2", "h", "bk_k2")
    await store.forget("k2", token=other.token)
    assert (await store.claim("k2", "h", "bk_k2b")).outcome is ClaimOutcome.NEW


async def test_a_claim_whose_booking_was_written_is_never_taken_over(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # given a claim whose request wrote its booking and then died mid-saga, long ago
    clock = FakeClock()
    store = IdempotencyStore(sessions, clock=clock)
    await store.claim("k", "h", "bk_written")
    await BookingRepository(sessions, clock).create(_booking("bk_written"))
    clock.advance(3600)
    # when a retry claims the key, then it is in flight (recovery settles that booking), not taken over
    retry = await store.claim("k", "h", "bk_retry")
    assert (retry.outcome, retry.booking_id) == (ClaimOutcome.IN_FLIGHT, "bk_written")


async def test_two_requests_under_one_booking_id_write_one_booking(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # given the retry wrote the booking first
    bookings = BookingRepository(sessions)
    await bookings.create(_booking("bk_shared"))
    # when the request it took over from writes it too, then that one learns it lost
    with pytest.raises(BookingAlreadyExists):
        await bookings.create(_booking("bk_shared"))
