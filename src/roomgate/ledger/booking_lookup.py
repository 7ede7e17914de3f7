"""Find our booking behind a PMS reservation (webhooks, reconciliation)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from roomgate.ledger.models import Booking


async def booking_for_reservation(
    sessions: async_sessionmaker[AsyncSession],
    vendor: str,
    hotel_id: str,
    *,
    reservation_id: str | None,
    external_id: str | None,
) -> Booking | None:
    """Our booking whose id is the reservation's third-party id, else the one that recorded this PMS
    reservation id; None when the reservation is another channel's."""
    async with sessions() as session:
        if external_id:
            found = await session.scalar(select(Booking).where(Booking.booking_id == external_id))
            if found is not None and found.hotel_id == hotel_id and found.vendor == vendor:
                return found
        if reservation_id:
            return await session.scalar(
                select(Booking)
                .where(
                    Booking.vendor == vendor,
                    Booking.hotel_id == hotel_id,
                    Booking.pms_reservation_id == reservation_id,
                )
                .limit(1)
            )
    return None
