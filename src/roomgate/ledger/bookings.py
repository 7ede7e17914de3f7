"""Booking repository: every state change is a conditional UPDATE plus an audit row, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from roomgate.domain.booking import FINAL_STATES, BookingStatus, IllegalTransition, can_transition
from roomgate.ledger.models import Booking, BookingEvent
from roomgate.ledger.types import utcnow


class BookingNotFound(LookupError):
    pass


class BookingAlreadyExists(RuntimeError):
    """A booking with this id was written already (another request took over the same checkout)."""


class StaleBookingState(RuntimeError):
    """The row was not in the expected state (or lease): someone else (recovery, a retry) moved it first."""


class BookingRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create(self, booking: Booking, *, detail: dict[str, Any] | None = None) -> Booking:
        """Insert a booking (normally `pending`) with its first audit event.

        Raises `BookingAlreadyExists` when the id is taken."""
        try:
            async with self._sessions.begin() as session:
                session.add(booking)
                first = BookingEvent(
                    booking_id=booking.booking_id, event="created", to_status=booking.status, detail=detail
                )
                session.add(first)
        except IntegrityError as exc:
            raise BookingAlreadyExists(booking.booking_id) from exc
        return booking

    async def get(self, booking_id: str) -> Booking:
        async with self._sessions() as session:
            row = await session.scalar(select(Booking).where(Booking.booking_id == booking_id))
        if row is None:
            raise BookingNotFound(booking_id)
        return row

    async def find(self, booking_id: str) -> Booking | None:
        try:
            return await self.get(booking_id)
        except BookingNotFound:
            return None

    async def events(self, booking_id: str) -> Sequence[BookingEvent]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(BookingEvent).where(BookingEvent.booking_id == booking_id).order_by(BookingEvent.id)
            )
            return list(rows)

    async def transition(
        self,
        booking_id: str,
        expected: BookingStatus,
        target: BookingStatus,
        *,
        event: str,
        detail: dict[str, Any] | None = None,
        owner: str | None = None,
        unchanged: dict[str, Any] | None = None,
        **fields: Any,
    ) -> None:
        """Move `expected` → `target` (legal moves only) and set `fields`; raise if the row moved on.

        `owner`: only while that lease owner holds the booking; `unchanged`: only while these columns
        still hold these values (None: still empty)."""
        if not can_transition(expected, target):
            raise IllegalTransition(expected, target)
        await self._update(
            booking_id, expected, event, detail, owner, unchanged, status=target.value, **fields
        )

    async def record(
        self,
        booking_id: str,
        expected: BookingStatus,
        *,
        event: str,
        detail: dict[str, Any] | None = None,
        owner: str | None = None,
        **fields: Any,
    ) -> None:
        """Record a step's result without changing the status (e.g. a compensation done)."""
        await self._update(booking_id, expected, event, detail, owner, None, **fields)

    async def attach(self, booking_id: str, *, event: str, **facts: str) -> bool:
        """Write step results (e.g. a late PMS reservation id) onto a still-open booking whose columns
        for them are empty, whoever holds its lease; False when the booking is final or already has them."""
        open_states = [s.value for s in BookingStatus if s not in FINAL_STATES]
        empty = [getattr(Booking, name).is_(None) for name in facts]
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(Booking)
                .where(Booking.booking_id == booking_id, Booking.status.in_(open_states), *empty)
                .values(updated_at=utcnow(), **facts)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return False
            session.add(BookingEvent(booking_id=booking_id, event=event, detail=dict(facts)))
        return True

    async def _update(
        self,
        booking_id: str,
        expected: BookingStatus,
        event: str,
        detail: dict[str, Any] | None,
        owner: str | None,
        unchanged: dict[str, Any] | None,
        **fields: Any,
    ) -> None:
        conditions = [Booking.booking_id == booking_id, Booking.status == expected.value]
        if owner is not None:
            conditions.append(Booking.lease_owner == owner)
        for name, value in (unchanged or {}).items():
            column = getattr(Booking, name)
            conditions.append(column.is_(None) if value is None else column == value)
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(Booking)
                .where(*conditions)
                .values(updated_at=utcnow(), **fields)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise StaleBookingState(f"booking {booking_id} is no longer {expected}")
            session.add(
                BookingEvent(
                    booking_id=booking_id,
                    event=event,
                    from_status=expected.value,
                    to_status=fields.get("status", expected.value),
                    detail=detail,
                )
            )

    async def add_event(self, booking_id: str, event: str, detail: dict[str, Any] | None = None) -> None:
        async with self._sessions.begin() as session:
            session.add(BookingEvent(booking_id=booking_id, event=event, detail=detail))

    async def claim_stale(
        self, *, owner: str, older_than: datetime, lease_seconds: float, limit: int = 50
    ) -> list[str]:
        """Lease up to `limit` unfinished bookings whose owner's lease ran out (crashed or stuck sagas)."""
        now = utcnow()
        open_states = [s.value for s in BookingStatus if s not in FINAL_STATES]
        async with self._sessions() as session:
            candidates = list(
                await session.scalars(
                    select(Booking.booking_id)
                    .where(
                        Booking.status.in_(open_states),
                        Booking.updated_at < older_than,
                        or_(Booking.lease_until.is_(None), Booking.lease_until < now),
                    )
                    .order_by(Booking.updated_at)
                    .limit(limit)
                )
            )
        claimed = []
        for booking_id in candidates:
            async with self._sessions.begin() as session:
                result = await session.execute(
                    update(Booking)
                    .where(
                        and_(
                            Booking.booking_id == booking_id,
                            Booking.status.in_(open_states),
                            or_(Booking.lease_until.is_(None), Booking.lease_until < now),
                        )
                    )
                    .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_seconds))
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(booking_id)
        return claimed

    async def renew_lease(self, booking_id: str, owner: str, until: datetime) -> bool:
        """Extend `owner`'s lease on an open booking; False if the booking is final or someone else's."""
        open_states = [s.value for s in BookingStatus if s not in FINAL_STATES]
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(Booking)
                .where(Booking.booking_id == booking_id, Booking.lease_owner == owner)
                .where(Booking.status.in_(open_states))
                .values(lease_until=until)
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def release_lease(self, booking_id: str, owner: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(Booking)
                .where(Booking.booking_id == booking_id, Booking.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
                .execution_options(synchronize_session=False)
            )
