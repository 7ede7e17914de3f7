"""Refresh nights and room types of a hotel from the PMS, written like a cache fill: one read per
chunk, stored with the time the read began so a newer local booking or cancellation is never
overwritten; every write bumps the hotel's view version (store_snapshot and put_room_types do).

The one engine behind polling, reconciliation, webhook effects and the saga's sold-out lesson
(the last two through `services/cache_refresh.py`, which picks the connector and the room types)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from roomgate.cache.inventory import InventoryCache
from roomgate.cache.models import CachedNight
from roomgate.clock import Clock
from roomgate.domain.stay import date_range
from roomgate.pms.base import PMSConnector, get_inventory_and_rates, room_types_and_taxes
from roomgate.pms.types import NightInventory, NightRate, RoomType
from roomgate.services.inventory_fill import RATE_QUERY_ADULTS, RATE_QUERY_CHILDREN

Guard = Callable[[], Awaitable[bool]]


class Fenced(Exception):
    """The poll lost its lease before writing; nothing was written."""


@dataclass(frozen=True, slots=True)
class RefreshResult:
    nights_read: int = 0
    changed: int = 0
    skipped_newer_local: int = 0
    reads: int = 0

    def __add__(self, other: RefreshResult) -> RefreshResult:
        return RefreshResult(
            self.nights_read + other.nights_read,
            self.changed + other.changed,
            self.skipped_newer_local + other.skipped_newer_local,
            self.reads + other.reads,
        )


def chunks(start: date, end: date, size: int) -> list[tuple[date, date]]:
    """[start, end) cut into consecutive ranges of at most `size` nights."""
    out, cursor = [], start
    while cursor < end:
        stop = min(end, cursor + timedelta(days=size))
        out.append((cursor, stop))
        cursor = stop
    return out


class PmsRefresh:
    def __init__(self, cache: InventoryCache, clock: Clock, *, max_nights_per_read: int) -> None:
        self.cache = cache
        self.clock = clock
        self.max_nights_per_read = max_nights_per_read

    async def room_types(
        self, connector: PMSConnector, hotel_id: str, guard: Guard | None = None
    ) -> list[RoomType]:
        """Read the hotel's room types (and its taxes and fees) and cache the list."""
        started = self.clock.now()
        room_types, taxes = await room_types_and_taxes(connector)
        await _check(guard)
        await self.cache.put_room_types(hotel_id, room_types, read_started_at=started, taxes=taxes)
        return room_types

    def ranges(self, connector: PMSConnector, start: date, end: date) -> list[tuple[date, date]]:
        caps = [self.max_nights_per_read, getattr(connector, "max_read_nights", None)]
        return chunks(start, end, min(cap for cap in caps if cap is not None))

    async def nights(
        self,
        connector: PMSConnector,
        hotel_id: str,
        room_type_ids: Sequence[str],
        start: date,
        end: date,
        guard: Guard | None = None,
    ) -> RefreshResult:
        """Counts and prices of [start, end) for these room types (one vendor read per range)."""
        total = RefreshResult()
        for first, last in self.ranges(connector, start, end):
            total += await self._range(connector, hotel_id, sorted(room_type_ids), first, last, guard)
        return total

    async def _range(
        self,
        connector: PMSConnector,
        hotel_id: str,
        rooms: list[str],
        start: date,
        end: date,
        guard: Guard | None,
    ) -> RefreshResult:
        nights = date_range(start, end)
        started = self.clock.now()
        inventory, rates = await get_inventory_and_rates(
            connector, rooms, start, end, RATE_QUERY_ADULTS, RATE_QUERY_CHILDREN
        )
        before = await self.cache.get_many(hotel_id, rooms, nights, allow_stale=True)
        await _check(guard)
        stored = await self.cache.store_snapshot(
            hotel_id, rooms, nights, inventory, rates, read_started_at=started
        )
        written = set(stored.stored)
        changed = sum(1 for key in _differences(before, inventory, rates, rooms, nights) if key in written)
        skipped = len(stored.skipped_mutated) + len(stored.skipped_newer)
        return RefreshResult(len(rooms) * len(nights), changed, skipped, 1)


async def _check(guard: Guard | None) -> None:
    if guard is not None and not await guard():
        raise Fenced


def _differences(
    before: dict[str, list[CachedNight]],
    inventory: Sequence[NightInventory],
    rates: Sequence[NightRate],
    rooms: Sequence[str],
    nights: Sequence[date],
) -> set[tuple[str, date]]:
    """Room-nights whose PMS count or price differs from what was cached (nothing cached counts)."""
    counts = {(i.room_type_id, i.date): i.available for i in inventory}
    prices = {(r.room_type_id, r.date): r.price for r in rates}
    changed: set[tuple[str, date]] = set()
    for room in rooms:
        for cached in before.get(room, []):
            key = (room, cached.night)
            if cached.available != max(0, counts.get(key, 0)) or cached.price != prices.get(key):
                changed.add(key)
    return changed
