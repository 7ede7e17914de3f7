"""The booking ledger in SQL (the `BookingLedger` port of `services/booking_ledger.py`).

Every state change is one conditional UPDATE plus its audit rows, in one transaction; rows map to the
domain `Booking` on the way out. Times come from the injected clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.domain.booking import (
    FINAL_STATES,
    NO_CHANGE,
    Booking,
    BookingAlreadyExists,
    BookingChange,
    BookingEvent,
    BookingNotFound,
    BookingStatus,
    Detail,
    IllegalTransition,
    StaleBookingState,
    Step,
    StepFact,
    can_transition,
    step_path,
)
from roomgate.ledger.models import BookingEventRow, BookingRow

__all__ = [
    "BookingAlreadyExists",
    "BookingNotFound",
    "BookingRepository",
    "StaleBookingState",
    "booking_of",
]

_OPEN_STATES = [s.value for s in BookingStatus if s not in FINAL_STATES]
_COLUMNS = [f.name for f in dataclass_fields(Booking)]


def booking_of(row: BookingRow) -> Booking:
    """The domain booking a row holds."""
    values = {name: getattr(row, name) for name in _COLUMNS}
    values["status"] = BookingStatus(row.status)
    return Booking(**values)


def _values_of(booking: Booking) -> dict[str, Any]:
    values = {name: getattr(booking, name) for name in _COLUMNS}
    values["status"] = booking.status.value
    return values


def _event_of(row: BookingEventRow) -> BookingEvent:
    return BookingEvent(
        booking_id=row.booking_id,
        event=row.event,
        from_status=row.from_status,
        to_status=row.to_status,
        detail=row.detail,
        created_at=row.created_at,
    )


class BookingRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock = SYSTEM_CLOCK) -> None:
        self._sessions = sessions
        self._clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.now(), UTC)

    async def create(self, booking: Booking, *, detail: Detail | None = None) -> Booking:
        try:
            async with self._sessions.begin() as session:
                await session.execute(insert(BookingRow).values(**_values_of(booking)))
                await session.execute(
                    insert(BookingEventRow).values(
                        booking_id=booking.booking_id,
                        event="created",
                        to_status=booking.status.value,
                        detail=detail,
                        created_at=booking.created_at,
                    )
                )
        except IntegrityError as exc:
            raise BookingAlreadyExists(booking.booking_id) from exc
        return booking

    async def get(self, booking_id: str) -> Booking:
        found = await self.find(booking_id)
        if found is None:
            raise BookingNotFound(booking_id)
        return found

    async def find(self, booking_id: str) -> Booking | None:
        async with self._sessions() as session:
            row = await session.scalar(select(BookingRow).where(BookingRow.booking_id == booking_id))
            return None if row is None else booking_of(row)

    async def find_for_reservation(
        self, vendor: str, hotel_id: str, *, reservation_id: str | None, external_id: str | None
    ) -> Booking | None:
        async with self._sessions() as session:
            if external_id:
                row = await session.scalar(select(BookingRow).where(BookingRow.booking_id == external_id))
                if row is not None and row.hotel_id == hotel_id and row.vendor == vendor:
                    return booking_of(row)
            if reservation_id:
                row = await session.scalar(
                    select(BookingRow)
                    .where(
                        BookingRow.vendor == vendor,
                        BookingRow.hotel_id == hotel_id,
                        BookingRow.pms_reservation_id == reservation_id,
                    )
                    .order_by(BookingRow.id)
                    .limit(1)
                )
                return None if row is None else booking_of(row)
        return None

    async def events(self, booking_id: str) -> Sequence[BookingEvent]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(BookingEventRow)
                .where(BookingEventRow.booking_id == booking_id)
                .order_by(BookingEventRow.id)
            )
            return [_event_of(row) for row in rows]

    async def transition(
        self,
        booking_id: str,
        expected: BookingStatus,
        target: BookingStatus,
        *,
        event: str,
        detail: Detail | None = None,
        change: BookingChange = NO_CHANGE,
        owner: str | None = None,
        unchanged: Mapping[StepFact, str | None] | None = None,
        earlier: Sequence[Step] = (),
    ) -> None:
        if not earlier and not can_transition(expected, target):
            raise IllegalTransition(expected, target)
        steps = [*earlier, Step(event, detail)]
        values = {**change.values(), "status": target.value}
        await self._update(booking_id, expected, target, steps, owner, unchanged, values)

    async def record(
        self,
        booking_id: str,
        expected: BookingStatus,
        *,
        event: str,
        detail: Detail | None = None,
        change: BookingChange = NO_CHANGE,
        owner: str | None = None,
    ) -> None:
        steps = [Step(event, detail)]
        await self._update(booking_id, expected, expected, steps, owner, None, change.values())

    async def attach(self, booking_id: str, *, event: str, facts: Mapping[StepFact, str]) -> bool:
        values: dict[str, str] = {str(name): value for name, value in facts.items()}
        empty = [getattr(BookingRow, name).is_(None) for name in values]
        now = self._now()
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(BookingRow)
                .where(BookingRow.booking_id == booking_id, BookingRow.status.in_(_OPEN_STATES), *empty)
                .values(updated_at=now, **values)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return False
            await session.execute(
                insert(BookingEventRow).values(
                    booking_id=booking_id, event=event, detail=values, created_at=now
                )
            )
        return True

    async def _update(
        self,
        booking_id: str,
        expected: BookingStatus,
        target: BookingStatus,
        steps: Sequence[Step],
        owner: str | None,
        unchanged: Mapping[StepFact, str | None] | None,
        values: dict[str, Any],
    ) -> None:
        hops = step_path(expected, target, steps)
        conditions: list[ColumnElement[bool]] = [
            BookingRow.booking_id == booking_id,
            BookingRow.status == expected.value,
        ]
        if owner is not None:
            conditions.append(BookingRow.lease_owner == owner)
        for name, value in (unchanged or {}).items():
            column = getattr(BookingRow, name)
            conditions.append(column.is_(None) if value is None else column == value)
        now = self._now()
        # One transaction, two statements: the conditional UPDATE and every audit row in one INSERT.
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(BookingRow)
                .where(*conditions)
                .values(updated_at=now, **values)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise StaleBookingState(f"booking {booking_id} is no longer {expected}")
            await session.execute(
                insert(BookingEventRow),
                [
                    {
                        "booking_id": booking_id,
                        "event": step.event,
                        "from_status": before.value,
                        "to_status": after.value,
                        "detail": step.detail,
                        "created_at": now,
                    }
                    for step, (before, after) in zip(steps, hops, strict=True)
                ],
            )

    async def add_event(self, booking_id: str, event: str, detail: Detail | None = None) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                insert(BookingEventRow).values(
                    booking_id=booking_id, event=event, detail=detail, created_at=self._now()
                )
            )

    async def claim_stale(
        self, *, owner: str, older_than: datetime, lease_seconds: float, limit: int = 50
    ) -> list[str]:
        now = self._now()
        lapsed = or_(BookingRow.lease_until.is_(None), BookingRow.lease_until < now)
        async with self._sessions() as session:
            candidates = list(
                await session.scalars(
                    select(BookingRow.booking_id)
                    .where(BookingRow.status.in_(_OPEN_STATES), BookingRow.updated_at < older_than, lapsed)
                    .order_by(BookingRow.updated_at)
                    .limit(limit)
                )
            )
        claimed = []
        for booking_id in candidates:
            async with self._sessions.begin() as session:
                result = await session.execute(
                    update(BookingRow)
                    .where(
                        and_(
                            BookingRow.booking_id == booking_id,
                            BookingRow.status.in_(_OPEN_STATES),
                            lapsed,
                        )
                    )
                    .values(
                        lease_owner=owner, lease_until=now + timedelta(seconds=lease_seconds), updated_at=now
                    )
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(booking_id)
        return claimed

    async def renew_lease(self, booking_id: str, owner: str, until: datetime) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(BookingRow)
                .where(BookingRow.booking_id == booking_id, BookingRow.lease_owner == owner)
                .where(BookingRow.status.in_(_OPEN_STATES))
                .values(lease_until=until, updated_at=self._now())
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def release_lease(self, booking_id: str, owner: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(BookingRow)
                .where(BookingRow.booking_id == booking_id, BookingRow.lease_owner == owner)
                .values(lease_owner=None, lease_until=None, updated_at=self._now())
                .execution_options(synchronize_session=False)
            )
