"""The booking ledger in SQL (the `BookingLedger` port of `services/booking_ledger.py`).

Every state change is one conditional UPDATE plus its audit rows, in one transaction; rows map to the
domain `Booking` on the way out. Times come from the injected clock."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, Update, and_, bindparam, insert, or_, select, update
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
# Writes are Core statements on the tables: the same SQL without the ORM's per-statement bookkeeping.
_BOOKINGS = cast(Table, BookingRow.__table__)
_EVENTS = cast(Table, BookingEventRow.__table__)
_B = _BOOKINGS.c
_COLUMNS = [f.name for f in dataclass_fields(Booking)]
# The saga's writes, built once: SQLAlchemy then reuses their compiled SQL instead of keying each anew.
_INSERT_BOOKING = insert(_BOOKINGS)
_INSERT_EVENT = insert(_EVENTS)


@functools.lru_cache(maxsize=128)
def _conditional_update(
    columns: tuple[str, ...], owned: bool, unchanged: tuple[tuple[str, bool], ...]
) -> Update:
    """`UPDATE bookings SET <columns>, updated_at WHERE id, status [, lease owner] [, facts unchanged]`
    with bound parameters `w_*` (the conditions) and `v_*` (the values); one per shape of change."""
    conditions = [_B.booking_id == bindparam("w_booking_id"), _B.status == bindparam("w_status")]
    if owned:
        conditions.append(_B.lease_owner == bindparam("w_owner"))
    for name, is_null in unchanged:
        conditions.append(_B[name].is_(None) if is_null else _B[name] == bindparam(f"w_{name}"))
    assignments: dict[str, Any] = {name: bindparam(f"v_{name}") for name in (*columns, "updated_at")}
    return update(_BOOKINGS).where(*conditions).values(assignments)


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
                await session.execute(_INSERT_BOOKING, _values_of(booking))
                event = {
                    "booking_id": booking.booking_id,
                    "event": "created",
                    "from_status": None,
                    "to_status": booking.status.value,
                    "detail": detail,
                    "created_at": booking.created_at,
                }
                await session.execute(_INSERT_EVENT, [event])
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
        empty = [_B[name].is_(None) for name in values]
        now = self._now()
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(_BOOKINGS)
                .where(_B.booking_id == booking_id, _B.status.in_(_OPEN_STATES), *empty)
                .values(updated_at=now, **values)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return False
            await session.execute(
                insert(_EVENTS).values(booking_id=booking_id, event=event, detail=values, created_at=now)
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
        unchanged = unchanged or {}
        statement = _conditional_update(
            tuple(values),
            owner is not None,
            tuple((name, value is None) for name, value in unchanged.items()),
        )
        now = self._now()
        params: dict[str, Any] = {"w_booking_id": booking_id, "w_status": expected.value, "w_owner": owner}
        params.update({f"w_{name}": value for name, value in unchanged.items()})
        params.update({f"v_{name}": value for name, value in values.items()}, v_updated_at=now)
        # One transaction, two statements: the conditional UPDATE and every audit row in one INSERT.
        async with self._sessions.begin() as session:
            result = await session.execute(statement, params)
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise StaleBookingState(f"booking {booking_id} is no longer {expected}")
            await session.execute(
                _INSERT_EVENT,
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
                insert(_EVENTS).values(
                    booking_id=booking_id, event=event, detail=detail, created_at=self._now()
                )
            )

    async def claim_stale(
        self, *, owner: str, older_than: datetime, lease_seconds: float, limit: int = 50
    ) -> list[str]:
        now = self._now()
        lapsed = or_(_B.lease_until.is_(None), _B.lease_until < now)
        async with self._sessions() as session:
            candidates = list(
                await session.scalars(
                    select(_B.booking_id)
                    .where(_B.status.in_(_OPEN_STATES), _B.updated_at < older_than, lapsed)
                    .order_by(_B.updated_at)
                    .limit(limit)
                )
            )
        claimed = []
        for booking_id in candidates:
            async with self._sessions.begin() as session:
                result = await session.execute(
                    update(_BOOKINGS)
                    .where(
                        and_(
                            _B.booking_id == booking_id,
                            _B.status.in_(_OPEN_STATES),
                            lapsed,
                        )
                    )
                    .values(
                        lease_owner=owner, lease_until=now + timedelta(seconds=lease_seconds), updated_at=now
                    )
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(booking_id)
        return claimed

    async def renew_lease(self, booking_id: str, owner: str, until: datetime) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(_BOOKINGS)
                .where(_B.booking_id == booking_id, _B.lease_owner == owner)
                .where(_B.status.in_(_OPEN_STATES))
                .values(lease_until=until, updated_at=self._now())
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def release_lease(self, booking_id: str, owner: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(_BOOKINGS)
                .where(_B.booking_id == booking_id, _B.lease_owner == owner)
                .values(lease_owner=None, lease_until=None, updated_at=self._now())
            )
