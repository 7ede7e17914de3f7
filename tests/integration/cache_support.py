"""Helpers shared by the cache and hold tests: settings, snapshots and a command-counting client."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from roomgate.cache.inventory import InventoryCache
from roomgate.clock import FakeClock
from roomgate.config import Settings, load_settings
from roomgate.domain.money import Money
from roomgate.pms.types import NightInventory, NightRate

HOTEL = "hotel_123"
ROOM = "room_456"
NOV_1 = date(2025, 11, 1)


def nights(count: int, start: date = NOV_1) -> list[date]:
    return [start + timedelta(days=i) for i in range(count)]


def settings(**overrides: Any) -> Settings:
    """Spec TTLs; no jitter unless a test asks for it, so expiry instants are exact."""
    return load_settings(**{"ttl_jitter_ratio": 0.0, **overrides})


def make_cache(redis: Any, clock: FakeClock, **overrides: Any) -> InventoryCache:
    return InventoryCache(redis, settings(**overrides), clock)


async def put_snapshot(
    cache: InventoryCache,
    available: int | dict[date, int],
    night_list: Sequence[date],
    *,
    room: str = ROOM,
    hotel: str = HOTEL,
    price: str = "250000",
    read_started_at: float | None = None,
) -> Any:
    """Store a PMS snapshot of one room type: same count (or per-night counts) and KRW price."""
    counts = available if isinstance(available, dict) else {n: available for n in night_list}
    inventory = [NightInventory(room, n, counts[n]) for n in night_list]
    rates = [NightRate(room, n, Money(Decimal(price), "KRW"), "rp_std") for n in night_list]
    started = cache.clock.now() if read_started_at is None else read_started_at
    return await cache.store_snapshot(
        hotel, [room], list(night_list), inventory, rates, read_started_at=started
    )


class CommandCounter:
    """Counts commands a client sends (wraps the library's `execute_command`, not our code)."""

    def __init__(self, redis: Any) -> None:
        self.commands: list[str] = []
        original = redis.execute_command

        async def counting(*args: Any, **kwargs: Any) -> Any:
            self.commands.append(str(args[0]))
            return await original(*args, **kwargs)

        redis.execute_command = counting
