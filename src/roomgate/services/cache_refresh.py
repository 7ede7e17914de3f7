"""Refresh chosen nights and room types of a hotel from the PMS, now (webhooks, refusals).

`refresh_nights` picks the hotel's connector and room types, skips past nights, and hands the reads
and writes to `PmsRefresh` (services/pms_refresh.py), the engine polling uses too: one vendor read
per chunk, written like a cache fill (never over a newer local booking or cancellation), the view
version bumped. `refresh_room_types` re-reads the room-type list.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.pms.base import PMSConnector
from roomgate.pms.types import RoomType
from roomgate.services.fill_window import earliest_today
from roomgate.services.pms_refresh import PmsRefresh, RefreshResult
from roomgate.services.ports import ConnectorProvider


class CacheRefresher:
    def __init__(
        self, refresh: PmsRefresh, connectors: ConnectorProvider, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self.refresh = refresh
        self.connectors = connectors
        self.clock = clock

    async def refresh_nights(
        self,
        vendor: str,
        hotel_id: str,
        room_type_ids: Sequence[str] | None,
        start: date,
        end: date,
    ) -> RefreshResult:
        """Re-read [start, end) of these room types (None: every room type of the hotel) from the PMS.

        Past nights are skipped; a PMSError propagates (nothing is written then)."""
        connector = await self.connectors(vendor, hotel_id)
        start = max(start, earliest_today(self.clock.now()) - timedelta(days=1))
        rooms = sorted(set(room_type_ids)) if room_type_ids else await self._all_room_types(connector)
        if end <= start or not rooms:
            return RefreshResult()
        return await self.refresh.nights(connector, hotel_id, rooms, start, end)

    async def refresh_room_types(self, vendor: str, hotel_id: str) -> list[RoomType]:
        """Re-read the room-type list and cache it (bumps the view version)."""
        return await self.refresh.room_types(await self.connectors(vendor, hotel_id), hotel_id)

    async def _all_room_types(self, connector: PMSConnector) -> list[str]:
        cached = await self.refresh.cache.get_room_types(connector.hotel_id)
        if cached is None:
            room_types = await self.refresh.room_types(connector, connector.hotel_id)
        else:
            room_types = cached.room_types
        return sorted(rt.room_type_id for rt in room_types)
