"""Confirmed upcoming bookings, read for reconciliation with the PMS."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from roomgate.domain.booking import BookingStatus
from roomgate.domain.polling import BookedStay
from roomgate.ledger.models import BookingRow


class ConfirmedBookingsReader:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def confirmed_between(self, first_night: date, last_check_in: date, limit: int) -> list[BookedStay]:
        """Confirmed bookings still to be stayed (check-out after `first_night`), by check-in."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(BookingRow)
                .where(
                    BookingRow.status == BookingStatus.CONFIRMED.value,
                    BookingRow.check_out > first_night,
                    BookingRow.check_in <= last_check_in,
                )
                .order_by(BookingRow.check_in, BookingRow.booking_id)
                .limit(limit)
            )
            return [
                BookedStay(
                    booking_id=row.booking_id,
                    vendor=row.vendor,
                    hotel_id=row.hotel_id,
                    room_type_id=row.room_type_id,
                    check_in=row.check_in,
                    check_out=row.check_out,
                    pms_reservation_id=row.pms_reservation_id,
                )
                for row in rows
            ]
