"""Refresh chosen nights and room types of a hotel from the PMS, now (webhooks, polling, refusals).

`refresh_nights` reads counts and prices for [start, end) in as few vendor calls as the connector
allows and writes them like a cache fill: one `store_snapshot` per chunk, which bumps the hotel's
view version and never overwrites a night a local booking or cancellation changed after the read
began. `refresh_room_types` re-reads the room-type list. Both report what changed compared with
what was cached before (fresh or last-known-good copies), so a caller can say what a sync did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from roomgate.cache.inventory import InventoryCache
from roomgate.cache.models import CachedNight
from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.domain.stay import date_range
from roomgate.pms.base import PMSConnector, get_inventory_and_rates
from roomgate.pms.types import RoomType
from roomgate.services.fill_window import earliest_today
from roomgate.services.inventory_fill import RATE_QUERY_ADULTS, RATE_QUERY_CHILDREN
from roomgate.services.ports import ConnectorProvider

Night = tuple[str, date]


@dataclass
class RefreshResult:
    """What one refresh wrote: `changed` ⊆ `stored`; `kept_local` were newer local mutations."""

    hotel_id: str
    room_type_ids: list[str]
    start: date
    end: date
    stored: list[Night] = field(default_factory=list)
    changed: list[Night] = field(default_factory=list)
    kept_local: list[Night] = field(default_factory=list)
    pms_calls: int = 0

    def merge(self, other: RefreshResult) -> None:
        self.stored += other.stored
        self.changed += other.changed
        self.kept_local += other.kept_local
        self.pms_calls += other.pms_calls


class CacheRefresher:
    def __init__(
        self,
        cache: InventoryCache,
        connectors: ConnectorProvider,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.cache = cache
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
        result = RefreshResult(hotel_id, rooms, start, max(start, end))
        if end <= start or not rooms:
            return result
        chunk = self._chunk_nights(connector)
        first = start
        while first < end:
            last = min(end, first + timedelta(days=chunk))
            result.merge(await self._refresh_chunk(connector, hotel_id, rooms, first, last))
            first = last
        return result

    async def refresh_room_types(self, vendor: str, hotel_id: str) -> list[RoomType]:
        """Re-read the room-type list and cache it (bumps the view version)."""
        connector = await self.connectors(vendor, hotel_id)
        read_started_at = self.clock.now()
        room_types = await connector.get_room_types()
        await self.cache.put_room_types(hotel_id, room_types, read_started_at=read_started_at)
        return room_types

    # -- internals -------------------------------------------------------------------------------
    def _chunk_nights(self, connector: PMSConnector) -> int:
        caps = [self.cache.settings.max_range_days, getattr(connector, "max_read_nights", None)]
        return max(1, min(cap for cap in caps if isinstance(cap, int)))

    async def _all_room_types(self, connector: PMSConnector) -> list[str]:
        cached = await self.cache.get_room_types(connector.hotel_id)
        if cached is None:
            room_types = await self.refresh_room_types(connector.vendor, connector.hotel_id)
        else:
            room_types = cached.room_types
        return sorted(rt.room_type_id for rt in room_types)

    async def _refresh_chunk(
        self, connector: PMSConnector, hotel_id: str, rooms: list[str], start: date, end: date
    ) -> RefreshResult:
        nights = date_range(start, end)
        before = await self.cache.get_many(hotel_id, rooms, nights, allow_stale=True)
        read_started_at = self.clock.now()
        inventory, rates = await get_inventory_and_rates(
            connector, rooms, start, end, RATE_QUERY_ADULTS, RATE_QUERY_CHILDREN
        )
        stored = await self.cache.store_snapshot(
            hotel_id, rooms, nights, inventory, rates, read_started_at=read_started_at
        )
        counts = {(i.room_type_id, i.date): max(0, i.available) for i in inventory}
        prices = {(r.room_type_id, r.date): r.price for r in rates}
        previous = {(n.room_type_id, n.night): n for rows in before.values() for n in rows}
        changed = [
            key for key in stored.stored if _differs(previous.get(key), counts.get(key, 0), prices.get(key))
        ]
        return RefreshResult(
            hotel_id,
            rooms,
            start,
            end,
            stored=list(stored.stored),
            changed=changed,
            kept_local=list(stored.skipped_mutated),
            pms_calls=1,
        )


def _differs(cached: CachedNight | None, available: int, price: object) -> bool:
    if cached is None or cached.available is None:
        return True
    return cached.available != available or cached.price != price
