"""Operators' booking search (admin page and API): filters, newest first, and masked guest contacts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from roomgate.domain.booking import Booking
from roomgate.ledger.bookings import booking_of
from roomgate.ledger.models import BookingRow


@dataclass(frozen=True, slots=True)
class BookingQuery:
    hotel_id: str | None = None
    status: str | None = None
    booking_id: str | None = None
    check_in_from: date | None = None  # stays checking in on or after
    check_in_to: date | None = None  # ... and on or before
    offset: int = 0
    limit: int = 50


class BookingSearch:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def search(self, query: BookingQuery) -> tuple[int, Sequence[Booking]]:
        conditions = []
        if query.hotel_id:
            conditions.append(BookingRow.hotel_id == query.hotel_id)
        if query.status:
            conditions.append(BookingRow.status == query.status)
        if query.booking_id:
            conditions.append(BookingRow.booking_id == query.booking_id)
        if query.check_in_from:
            conditions.append(BookingRow.check_in >= query.check_in_from)
        if query.check_in_to:
            conditions.append(BookingRow.check_in <= query.check_in_to)
        async with self._sessions() as session:
            total = await session.scalar(select(func.count()).select_from(BookingRow).where(*conditions))
            rows = await session.scalars(
                select(BookingRow)
                .where(*conditions)
                .order_by(BookingRow.created_at.desc(), BookingRow.id.desc())
                .offset(query.offset)
                .limit(query.limit)
            )
            return int(total or 0), [booking_of(row) for row in rows]


def mask_email(email: str | None) -> str | None:
    """`hong@example.com` → `h***@example.com`."""
    if not email or "@" not in email:
        return None if not email else "***"
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str | None) -> str | None:
    """Only the last four digits: `+82-10-1234-5678` → `***-5678`."""
    if not phone:
        return None
    digits = [c for c in phone if c.isdigit()]
    return "***-" + "".join(digits[-4:]) if len(digits) >= 4 else "***"


def mask_name(first: str | None, last: str | None) -> str | None:
    """The family name's first letter, the rest hidden: `홍 길동` (first 홍) → `홍**`."""
    name = f"{first or ''}{last or ''}".strip()
    if not name:
        return None
    return name[:1] + "*" * min(max(len(name) - 1, 1), 4)
