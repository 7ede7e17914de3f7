"""Fill cache misses from the PMS: one read per fill window per process (single flight), and across
processes one read per window while a short Redis fill lease is held (the others wait and re-read).

A fill reads an aligned block of nights around the request (`fill_window`), counts and prices in
one connector call where the vendor allows it (`get_inventory_and_rates`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from roomgate.cache.fill_lease import FillLease
from roomgate.cache.hotel_read import Grid
from roomgate.cache.inventory import InventoryCache
from roomgate.cache.metrics import INVENTORY_FILLS
from roomgate.clock import Clock
from roomgate.domain.stay import date_range
from roomgate.pms.base import PMSConnector, get_inventory_and_rates
from roomgate.services.availability_models import Source
from roomgate.services.fill_window import earliest_today, fill_window
from roomgate.services.single_flight import SingleFlight

# The party rates are asked for. Connectors that expose the vendor's extra-guest charges (both do)
# answer with the base price plus an occupancy rule, cached in the `rate:` value (README, Redis keys),
# and every party is priced from that rule; for any other connector this party's price is cached.
RATE_QUERY_ADULTS = 1
RATE_QUERY_CHILDREN = 0


@dataclass(frozen=True, slots=True)
class Filled:
    rows: Grid
    source: Source

    def nights(self, offset: int, count: int) -> Filled:
        """The same fill cut to `count` nights from the `offset`-th."""
        return Filled({room: rows[offset : offset + count] for room, rows in self.rows.items()}, self.source)


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
        block_days: int | None = None,
    ) -> None:
        self.cache = cache
        self.lease = lease
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.wait_seconds = wait_seconds
        self.poll_seconds = poll_seconds
        # coalesce=False is a debug hook for negative controls: every miss calls the PMS.
        self.coalesce = coalesce
        # block_days=1 reads exactly the requested nights (the behaviour before fill windows).
        self.block_days = cache.settings.fill_block_days if block_days is None else block_days
        self._flights: SingleFlight[Filled] = SingleFlight()

    @property
    def coalesced(self) -> int:
        """Misses in this process that shared a PMS read another miss had started."""
        return self._flights.shared

    def window(self, connector: PMSConnector, start: date, end: date) -> tuple[date, date]:
        """The nights a fill of [start, end) reads: aligned blocks, within the range and vendor caps."""
        caps = [self.cache.settings.max_range_days, getattr(connector, "max_read_nights", None)]
        return fill_window(
            start,
            end,
            block_days=self.block_days,
            max_nights=min(cap for cap in caps if cap is not None),
            not_before=earliest_today(self.clock.now()),
        )

    async def fill(
        self, connector: PMSConnector, hotel_id: str, room_type_ids: Sequence[str], start: date, end: date
    ) -> Filled:
        """Rows for [start, end) once someone has read their window from the PMS (PMSError propagates)."""
        rooms = sorted(set(room_type_ids))
        first, last = self.window(connector, start, end)
        if not self.coalesce:
            filled = await self._from_pms(connector, hotel_id, rooms, first, last)
        else:
            flight_key = (connector.vendor, hotel_id, tuple(rooms), first, last)
            filled = await self._flights.run(
                flight_key, lambda: self._leased(connector, hotel_id, rooms, first, last)
            )
        return filled.nights((start - first).days, (end - start).days)

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
        try:
            inventory, rates = await get_inventory_and_rates(
                connector, rooms, start, end, RATE_QUERY_ADULTS, RATE_QUERY_CHILDREN
            )
        except Exception:
            INVENTORY_FILLS.labels(outcome="failed").inc()
            raise
        nights = date_range(start, end)
        await self.cache.store_snapshot(
            hotel_id, rooms, nights, inventory, rates, read_started_at=read_started_at
        )
        INVENTORY_FILLS.labels(outcome="pms").inc()
        # Nights a newer local booking kept from being overwritten come back as they are cached.
        return Filled(await self.cache.get_many(hotel_id, rooms, nights), "pms")
