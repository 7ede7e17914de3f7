"""The checkout request's two forms: the spec's one room (`roomTypeId`, `adults`, `children`) or several
rooms (`rooms: [{roomTypeId, quantity, adults, children}]`), exactly one of them per request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from roomgate.api.deps import part
from roomgate.api.schemas import CheckoutIn, RoomLineOut
from roomgate.config import Settings
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.rooms import RoomLine, RoomLinesError, StoredRoomLine, checked_lines
from roomgate.services.checkout_rooms import RoomLineStore

SINGLE_ROOM_FIELDS = ("roomTypeId", "adults", "children")
# A multi-room booking's lines (`GET /api/bookings/{id}`).
BookingRoomsDep = Annotated[RoomLineStore, part(lambda c: c.booking_rooms)]


def room_lines(body: CheckoutIn, settings: Settings) -> tuple[RoomLine, ...]:
    """The request's room lines; empty for the spec's single-room form. Refuses (400) both forms,
    neither, a room type twice, and more lines or rooms than the configured limits."""
    single = [name for name in SINGLE_ROOM_FIELDS if name in body.model_fields_set]
    if body.rooms is None:
        if body.roomTypeId is None:
            raise DomainError(ErrorCode.VALIDATION_ERROR, "roomTypeId 또는 rooms 중 하나가 필요합니다")
        return ()
    if single:
        both = f"rooms와 {', '.join(single)}는 함께 보낼 수 없습니다 (객실별 인원은 rooms[]에)"
        raise DomainError(ErrorCode.VALIDATION_ERROR, both)
    lines = [RoomLine(r.roomTypeId, r.quantity, r.adults, r.children) for r in body.rooms]
    try:
        return checked_lines(lines, settings.checkout_max_room_lines, settings.checkout_max_rooms)
    except RoomLinesError as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, str(exc)) from None


def rooms_out(lines: Sequence[tuple[RoomLine, int]]) -> list[RoomLineOut] | None:
    """The answer's `rooms` for a multi-room checkout; None (left out) for the spec's form."""
    if not lines:
        return None
    return [RoomLineOut(roomTypeId=line.room_type_id, quantity=line.quantity, adults=line.adults,
                        children=line.children, amount=amount) for line, amount in lines]  # fmt: skip


def booking_rooms_out(lines: Sequence[StoredRoomLine]) -> list[dict[str, Any]]:
    """`GET /api/bookings/{id}`'s `rooms`: a multi-room booking's lines and their PMS reservations."""
    return [
        {
            "roomTypeId": s.line.room_type_id,
            "quantity": s.line.quantity,
            "adults": s.line.adults,
            "children": s.line.children,
            "amount": s.total_minor,
            "pmsReservationIds": list(s.pms_reservation_ids),
        }
        for s in lines
    ]
