"""What the inventory cache returns: one night of one room type, as cached."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from roomgate.domain.money import Money
from roomgate.domain.occupancy import OccupancyPricing, decode_occupancy, party_price

# Values per (room type, night) in lua/read_range.lua's array reply (and its packed 'all' layout).
READ_WIDTH = 15
# Values per (room type, night) in its packed 'fresh' layout: no last-known-good columns.
FRESH_WIDTH = 8


class CachedNight(NamedTuple):
    """PMS available count, active holds and rate of one night; `None` where nothing is cached.

    An immutable record like the other cache types, but a NamedTuple: a warm availability request
    builds one per room type and night (90 for a 30-night stay of three room types), and a tuple is
    built about four times faster than a frozen dataclass."""

    room_type_id: str
    night: date
    available: int | None
    held: int
    price: Money | None
    rate_plan_id: str | None
    rate_cached: bool
    read_at: float | None
    stale: bool = False
    occupancy: OccupancyPricing | None = None  # extra-guest charges on top of `price`, if any

    def price_for(self, adults: int, children: int) -> Money | None:
        """The night's price for this party (`price` covers the guests the rate includes)."""
        return None if self.price is None else party_price(self.price, self.occupancy, adults, children)

    @property
    def for_sale(self) -> int:
        """PMS available minus active holds (never negative)."""
        return max(0, (self.available or 0) - self.held)

    @property
    def complete(self) -> bool:
        """Both the count and the rate are cached (a rate may be cached as 'no price offered')."""
        return self.available is not None and self.rate_cached

    def age(self, now: float) -> float | None:
        """Seconds since the PMS read behind this entry began."""
        return None if self.read_at is None else max(0.0, now - self.read_at)


@dataclass(frozen=True, slots=True)
class StoreResult:
    """What a snapshot write did, per (room type, night) inventory entry."""

    stored: list[tuple[str, date]] = field(default_factory=list)
    skipped_mutated: list[tuple[str, date]] = field(default_factory=list)
    skipped_newer: list[tuple[str, date]] = field(default_factory=list)


@lru_cache(maxsize=4096)
def cached_price(amount: str, currency: str) -> Money | None:
    """The Money of a cached price ('' = no price); a hotel has few distinct prices, and Money is
    immutable, so nights share one instance instead of re-validating the same Decimal each time."""
    if amount == "" or currency == "":
        return None
    return Money(Decimal(amount), currency)


def _int(value: str | int) -> int | None:
    return None if value == "" else int(value)


def _seconds(value: str | int) -> float | None:
    return None if value == "" else int(value) / 1000


def parse_night(room_type_id: str, night: date, row: Sequence[str | int], *, mode: str) -> CachedNight:
    """Build a night from one 15-value group of the array reply; mode is 'fresh', 'fallback'
    (fresh else lkg) or 'lkg'."""
    avail, inv_read, held, price, cur, plan, rate_read, occupancy = row[:8]
    stale = False
    if mode == "lkg" or (mode == "fallback" and avail == ""):
        avail, inv_read = row[8], row[9]
        stale = stale or avail != ""
    if mode == "lkg" or (mode == "fallback" and rate_read == ""):
        price, cur, plan, rate_read, occupancy = row[10], row[11], row[12], row[13], row[14]
        stale = stale or rate_read != ""
    reads = [t for t in (_seconds(inv_read), _seconds(rate_read)) if t is not None]
    return CachedNight(
        room_type_id=room_type_id,
        night=night,
        available=_int(avail),
        held=int(held),
        price=cached_price(str(price), str(cur)),
        rate_plan_id=str(plan) or None,
        rate_cached=rate_read != "",
        read_at=min(reads) if reads else None,
        stale=stale,
        occupancy=decode_occupancy(str(occupancy)),
    )
