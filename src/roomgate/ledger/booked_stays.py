"""Confirmed upcoming bookings, read for reconciliation with the PMS."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from roomgate.domain.booking import BookingStatus
from roomgate.domain.polling import BookedStay
from roomgate.ledger.booking_rooms import reservation_ids_of
from roomgate.ledger.models import BookingRoom, BookingRow

GROUP_CHUNK = 500


class ConfirmedBookingsReader:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def confirmed_between(self, first_night: date, last_check_in: date, limit: int) -> list[BookedStay]:
        """Confirmed bookings still to be stayed (check-out after `first_night`), by check-in; a booking
        with one PMS reservation per room names them all (`BookedStay.group`)."""
        async with self._sessions() as session:
            rows = list(
                await session.scalars(
                    select(BookingRow)
                    .where(
                        BookingRow.status == BookingStatus.CONFIRMED.value,
                        BookingRow.check_out > first_night,
                        BookingRow.check_in <= last_check_in,
                    )
                    .order_by(BookingRow.check_in, BookingRow.booking_id)
                    .limit(limit)
                )
            )
            groups = await _groups(session, [row.booking_id for row in rows])
            return [
                BookedStay(
                    booking_id=row.booking_id,
                    vendor=row.vendor,
                    hotel_id=row.hotel_id,
                    room_type_id=row.room_type_id,
                    check_in=row.check_in,
                    check_out=row.check_out,
                    pms_reservation_id=row.pms_reservation_id,
                    group=groups.get(row.booking_id, ()),
                )
                for row in rows
            ]


async def _groups(session: AsyncSession, booking_ids: list[str]) -> dict[str, tuple[tuple[str, str], ...]]:
    """(reservation id, room type) of every PMS reservation made per room, for the bookings that have
    more than one; read in chunks (a bounded IN list on every database)."""
    members: dict[str, list[tuple[str, str]]] = {}
    for start in range(0, len(booking_ids), GROUP_CHUNK):
        chunk = booking_ids[start : start + GROUP_CHUNK]
        lines = await session.scalars(
            select(BookingRoom)
            .where(BookingRoom.booking_id.in_(chunk), BookingRoom.pms_reservation_ids.is_not(None))
            .order_by(BookingRoom.booking_id, BookingRoom.line_no)
        )
        for line in lines:
            members.setdefault(line.booking_id, []).extend(
                (rid, line.room_type_id) for rid in reservation_ids_of(line)
            )
    return {booking_id: tuple(group) for booking_id, group in members.items() if len(group) > 1}
