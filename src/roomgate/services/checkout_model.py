"""What a checkout is asked to do and what it answers: the command, the result, the failure."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.money import Money
from roomgate.domain.rooms import RoomLine
from roomgate.domain.stay import Stay
from roomgate.payments.base import PaymentSource
from roomgate.pms.types import GuestInfo, Reservation


@dataclass(frozen=True, slots=True)
class CheckoutCommand:
    vendor: str
    hotel_id: str
    room_type_id: str
    stay: Stay
    adults: int
    children: int
    guest: GuestInfo
    amount: Money
    provider: str
    source: PaymentSource
    # A multi-room checkout's lines (room_type_id/adults/children above are then the first line's);
    # empty for the spec's single-room checkout.
    rooms: tuple[RoomLine, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckoutResult:
    booking_id: str
    confirmation_number: str
    rooms: tuple[tuple[RoomLine, int], ...] = ()  # a multi-room checkout: each line and its total (minor)


class SagaFailed(DomainError):
    """A step failed and the booking was compensated (or left for recovery); carries the booking id.

    `unsettled`: the step ("pms", "payment") whose outcome is unknown (timeout, 5xx): the vendor may
    still carry it out after compensation looked for it, so recovery looks again."""

    def __init__(
        self, code: ErrorCode, detail: str | None, booking_id: str, *, unsettled: str | None = None
    ) -> None:
        super().__init__(code, detail)
        self.booking_id = booking_id
        self.unsettled = unsettled


def new_booking_id() -> str:
    return f"bk_{secrets.token_hex(8)}"


def confirmation_of(reservation: Reservation) -> str:
    """What the guest is told: the PMS confirmation number, else the reservation id."""
    return reservation.confirmation_number or reservation.reservation_id
