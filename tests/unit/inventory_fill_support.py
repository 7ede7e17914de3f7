"""A fake PMS with the combined counts-and-prices read, recording the ranges it was asked for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from roomgate.cache.fill_lease import FillLease
from roomgate.cache.inventory import InventoryCache
from roomgate.clock import FakeClock
from roomgate.config import load_settings
from roomgate.domain.stay import date_range
from roomgate.pms.types import NightInventory, NightRate
from roomgate.services.inventory_fill import InventoryFiller
from tests.unit.availability_support import DOUBLE, FAMILY, HOTEL
from tests.unit.fake_pms_connector import FakePMSConnector


class CombinedReadPMS(FakePMSConnector):
    """`FakePMSConnector` plus `get_inventory_and_rates`; `ranges` lists every (start, end) it read."""

    def __init__(self, max_read_nights: int | None = None) -> None:
        super().__init__(HOTEL, [DOUBLE, FAMILY])
        self.ranges: list[tuple[date, date]] = []
        if max_read_nights is not None:
            self.max_read_nights = max_read_nights

    async def get_inventory_and_rates(
        self, room_type_ids: Sequence[str] | None, start: date, end: date, adults: int, children: int
    ) -> tuple[list[NightInventory], list[NightRate]]:
        self.ranges.append((start, end))
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        await self._enter("get_inventory_and_rates")
        grid = [(room, night) for room in self._rooms(room_type_ids) for night in date_range(start, end)]
        inventory = [
            NightInventory(r, n, self.available.get((r, n), self.default_available)) for r, n in grid
        ]
        rates = [NightRate(r, n, self.default_price, "rp_std") for r, n in grid]
        return inventory, rates


BLOCK_DAYS = 28  # the tests' blocks, whatever ROOMGATE_FILL_BLOCK_DAYS says


def filler_over(redis: Any, clock: FakeClock, *, block_days: int = BLOCK_DAYS) -> InventoryFiller:
    """A filler over `redis` (default settings, no TTL jitter) reading blocks of `block_days` nights."""
    cache = InventoryCache(redis, load_settings(ttl_jitter_ratio=0.0), clock)
    return InventoryFiller(cache, FillLease(redis), clock, block_days=block_days)
