"""Availability straight from the PMS, for while Redis is unreachable: nothing read from or written
to the cache, no holds known (checkouts are refused meanwhile, so none can be taken).

The connector is the resilient one: breaker and rate limit guard these calls too, on per-process
state while Redis is down (resilience/breaker_fallback.py, `LocalWindow` in ratelimit.py). Every
answer built here says `source: pms`; a PMS failure is the usual `PMSError` (503 at the edge).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from roomgate.cache.models import CachedNight
from roomgate.clock import Clock
from roomgate.domain.stay import date_range
from roomgate.pms.base import PMSConnector, get_inventory_and_rates
from roomgate.pms.types import RoomType
from roomgate.services.inventory_fill import RATE_QUERY_ADULTS, RATE_QUERY_CHILDREN, Filled


async def room_types(connector: PMSConnector) -> list[RoomType]:
    """The hotel's room types, read from the PMS."""
    return list(await connector.get_room_types())


async def read_rows(
    connector: PMSConnector, clock: Clock, room_type_ids: Sequence[str], start: date, end: date
) -> Filled:
    """One PMS read of [start, end) for the room types, shaped like a cache fill (0 available and
    no price where the PMS left a night out, as a stored snapshot would have them)."""
    read_at = clock.now()
    rooms = sorted(set(room_type_ids))
    inventory, rates = await get_inventory_and_rates(
        connector, rooms, start, end, RATE_QUERY_ADULTS, RATE_QUERY_CHILDREN
    )
    counts = {(i.room_type_id, i.date): i.available for i in inventory}
    prices = {(r.room_type_id, r.date): r for r in rates}
    rows: dict[str, list[CachedNight]] = {}
    for room in rooms:
        nights = []
        for night in date_range(start, end):
            rate = prices.get((room, night))
            nights.append(
                CachedNight(
                    room_type_id=room,
                    night=night,
                    available=max(0, counts.get((room, night), 0)),
                    held=0,
                    price=None if rate is None else rate.price,
                    rate_plan_id=None if rate is None else rate.rate_plan_id,
                    rate_cached=True,
                    read_at=read_at,
                    occupancy=None if rate is None else rate.occupancy,
                )
            )
        rows[room] = nights
    return Filled(rows, "pms")
