"""`polling_state` rows: one per (vendor, hotel). Sync results are written only by the holder of the
newest lease token (`fence_token` never goes down), so a poller whose lease ran out cannot overwrite."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from roomgate.domain.polling import STOPPED_BY_FAILURES, PollingStatus
from roomgate.ledger.models import PollingState
from roomgate.ledger.types import utcnow


def _status(row: PollingState) -> PollingStatus:
    return PollingStatus(
        vendor=row.vendor,
        hotel_id=row.hotel_id,
        is_running=row.is_running,
        last_sync_at=row.last_sync_at,
        next_sync_at=row.next_sync_at,
        error_count=row.error_count,
        last_error=row.last_error,
        stopped_reason=row.stopped_reason,
        fence_token=row.fence_token,
        delta_synced_to=row.delta_synced_to,
        last_changes=dict(row.last_changes or {}),
    )


class PollingStateRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def get(self, vendor: str, hotel_id: str) -> PollingStatus | None:
        async with self._sessions() as session:
            row = await session.get(PollingState, (vendor, hotel_id))
            return _status(row) if row else None

    async def list_all(self) -> Sequence[PollingStatus]:
        async with self._sessions() as session:
            rows = await session.scalars(select(PollingState).order_by(PollingState.hotel_id))
            return [_status(row) for row in rows]

    async def ensure(
        self, vendor: str, hotel_id: str, next_sync_at: datetime, *, running: bool = True
    ) -> PollingStatus:
        """The hotel's row; a new one starts `running` (an existing one keeps its state, stopped or not)."""
        existing = await self.get(vendor, hotel_id)
        if existing is not None:
            return existing
        try:
            async with self._sessions() as session, session.begin():
                session.add(
                    PollingState(
                        vendor=vendor,
                        hotel_id=hotel_id,
                        is_running=running,
                        next_sync_at=next_sync_at if running else None,
                        error_count=0,
                        fence_token=0,
                    )
                )
        except IntegrityError:
            pass  # another worker created it first
        found = await self.get(vendor, hotel_id)
        assert found is not None
        return found

    async def start(self, vendor: str, hotel_id: str, next_sync_at: datetime) -> PollingStatus:
        """Running again, with a clean error count."""
        await self.ensure(vendor, hotel_id, next_sync_at)
        await self._set(
            vendor,
            hotel_id,
            is_running=True,
            error_count=0,
            last_error=None,
            stopped_reason=None,
            next_sync_at=next_sync_at,
        )
        return await self._get(vendor, hotel_id)

    async def stop(self, vendor: str, hotel_id: str, reason: str, now: datetime) -> PollingStatus:
        await self.ensure(vendor, hotel_id, now)
        await self._set(vendor, hotel_id, is_running=False, stopped_reason=reason, next_sync_at=None)
        return await self._get(vendor, hotel_id)

    async def record_success(
        self,
        vendor: str,
        hotel_id: str,
        fence: int,
        *,
        at: datetime,
        next_sync_at: datetime,
        delta_synced_to: datetime | None,
        changes: dict[str, Any],
    ) -> bool:
        """False when a newer lease holder has written (this poller was fenced off)."""
        values: dict[str, Any] = {
            "last_sync_at": at,
            "error_count": 0,
            "last_error": None,
            "last_changes": changes,
            "fence_token": fence,
        }
        if delta_synced_to is not None:
            values["delta_synced_to"] = delta_synced_to
        async with self._sessions() as session, session.begin():
            row = await session.get(PollingState, (vendor, hotel_id), with_for_update=True)
            if row is None or row.fence_token > fence:
                return False
            for name, value in values.items():
                setattr(row, name, value)
            if row.is_running:
                row.next_sync_at = next_sync_at
            row.updated_at = utcnow()
            return True

    async def record_failure(
        self, vendor: str, hotel_id: str, fence: int, *, error: str, next_sync_at: datetime, limit: int
    ) -> PollingStatus | None:
        """Count a failed poll; the `limit`-th in a row stops polling. None when fenced off."""
        async with self._sessions() as session, session.begin():
            row = await session.get(PollingState, (vendor, hotel_id), with_for_update=True)
            if row is None or row.fence_token > fence:
                return None
            row.fence_token = fence
            row.error_count += 1
            row.last_error = error[:500]
            if row.error_count >= limit and row.is_running:
                row.is_running = False
                row.stopped_reason = STOPPED_BY_FAILURES
                row.next_sync_at = None
            elif row.is_running:
                row.next_sync_at = next_sync_at
            row.updated_at = utcnow()
            return _status(row)

    async def _get(self, vendor: str, hotel_id: str) -> PollingStatus:
        found = await self.get(vendor, hotel_id)
        assert found is not None
        return found

    async def _set(self, vendor: str, hotel_id: str, **values: Any) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(PollingState)
                .where(PollingState.vendor == vendor, PollingState.hotel_id == hotel_id)
                .values(**values, updated_at=utcnow())
            )
