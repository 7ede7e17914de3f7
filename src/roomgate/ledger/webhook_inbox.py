"""The webhook inbox (`webhook_event`): the durable truth behind the Redis Stream.

A row is inserted once per dedupe key (a duplicate delivery finds the row already there), claimed by
one consumer at a time with a conditional UPDATE (a lease), and ends `processed` or `dead`. Rows not
finished by their `next_attempt_at` are handed to the sweeper, which enqueues them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from roomgate.domain.webhook_inbox import InboxEntry, InboxStatus
from roomgate.ledger.models import WebhookEvent

__all__ = ["InboxEntry", "InboxStatus", "Stored", "WebhookInbox"]

OPEN_STATES = (InboxStatus.RECEIVED.value, InboxStatus.RETRY.value)


@dataclass(frozen=True, slots=True)
class Stored:
    row_id: int
    duplicate: bool


def _at(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


class WebhookInbox:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def store(
        self,
        *,
        vendor: str,
        event_id: str,
        event_type: str,
        hotel_id: str | None,
        payload: dict[str, Any],
        now: float,
        enqueue_again_after: float,
    ) -> Stored:
        """Insert the event once; a second delivery with the same (vendor, event id) is a duplicate."""
        row = WebhookEvent(
            vendor=vendor,
            event_id=event_id,
            event_type=event_type,
            hotel_id=hotel_id,
            payload=payload,
            status=InboxStatus.RECEIVED.value,
            received_at=_at(now),
            attempts=0,
            next_attempt_at=_at(now + enqueue_again_after),
        )
        try:
            async with self._sessions.begin() as session:
                session.add(row)
                await session.flush()
                return Stored(row.id, duplicate=False)
        except IntegrityError:
            pass
        async with self._sessions() as session:
            existing = await session.scalar(
                select(WebhookEvent.id).where(
                    WebhookEvent.vendor == vendor, WebhookEvent.event_id == event_id
                )
            )
        if existing is None:  # not a duplicate after all: a real integrity problem
            raise RuntimeError("webhook inbox insert failed")
        return Stored(int(existing), duplicate=True)

    async def claim(self, row_id: int, *, now: float, lease_seconds: float) -> InboxEntry | None:
        """Take the row for processing (counting the attempt), or None when it is finished or another
        consumer's lease on it is still running."""
        when = _at(now)
        claimable = or_(
            WebhookEvent.status.in_(OPEN_STATES),
            and_(
                WebhookEvent.status == InboxStatus.PROCESSING.value,
                or_(WebhookEvent.locked_until.is_(None), WebhookEvent.locked_until <= when),
            ),
        )
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(WebhookEvent)
                .where(WebhookEvent.id == row_id, claimable)
                .values(
                    status=InboxStatus.PROCESSING.value,
                    attempts=WebhookEvent.attempts + 1,
                    locked_until=when + timedelta(seconds=lease_seconds),
                    next_attempt_at=when + timedelta(seconds=lease_seconds),
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = await session.get(WebhookEvent, row_id, populate_existing=True)
        if row is None:
            return None
        return InboxEntry(
            row.id,
            row.vendor,
            row.event_id,
            row.event_type,
            row.hotel_id,
            dict(row.payload or {}),
            row.attempts,
        )

    async def _finish(self, row_id: int, attempts: int, **values: Any) -> bool:
        # Only the claim that counted `attempts` may finish the row (a taken-over consumer may not).
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(WebhookEvent)
                .where(
                    WebhookEvent.id == row_id,
                    WebhookEvent.status == InboxStatus.PROCESSING.value,
                    WebhookEvent.attempts == attempts,
                )
                .values(locked_until=None, **values)
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def mark_processed(self, entry: InboxEntry, *, now: float) -> bool:
        return await self._finish(
            entry.row_id,
            entry.attempts,
            status=InboxStatus.PROCESSED.value,
            processed_at=_at(now),
            next_attempt_at=None,
            error=None,
        )

    async def mark_retry(self, entry: InboxEntry, error: str, *, retry_at: float) -> bool:
        return await self._finish(
            entry.row_id,
            entry.attempts,
            status=InboxStatus.RETRY.value,
            error=error[:500],
            next_attempt_at=_at(retry_at),
        )

    async def mark_dead(self, entry: InboxEntry, error: str, *, now: float) -> bool:
        return await self._finish(
            entry.row_id,
            entry.attempts,
            status=InboxStatus.DEAD.value,
            error=error[:500],
            processed_at=_at(now),
            next_attempt_at=None,
        )

    async def due(self, *, now: float, limit: int = 500, only_retries: bool = False) -> list[int]:
        """Rows whose time to be (re-)enqueued has come: never enqueued, retry due, or a lapsed lease
        (`only_retries`: just the retries, which are not in the stream any more)."""
        when = _at(now)
        states = [InboxStatus.RETRY.value]
        if not only_retries:
            states += [InboxStatus.RECEIVED.value, InboxStatus.PROCESSING.value]
        async with self._sessions() as session:
            rows = await session.scalars(
                select(WebhookEvent.id)
                .where(WebhookEvent.status.in_(states), WebhookEvent.next_attempt_at <= when)
                .order_by(WebhookEvent.next_attempt_at)
                .limit(limit)
            )
            return [int(r) for r in rows]

    async def postpone(self, row_ids: list[int], *, until: float) -> None:
        """The sweeper enqueued these again: don't sweep them before `until`."""
        if not row_ids:
            return
        async with self._sessions.begin() as session:
            await session.execute(
                update(WebhookEvent)
                .where(WebhookEvent.id.in_(row_ids))
                .values(next_attempt_at=_at(until))
                .execution_options(synchronize_session=False)
            )

    async def get(self, row_id: int) -> WebhookEvent | None:
        async with self._sessions() as session:
            return await session.get(WebhookEvent, row_id)

    async def status_of(self, row_id: int) -> InboxStatus | None:
        """The row's status; None when there is no such row."""
        async with self._sessions() as session:
            status = await session.scalar(select(WebhookEvent.status).where(WebhookEvent.id == row_id))
        return None if status is None else InboxStatus(status)

    async def counts(self) -> dict[str, int]:
        """Rows per status (admin view, tests)."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(WebhookEvent.status, func.count()).group_by(WebhookEvent.status)
            )
            return {str(status): int(count) for status, count in rows}
