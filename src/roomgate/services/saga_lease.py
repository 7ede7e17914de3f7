"""One saga run's lease on its booking row: the fence between a live saga and the recovery worker.

The saga records every step under its own lease owner and renews the lease as it goes; recovery
takes a booking over only once the lease has run out. A step whose vendor call outlasted the lease
finds the booking taken: its result is then attached to the booking for the new owner to see, or,
if the booking already failed without it, undone by the saga itself — never left behind.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from roomgate.domain.booking import BookingStatus
from roomgate.ledger.bookings import BookingRepository, StaleBookingState
from roomgate.ledger.types import utcnow
from roomgate.logging import get_logger

log = get_logger(__name__)

# Step results that identify a vendor-side effect recovery must know about to undo or adopt it.
ATTACHABLE = ("payment_auth_id", "pms_reservation_id")

Undo = Callable[[], Awaitable[None]]


class SagaTakenOver(Exception):
    """The recovery worker holds the booking now and settles it; the saga stops (answer from the booking)."""

    def __init__(self, booking_id: str) -> None:
        super().__init__(f"booking {booking_id} was taken over by recovery")
        self.booking_id = booking_id


@dataclass
class SagaLease:
    bookings: BookingRepository
    booking_id: str
    seconds: int
    owner: str = field(default_factory=lambda: f"saga:{secrets.token_hex(6)}")

    def until(self) -> datetime:
        return utcnow() + timedelta(seconds=self.seconds)

    async def advance(
        self,
        expected: BookingStatus,
        target: BookingStatus,
        *,
        event: str,
        detail: dict[str, Any] | None = None,
        undo: Undo | None = None,
        **fields: Any,
    ) -> None:
        """Record a finished step under the lease (renewing it); if the booking was taken over, hand the
        step's result to its new owner or `undo` it, then raise `SagaTakenOver`."""
        fields.setdefault("lease_until", self.until())
        try:
            await self.bookings.transition(
                self.booking_id, expected, target, event=event, detail=detail, owner=self.owner, **fields
            )
        except StaleBookingState:
            facts = {k: fields[k] for k in ATTACHABLE if fields.get(k) is not None}
            await self._hand_over(event, undo, facts)
            raise SagaTakenOver(self.booking_id) from None

    async def renew(self) -> None:
        """Make sure the booking stays ours for a while (before compensating); else `SagaTakenOver`."""
        if not await self.bookings.renew_lease(self.booking_id, self.owner, self.until()):
            raise SagaTakenOver(self.booking_id)

    async def _hand_over(self, event: str, undo: Undo | None, facts: dict[str, str]) -> None:
        if facts and await self.bookings.attach(self.booking_id, event=f"{event}_late", **facts):
            log.warning("saga_taken_over", booking_id=self.booking_id, step=event, handed_over=True)
            return  # recorded on the open booking: whoever settles it sees it
        booking = await self.bookings.get(self.booking_id)
        log.warning("saga_taken_over", booking_id=self.booking_id, step=event, status=booking.status)
        if booking.status == BookingStatus.FAILED.value and undo is not None:
            # The booking failed without knowing of this step's effect: nobody else will undo it.
            await undo()
            await self.bookings.add_event(self.booking_id, f"{event}_undone", {"late": True})
