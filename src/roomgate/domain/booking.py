"""The booking of DESIGN §5: its state machine (illegal transitions raise) and the aggregate itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any, Final, Literal

from roomgate.domain.money import Money


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


class BookingNotFound(LookupError):
    pass


class BookingAlreadyExists(RuntimeError):
    """A booking with this id was written already (another request took over the same checkout)."""


class StaleBookingState(RuntimeError):
    """The row was not in the expected state (or lease): someone else (recovery, a retry) moved it first."""


def can_transition(current: BookingStatus, target: BookingStatus) -> bool:
    return target in _ALLOWED[current]


def transition(current: BookingStatus, target: BookingStatus) -> BookingStatus:
    """Return `target` if the move is allowed, else raise `IllegalTransition`."""
    if not can_transition(current, target):
        raise IllegalTransition(current, target)
    return target


# -- the aggregate ---------------------------------------------------------------------------------

Detail = dict[str, Any]
# Step results that name a vendor-side effect (recovery must know them to undo or adopt it).
StepFact = Literal["payment_auth_id", "pms_reservation_id"]


class _Keep(Enum):
    KEEP = "keep"


KEEP: Final = _Keep.KEEP
"""A `BookingChange` field left as it is (as opposed to `None`, which empties the column)."""


@dataclass(frozen=True, slots=True)
class BookingChange:
    """The columns one step sets besides the status; `KEEP` (the default) leaves a column as it is."""

    hold_id: str | _Keep = KEEP
    payment_auth_id: str | _Keep = KEEP
    payment_status: str | None | _Keep = KEEP
    pms_reservation_id: str | _Keep = KEEP
    confirmation_number: str | _Keep = KEEP
    error_code: str | _Keep = KEEP
    error_message: str | _Keep = KEEP
    # what the guest is charged, when the PMS's own (lower) total is captured instead of the quote
    total_minor: int | _Keep = KEEP
    total_price: Decimal | _Keep = KEEP
    lease_owner: str | None | _Keep = KEEP
    lease_until: datetime | None | _Keep = KEEP

    def values(self) -> dict[str, Any]:
        """The columns this change sets, by name."""
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not KEEP}

    def with_lease_until(self, until: datetime) -> BookingChange:
        """This change, renewing the lease to `until` unless it sets the lease itself."""
        return self if self.lease_until is not KEEP else replace(self, lease_until=until)


NO_CHANGE: Final = BookingChange()
RELEASE_LEASE: Final = BookingChange(lease_owner=None, lease_until=None)


@dataclass(frozen=True, slots=True)
class Step:
    """One audit event (`booking_event` row) recorded in the same unit of work as a state change.

    `reaches`: the status this step took the booking to, when a unit of work records several steps
    (e.g. `hold_created` reaching `held` on the way to `authorized`); each hop must be legal."""

    event: str
    detail: Detail | None = None
    reaches: BookingStatus | None = None


def step_path(
    expected: BookingStatus, target: BookingStatus, steps: Sequence[Step]
) -> list[tuple[BookingStatus, BookingStatus]]:
    """The (from, to) status of each step of one unit of work that moves `expected` → `target`; the
    last step reaches `target`. `IllegalTransition` unless every hop is a legal move (or no move)."""
    hops = []
    current = expected
    for index, step in enumerate(steps):
        last = index == len(steps) - 1
        reached = target if last else (step.reaches or current)
        if reached is not current:
            transition(current, reached)
        hops.append((current, reached))
        current = reached
    return hops


@dataclass(frozen=True, slots=True)
class Booking:
    """One checkout: what was asked, each saga step's result, and who holds its lease.

    Immutable: a step is applied with `moved` / `changed`, which check the state machine."""

    booking_id: str
    vendor: str
    hotel_id: str
    room_type_id: str
    check_in: date
    check_out: date
    adults: int
    children: int
    status: BookingStatus
    currency: str
    total_minor: int | None
    total_price: Decimal | None
    created_at: datetime
    updated_at: datetime
    hold_id: str | None = None
    payment_provider: str | None = None
    payment_auth_id: str | None = None
    payment_status: str | None = None
    pms_reservation_id: str | None = None
    confirmation_number: str | None = None
    guest_first_name: str | None = None
    guest_last_name: str | None = None
    guest_email: str | None = None
    guest_phone: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    lease_owner: str | None = None
    lease_until: datetime | None = None

    @property
    def is_final(self) -> bool:
        return self.status.is_final

    @property
    def amount(self) -> Money:
        """What the guest pays (the amount pre-authorised, captured or refunded)."""
        return Money.from_minor(self.total_minor or 0, self.currency)

    def owned_by(self, owner: str) -> bool:
        """`owner` holds this booking's lease (recovery's claim hands it to a new owner)."""
        return self.lease_owner == owner

    def lease_lapsed(self, now: datetime) -> bool:
        return self.lease_until is None or self.lease_until < now

    def matches(self, unchanged: Mapping[StepFact, str | None]) -> bool:
        """These step results still hold these values (None: still empty)."""
        return all(getattr(self, name) == value for name, value in unchanged.items())

    def moved(
        self, target: BookingStatus, change: BookingChange, now: datetime, steps: Sequence[Step] = ()
    ) -> Booking:
        """This booking after the legal move to `target` with `change` (through `steps`, each hop
        legal); `IllegalTransition` otherwise."""
        if steps:
            step_path(self.status, target, steps)
        else:
            transition(self.status, target)
        return replace(self, status=target, updated_at=now, **change.values())

    def changed(self, change: BookingChange, now: datetime) -> Booking:
        """This booking with a step's result recorded, its status unchanged."""
        return replace(self, updated_at=now, **change.values())


@dataclass(frozen=True, slots=True)
class BookingEvent:
    """One row of a booking's append-only audit trail."""

    booking_id: str
    event: str
    from_status: str | None
    to_status: str | None
    detail: Detail | None
    created_at: datetime
