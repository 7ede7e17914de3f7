"""The room lines of multi-room bookings (`booking_room`), and the PMS reservations made for them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from roomgate.domain.rooms import RoomLine, StoredRoomLine
from roomgate.ledger.models import BookingRoom


def reservation_ids_of(row: BookingRoom) -> tuple[str, ...]:
    """The PMS reservations recorded for one line (stored comma-separated; none yet: empty)."""
    return tuple(filter(None, (row.pms_reservation_ids or "").split(",")))


class BookingRooms:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def save(self, booking_id: str, lines: Sequence[tuple[RoomLine, int]]) -> None:
        """Write a booking's lines (with each line's total in minor units), replacing any earlier ones.

        Written before the booking row itself: a crash in between leaves lines no booking names, never
        a multi-room booking without its lines."""
        async with self._sessions.begin() as session:
            await session.execute(delete(BookingRoom).where(BookingRoom.booking_id == booking_id))
            for line_no, (line, total_minor) in enumerate(lines):
                session.add(
                    BookingRoom(
                        booking_id=booking_id,
                        line_no=line_no,
                        room_type_id=line.room_type_id,
                        quantity=line.quantity,
                        adults=line.adults,
                        children=line.children,
                        total_minor=total_minor,
                    )
                )

    async def lines(self, booking_id: str) -> list[StoredRoomLine]:
        """The booking's lines in order; empty for a single-room booking."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(BookingRoom).where(BookingRoom.booking_id == booking_id).order_by(BookingRoom.line_no)
            )
            return [
                StoredRoomLine(
                    RoomLine(row.room_type_id, row.quantity, row.adults, row.children),
                    row.total_minor,
                    reservation_ids_of(row),
                )
                for row in rows
            ]

    async def record_reservations(self, booking_id: str, reservation_ids: Sequence[str]) -> None:
        """Record the PMS reservations made for the booking, one per room in line order (Mews), or a
        single one for all of them (Cloudbeds: kept on the first line)."""
        lines = await self.lines(booking_id)
        ids = list(reservation_ids)
        by_line: list[list[str]] = []
        if len(ids) == sum(stored.line.quantity for stored in lines):
            for stored in lines:
                by_line.append(ids[: stored.line.quantity])
                ids = ids[stored.line.quantity :]
        else:
            by_line = [ids] + [[] for _ in lines[1:]]
        async with self._sessions.begin() as session:
            for line_no, made in enumerate(by_line):
                await session.execute(
                    update(BookingRoom)
                    .where(BookingRoom.booking_id == booking_id, BookingRoom.line_no == line_no)
                    .values(pms_reservation_ids=",".join(made) or None)
                )

    async def reservation_ids(self, booking_id: str) -> list[str]:
        """Every PMS reservation id recorded for the booking's lines, in line order."""
        return [rid for stored in await self.lines(booking_id) for rid in stored.pms_reservation_ids]
