"""An in-memory `BookingLedger` with the SQL adapter's conditional semantics (tests/integration/
test_booking_ledger_contract.py runs the same scenarios against both so the two cannot drift)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from roomgate.clock import Clock, FakeClock
from roomgate.domain.booking import (
    NO_CHANGE,
    Booking,
    BookingAlreadyExists,
    BookingChange,
    BookingEvent,
    BookingNotFound,
    BookingStatus,
    Detail,
    IllegalTransition,
    StaleBookingState,
    Step,
    StepFact,
    can_transition,
    step_path,
)


class MemoryLedger:
    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or FakeClock()
        self.bookings: dict[str, Booking] = {}
        self.trail: list[BookingEvent] = []
        self.writes = 0  # committed units of work, for tests that count round trips

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now(), UTC)

    async def create(self, booking: Booking, *, detail: Detail | None = None) -> Booking:
        await asyncio.sleep(0)  # a yield point, as a database round trip is
        if booking.booking_id in self.bookings:
            raise BookingAlreadyExists(booking.booking_id)
        self.bookings[booking.booking_id] = booking
        self._log(booking.booking_id, "created", None, booking.status.value, detail, booking.created_at)
        self.writes += 1
        return booking

    async def get(self, booking_id: str) -> Booking:
        found = await self.find(booking_id)
        if found is None:
            raise BookingNotFound(booking_id)
        return found

    async def find(self, booking_id: str) -> Booking | None:
        await asyncio.sleep(0)
        return self.bookings.get(booking_id)

    async def find_for_reservation(
        self, vendor: str, hotel_id: str, *, reservation_id: str | None, external_id: str | None
    ) -> Booking | None:
        await asyncio.sleep(0)
        if external_id:
            found = self.bookings.get(external_id)
            if found is not None and (found.vendor, found.hotel_id) == (vendor, hotel_id):
                return found
        if reservation_id:
            for booking in self.bookings.values():  # insertion order: the oldest first, as the SQL
                if (booking.vendor, booking.hotel_id, booking.pms_reservation_id) == (
                    vendor,
                    hotel_id,
                    reservation_id,
                ):
                    return booking
        return None

    async def events(self, booking_id: str) -> Sequence[BookingEvent]:
        await asyncio.sleep(0)
        return [e for e in self.trail if e.booking_id == booking_id]

    async def transition(
        self,
        booking_id: str,
        expected: BookingStatus,
        target: BookingStatus,
        *,
        event: str,
        detail: Detail | None = None,
        change: BookingChange = NO_CHANGE,
        owner: str | None = None,
        unchanged: Mapping[StepFact, str | None] | None = None,
        earlier: Sequence[Step] = (),
    ) -> None:
        if not earlier and not can_transition(expected, target):
            raise IllegalTransition(expected, target)
        steps = [*earlier, Step(event, detail)]
        hops = step_path(expected, target, steps)
        await asyncio.sleep(0)
        current = self._expect(booking_id, expected, owner, unchanged)
        now = self._now()
        self.bookings[booking_id] = current.moved(target, change, now, steps)
        for step, (before, after) in zip(steps, hops, strict=True):
            self._log(booking_id, step.event, before.value, after.value, step.detail, now)
        self.writes += 1

    async def record(
        self,
        booking_id: str,
        expected: BookingStatus,
        *,
        event: str,
        detail: Detail | None = None,
        change: BookingChange = NO_CHANGE,
        owner: str | None = None,
    ) -> None:
        await asyncio.sleep(0)
        current = self._expect(booking_id, expected, owner, None)
        now = self._now()
        self.bookings[booking_id] = current.changed(change, now)
        self._log(booking_id, event, expected.value, expected.value, detail, now)
        self.writes += 1

    async def attach(self, booking_id: str, *, event: str, facts: Mapping[StepFact, str]) -> bool:
        await asyncio.sleep(0)
        current = self.bookings.get(booking_id)
        if current is None or current.is_final or any(getattr(current, k) is not None for k in facts):
            return False
        now = self._now()
        self.bookings[booking_id] = replace(current, updated_at=now, **facts)
        self._log(booking_id, event, None, None, dict(facts), now)
        self.writes += 1
        return True

    async def add_event(self, booking_id: str, event: str, detail: Detail | None = None) -> None:
        await asyncio.sleep(0)
        self._log(booking_id, event, None, None, detail, self._now())
        self.writes += 1

    async def claim_stale(
        self, *, owner: str, older_than: datetime, lease_seconds: float, limit: int = 50
    ) -> list[str]:
        await asyncio.sleep(0)
        now = self._now()
        stale = sorted(
            (b for b in self.bookings.values() if not b.is_final and b.updated_at < older_than),
            key=lambda b: b.updated_at,
        )
        claimed = []
        for booking in stale:
            if len(claimed) == limit:
                break
            if booking.lease_lapsed(now):
                until = now + timedelta(seconds=lease_seconds)
                claim = replace(booking, lease_owner=owner, lease_until=until, updated_at=now)
                self.bookings[booking.booking_id] = claim
                claimed.append(booking.booking_id)
        return claimed

    async def renew_lease(self, booking_id: str, owner: str, until: datetime) -> bool:
        await asyncio.sleep(0)
        current = self.bookings.get(booking_id)
        if current is None or current.is_final or not current.owned_by(owner):
            return False
        self.bookings[booking_id] = replace(current, lease_until=until, updated_at=self._now())
        return True

    async def release_lease(self, booking_id: str, owner: str) -> None:
        await asyncio.sleep(0)
        current = self.bookings.get(booking_id)
        if current is not None and current.owned_by(owner):
            self.bookings[booking_id] = replace(
                current, lease_owner=None, lease_until=None, updated_at=self._now()
            )

    def _expect(
        self,
        booking_id: str,
        expected: BookingStatus,
        owner: str | None,
        unchanged: Mapping[StepFact, str | None] | None,
    ) -> Booking:
        current = self.bookings.get(booking_id)
        if (
            current is None
            or current.status is not expected
            or (owner is not None and not current.owned_by(owner))
            or not current.matches(unchanged or {})
        ):
            raise StaleBookingState(f"booking {booking_id} is no longer {expected}")
        return current

    def _log(
        self,
        booking_id: str,
        event: str,
        from_status: str | None,
        to_status: str | None,
        detail: Detail | None,
        at: datetime,
    ) -> None:
        self.trail.append(BookingEvent(booking_id, event, from_status, to_status, detail, at))
