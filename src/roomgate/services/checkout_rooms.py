"""Several rooms in one checkout: pricing every room line, the PMS request's lines, and the PMS
reservations a multi-room booking has (DESIGN §5 saga, one hold / one pre-authorisation / one PMS
booking for all rooms).

The spec's single-room checkout never comes here: `CheckoutCommand.rooms` is empty for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.money import Money
from roomgate.domain.rooms import RoomLine, StoredRoomLine
from roomgate.domain.stay import Stay
from roomgate.pms.base import PMSConnector, reservation_total
from roomgate.pms.types import RoomRequest
from roomgate.services.ports import Pricer, Quote


@dataclass(frozen=True, slots=True)
class LineQuote:
    line: RoomLine
    quote: Quote  # one room of the line, for its party
    total: Money  # every room of the line, every night


@dataclass(frozen=True, slots=True)
class RoomsQuote(Quote):
    """A multi-room checkout's price: `total` over every line; the other fields are the first line's."""

    lines: tuple[LineQuote, ...] = ()


class RoomLineStore(Protocol):
    """Where a booking's room lines and their PMS reservations are kept (`ledger/booking_rooms.py`)."""

    async def save(self, booking_id: str, lines: Sequence[tuple[RoomLine, int]]) -> None: ...

    async def lines(self, booking_id: str) -> list[StoredRoomLine]: ...

    async def record_reservations(self, booking_id: str, reservation_ids: Sequence[str]) -> None: ...

    async def reservation_ids(self, booking_id: str) -> list[str]: ...


async def quote_rooms(
    pricer: Pricer, vendor: str, hotel_id: str, stay: Stay, lines: Sequence[RoomLine]
) -> RoomsQuote:
    """Price every line with `Pricer.quote` (one room for the line's party) times its quantity; refuse
    a party too large for its room type and a line with fewer rooms for sale than asked on a night."""
    quoted: list[LineQuote] = []
    for line in lines:
        quote = await pricer.quote(vendor, hotel_id, line.room_type_id, stay, line.adults, line.children)
        if line.guests > quote.max_occupancy:
            too_many = f"{line.room_type_id}: 객실당 최대 {quote.max_occupancy}명까지 투숙할 수 있습니다"
            raise DomainError(ErrorCode.VALIDATION_ERROR, too_many)
        short = next((n.night for n in quote.nights if n.for_sale < line.quantity), None)
        if short is not None:
            raise DomainError(ErrorCode.INVENTORY_UNAVAILABLE, f"{line.room_type_id} {short.isoformat()}")
        quoted.append(LineQuote(line, quote, quote.total * line.quantity))
    currency = quoted[0].total.currency
    if any(q.total.currency != currency for q in quoted):
        raise DomainError(ErrorCode.INTERNAL_ERROR, "요금 통화가 일치하지 않습니다")
    grand = Money.zero(currency)
    for q in quoted:
        grand = grand + q.total
    first = quoted[0].quote
    room_total = Money.zero(currency)
    for q in quoted:
        room_total = room_total + (q.quote.room_total or q.quote.total) * q.line.quantity
    # each line's taxes and fees, for all its rooms
    taxes = tuple(replace(t, amount=t.amount * q.line.quantity) for q in quoted for t in q.quote.taxes)
    return RoomsQuote(
        room_type_id=first.room_type_id,
        max_occupancy=first.max_occupancy,
        nights=first.nights,
        total=grand,
        rate_plan_id=first.rate_plan_id,
        taxes=taxes,
        room_total=room_total,
        lines=tuple(quoted),
    )


def room_requests(quote: RoomsQuote) -> tuple[RoomRequest, ...]:
    """The PMS request's lines, each with its own rate plan."""
    return tuple(
        RoomRequest(
            q.line.room_type_id, q.line.quantity, q.line.adults, q.line.children, q.quote.rate_plan_id
        )
        for q in quote.lines
    )


def stored_lines(quote: RoomsQuote) -> list[tuple[RoomLine, int]]:
    return [(q.line, q.total.minor) for q in quote.lines]


async def pms_total(connector: PMSConnector, reservation_ids: Sequence[str]) -> Money | None:
    """What the PMS bills for a booking made of several reservations (a Mews group: one per room): the
    sum of their totals, read back; None when any total is unknown. For a read-back of the PMS total
    before capture: a multi-room booking's total is over every reservation, not the first one's."""
    amounts: list[Money] = []
    for reservation_id in reservation_ids:
        total = await reservation_total(connector, reservation_id)
        if total is None:
            return None
        amounts.append(total)
    if not amounts:
        return None
    grand = Money.zero(amounts[0].currency)
    for amount in amounts:
        grand = grand + amount
    return grand
