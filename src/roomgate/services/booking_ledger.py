"""The booking ledger port: where bookings and their audit trail are kept (adapter: `ledger/bookings.py`,
fake: `tests/memory_ledger.py`).

Every mutating call is one unit of work: the booking's change and its audit events commit together or
not at all. Changes are conditional — on the expected status, on the lease owner, on step results
still being as last read (`unchanged`) — and a condition that no longer holds raises
`StaleBookingState` with nothing written. These conditions are what keep a live saga, the recovery
worker and a cancellation from overwriting each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from roomgate.domain.booking import (
    NO_CHANGE,
    Booking,
    BookingAlreadyExists,
    BookingChange,
    BookingEvent,
    BookingNotFound,
    BookingStatus,
    Detail,
    StaleBookingState,
    Step,
    StepFact,
)

__all__ = [
    "BookingAlreadyExists",
    "BookingLedger",
    "BookingNotFound",
    "StaleBookingState",
]


class BookingLedger(Protocol):
    async def create(self, booking: Booking, *, detail: Detail | None = None) -> Booking:
        """Insert a booking (normally `pending`) with its `created` event; `BookingAlreadyExists` when
        the id is taken."""
        ...

    async def get(self, booking_id: str) -> Booking:
        """The booking; `BookingNotFound` if there is none."""
        ...

    async def find(self, booking_id: str) -> Booking | None: ...

    async def find_for_reservation(
        self, vendor: str, hotel_id: str, *, reservation_id: str | None, external_id: str | None
    ) -> Booking | None:
        """Our booking whose id is the reservation's third-party id (`external_id`), else the one that
        recorded this PMS `reservation_id`; None when the reservation is another channel's."""
        ...

    async def events(self, booking_id: str) -> Sequence[BookingEvent]:
        """The audit trail, oldest first."""
        ...

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
        """Move `expected` → `target` (legal moves only, else `IllegalTransition`) applying `change`,
        and append `earlier` then `event` to the audit trail — one unit of work.

        Only while the booking is `expected`, and with `owner` only while that lease owner holds it,
        and with `unchanged` only while those step results hold those values (None: still empty);
        otherwise `StaleBookingState`."""
        ...

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
        """Record a step's result without changing the status (e.g. a compensation deferred); the same
        conditions and unit of work as `transition`."""
        ...

    async def attach(self, booking_id: str, *, event: str, facts: Mapping[StepFact, str]) -> bool:
        """Write step results (e.g. a late PMS reservation id) onto a still-open booking whose columns for
        them are empty, whoever holds its lease, with `event`; False when the booking is final or has them."""
        ...

    async def add_event(self, booking_id: str, event: str, detail: Detail | None = None) -> None:
        """Append an audit event alone (a compensation step done, recovery started)."""
        ...

    async def claim_stale(
        self, *, owner: str, older_than: datetime, lease_seconds: float, limit: int = 50
    ) -> list[str]:
        """Lease to `owner` up to `limit` open bookings untouched since `older_than` whose lease ran out."""
        ...

    async def renew_lease(self, booking_id: str, owner: str, until: datetime) -> bool:
        """Extend `owner`'s lease on an open booking; False if the booking is final or someone else's."""
        ...

    async def release_lease(self, booking_id: str, owner: str) -> None: ...
