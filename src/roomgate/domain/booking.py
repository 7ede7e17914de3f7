"""The booking state machine of DESIGN §5; illegal transitions raise."""

from __future__ import annotations

from enum import StrEnum


class BookingStatus(StrEnum):
    PENDING = "pending"
    HELD = "held"
    AUTHORIZED = "authorized"
    RESERVED = "reserved"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    CANCELLING = "cancelling"  # cancel requested: PMS cancel and refund under way (recovery finishes it)
    CANCELLED = "cancelled"
    # the hotel cancelled a confirmed booking in its PMS (a webhook or reconciliation saw it); the guest
    # was refunded through the payment provider that took the money
    CANCELLED_BY_HOTEL = "cancelled_by_hotel"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATES


FINAL_STATES = frozenset(
    {
        BookingStatus.CONFIRMED,
        BookingStatus.FAILED,
        BookingStatus.CANCELLED,
        BookingStatus.CANCELLED_BY_HOTEL,
    }
)

# The saga path runs forward one step at a time; any non-final step may fail (after compensation);
# only a confirmed booking may be cancelled, through `cancelling` so a crash mid-way is resumable.
_ALLOWED: dict[BookingStatus, frozenset[BookingStatus]] = {
    BookingStatus.PENDING: frozenset({BookingStatus.HELD, BookingStatus.FAILED}),
    BookingStatus.HELD: frozenset({BookingStatus.AUTHORIZED, BookingStatus.FAILED}),
    BookingStatus.AUTHORIZED: frozenset({BookingStatus.RESERVED, BookingStatus.FAILED}),
    BookingStatus.RESERVED: frozenset({BookingStatus.CONFIRMED, BookingStatus.FAILED}),
    BookingStatus.CONFIRMED: frozenset({BookingStatus.CANCELLING, BookingStatus.CANCELLED_BY_HOTEL}),
    BookingStatus.CANCELLING: frozenset({BookingStatus.CANCELLED}),
    BookingStatus.FAILED: frozenset(),
    BookingStatus.CANCELLED: frozenset(),
    BookingStatus.CANCELLED_BY_HOTEL: frozenset(),
}


class IllegalTransition(Exception):
    def __init__(self, current: BookingStatus, target: BookingStatus) -> None:
        super().__init__(f"booking cannot go from {current} to {target}")
        self.current = current
        self.target = target


def can_transition(current: BookingStatus, target: BookingStatus) -> bool:
    return target in _ALLOWED[current]


def transition(current: BookingStatus, target: BookingStatus) -> BookingStatus:
    """Return `target` if the move is allowed, else raise `IllegalTransition`."""
    if not can_transition(current, target):
        raise IllegalTransition(current, target)
    return target
