"""A warm read right after a multi-night snapshot answers the same on the in-process Redis as on a real
server (fakeredis' cjson once listed a night's rate columns out of order: found by the polling tests)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from roomgate.cache.inventory import InventoryCache
from roomgate.config import load_settings
from roomgate.domain.money import Money
from roomgate.pms.types import NightInventory, NightRate


async def test_read_hotel_returns_each_nights_columns_in_place(any_redis) -> None:  # type: ignore[no-untyped-def]
    # given five nights cached by one snapshot
    cache = InventoryCache(any_redis, load_settings())
    nights = [date(2026, 12, 10) + timedelta(days=i) for i in range(5)]
    price = Money(Decimal(100), "KRW")
    await cache.store_snapshot(
        "h1",
        ["a"],
        nights,
        [NightInventory("a", d, 5) for d in nights],
        [NightRate("a", d, price, "plan-a") for d in nights],
        read_started_at=cache.clock.now(),
    )
    # when one of them is read on the warm path (one packed script reply)
    [night] = (await cache.read_hotel("h1", ["a"], [nights[3]])).rows()["a"]
    # then count, price and rate plan are where they belong
    assert (night.available, night.price, night.rate_plan_id) == (5, price, "plan-a")
