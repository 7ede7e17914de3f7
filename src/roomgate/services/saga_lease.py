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
from datetime import UTC, datetime, timedelta

from roomgate.clock import Clock
from roomgate.domain.booking import NO_CHANGE, BookingChange, BookingStatus, Detail, Step, StepFact
from roomgate.logging import get_logger
from roomgate.services.booking_ledger import BookingLedger, StaleBookingState

log = get_logger(__name__)

Undo = Callable[[], Awaitable[None]]


class SagaTakenOver(Exception):
    """The recovery worker holds the booking now and settles it; the saga stops (answer from the booking)."""

    def __init__(self, booking_id: str) -> None:
        super().__init__(f"booking {booking_id} was taken over by recovery")
        self.booking_id = booking_id


@dataclass
class SagaLease:
    bookings: BookingLedger
    booking_id: str
    seconds: int
    clock: Clock
    owner: str = field(default_factory=lambda: f"saga:{secrets.token_hex(6)}")
    # Steps done but not yet written: their results need no recording for recovery (the hold id is
    # derived from the booking id), so they are written with the next step, in its unit of work.
    unrecorded: list[Step] = field(default_factory=list)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now(), UTC)

    def until(self) -> datetime:
        return self.now() + timedelta(seconds=self.seconds)

    def done_unrecorded(self, step: Step) -> None:
        """A step whose result recovery can do without: audited with the next recorded one."""
        self.unrecorded.append(step)

    def take_unrecorded(self) -> list[Step]:
        taken, self.unrecorded = self.unrecorded, []
        return taken

    async def advance(
        self,
        expected: BookingStatus,
        target: BookingStatus,
        *,
        event: str,
        detail: Detail | None = None,
        change: BookingChange = NO_CHANGE,
        undo: Undo | None = None,
    ) -> None:
        """Record a finished step (after any unrecorded ones) under the lease, renewing it; if the
        booking was taken over, hand the step's result to its new owner or `undo` it, then raise
        `SagaTakenOver`."""
        earlier = self.take_unrecorded()
        try:
            await self.bookings.transition(
                self.booking_id,
                expected,
                target,
                event=event,
                detail=detail,
                change=change.with_lease_until(self.until()),
                owner=self.owner,
                earlier=earlier,
            )
        except StaleBookingState:
            facts: dict[StepFact, str] = {}
            if isinstance(change.payment_auth_id, str):
                facts["payment_auth_id"] = change.payment_auth_id
            if isinstance(change.pms_reservation_id, str):
                facts["pms_reservation_id"] = change.pms_reservation_id
            await self._hand_over(event, undo, facts)
            raise SagaTakenOver(self.booking_id) from None

    async def renew(self) -> None:
        """Make sure the booking stays ours for a while (before compensating); else `SagaTakenOver`."""
        if not await self.bookings.renew_lease(self.booking_id, self.owner, self.until()):
            raise SagaTakenOver(self.booking_id)

    async def _hand_over(self, event: str, undo: Undo | None, facts: dict[StepFact, str]) -> None:
        if facts and await self.bookings.attach(self.booking_id, event=f"{event}_late", facts=facts):
            log.warning("saga_taken_over", booking_id=self.booking_id, step=event, handed_over=True)
            return  # recorded on the open booking: whoever settles it sees it
        booking = await self.bookings.get(self.booking_id)
        log.warning("saga_taken_over", booking_id=self.booking_id, step=event, status=booking.status)
        if booking.status is BookingStatus.FAILED and undo is not None:
            # The booking failed without knowing of this step's effect: nobody else will undo it.
            await undo()
            await self.bookings.add_event(self.booking_id, f"{event}_undone", {"late": True})
