"""Fill cache misses from the PMS: one call per range per process (single flight), and across
processes one call per range while a short Redis fill lease is held (the others wait and re-read)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from roomgate.cache.fill_lease import FillLease
from roomgate.cache.inventory import InventoryCache
from roomgate.cache.metrics import INVENTORY_FILLS
from roomgate.cache.models import CachedNight
from roomgate.clock import Clock
from roomgate.domain.stay import date_range
from roomgate.pms.base import PMSConnector
from roomgate.services.availability_models import Source
from roomgate.services.single_flight import SingleFlight

# Cached prices are the base nightly rate: the cache key has no occupancy (see the report/README).
RATE_QUERY_ADULTS = 1
RATE_QUERY_CHILDREN = 0

Grid = dict[str, list[CachedNight]]


@dataclass(frozen=True, slots=True)
class Filled:
    rows: Grid
    source: Source


def complete(rows: Grid) -> bool:
    """Every night of every room type has its count and rate cached."""
    return all(night.complete for nights in rows.values() for night in nights)


class InventoryFiller:
    """`fill` returns cached rows for the range, calling the PMS only when nobody else is filling it."""

    def __init__(
        self,
        cache: InventoryCache,
        lease: FillLease,
        clock: Clock,
        *,
        lease_seconds: float = 10.0,
        wait_seconds: float = 10.0,
        poll_seconds: float = 0.05,
        coalesce: bool = True,
    ) -> None:
        self.cache = cache
        self.lease = lease
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.wait_seconds = wait_seconds
        self.poll_seconds = poll_seconds
        # coalesce=False is a debug hook for negative controls: every miss calls the PMS.
        self.coalesce = coalesce
        self._flights: SingleFlight[Filled] = SingleFlight()

    async def fill(
        self, connector: PMSConnector, hotel_id: str, room_type_ids: Sequence[str], start: date, end: date
    ) -> Filled:
        """Rows for the range after making sure someone read it from the PMS (PMSError propagates)."""
        rooms = sorted(set(room_type_ids))
        if not self.coalesce:
            return await self._from_pms(connector, hotel_id, rooms, start, end)
        flight_key = (connector.vendor, hotel_id, tuple(rooms), start, end)
        return await self._flights.run(
            flight_key, lambda: self._leased(connector, hotel_id, rooms, start, end)
        )

    async def _leased(
        self, connector: PMSConnector, hotel_id: str, rooms: list[str], start: date, end: date
    ) -> Filled:
        nights = date_range(start, end)
        deadline = self.clock.monotonic() + self.wait_seconds
        while True:
            lease = await self.lease.acquire(
                hotel_id, connector.vendor, rooms, start, end, self.lease_seconds
            )
            # Re-read even under our own lease: the previous holder may have just filled the range.
            rows = await self.cache.get_many(hotel_id, rooms, nights)
            if complete(rows):
                if lease is not None:
                    await self.lease.release(lease)
                INVENTORY_FILLS.labels(outcome="recheck_hit").inc()
                return Filled(rows, "cache")
            if lease is not None or self.clock.monotonic() >= deadline:
                # Past the deadline the holder is presumed dead (its lease will time out): read ourselves.
                try:
                    return await self._from_pms(connector, hotel_id, rooms, start, end)
                finally:
                    if lease is not None:
                        await self.lease.release(lease)
            await self.clock.sleep(self.poll_seconds)

    async def _from_pms(
        self, connector: PMSConnector, hotel_id: str, rooms: list[str], start: date, end: date
    ) -> Filled:
        read_started_at = self.clock.now()
        inventory, rates = await asyncio.gather(
            connector.get_inventory(rooms, start, end),
            connector.get_rates(rooms, start, end, RATE_QUERY_ADULTS, RATE_QUERY_CHILDREN),
            return_exceptions=True,
        )
        for outcome in (inventory, rates):
            if isinstance(outcome, BaseException):
                INVENTORY_FILLS.labels(outcome="failed").inc()
                raise outcome
        assert not isinstance(inventory, BaseException) and not isinstance(rates, BaseException)
        nights = date_range(start, end)
        await self.cache.store_snapshot(
            hotel_id, rooms, nights, inventory, rates, read_started_at=read_started_at
        )
        INVENTORY_FILLS.labels(outcome="pms").inc()
        # Nights a newer local booking kept from being overwritten come back as they are cached.
        return Filled(await self.cache.get_many(hotel_id, rooms, nights), "pms")
