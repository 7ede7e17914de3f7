"""Recovery of multi-room bookings: their PMS booking is every reservation recorded for their lines
(Mews: one per room; Cloudbeds: one for all rooms). Forward only when every one of them still holds
its room(s); otherwise the compensator cancels every one it finds, recorded or found by our booking id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from roomgate.pms.base import PMSConnector
from roomgate.pms.errors import PMSNotFound
from roomgate.pms.types import Reservation
from roomgate.services.checkout_rooms import RoomLineStore

# `recovery._live`: the reservation if it holds its stay (confirming a native PMS hold), else None.
LiveCheck = Callable[[PMSConnector, Reservation | None], Awaitable[Reservation | None]]


async def recorded_group(rooms: RoomLineStore | None, booking_id: str) -> tuple[bool, list[str]]:
    """(is it a multi-room booking, the PMS reservation ids recorded for it)."""
    if rooms is None:
        return False, []
    lines = await rooms.lines(booking_id)
    return bool(lines), [rid for stored in lines for rid in stored.pms_reservation_ids]


async def live_group(
    connector: PMSConnector, ids: Sequence[str], live: LiveCheck
) -> list[Reservation] | None:
    """Every recorded reservation, each confirmed if it was a native hold; None when there are none
    or any one is gone, cancelled or released (the booking then goes backward, all of it)."""
    if not ids:
        return None
    found: list[Reservation] = []
    for reservation_id in ids:
        try:
            reservation = await live(connector, await connector.get_reservation(reservation_id))
        except PMSNotFound:
            return None
        if reservation is None:
            return None
        found.append(reservation)
    return found
