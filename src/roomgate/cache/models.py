"""What the inventory cache returns: one night of one room type, as cached."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from roomgate.domain.money import Money

# Values per (room type, night) in the reply of lua/read_range.lua.
READ_WIDTH = 13


@dataclass(frozen=True, slots=True)
class CachedNight:
    """PMS available count, active holds and rate of one night; `None` where nothing is cached."""

    room_type_id: str
    night: date
    available: int | None
    held: int
    price: Money | None
    rate_plan_id: str | None
    rate_cached: bool
    read_at: float | None
    stale: bool = False

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


def _int(value: str | int) -> int | None:
    return None if value == "" else int(value)


def _seconds(value: str | int) -> float | None:
    return None if value == "" else int(value) / 1000


def _price(amount: str | int, currency: str | int) -> Money | None:
    if amount == "" or currency == "":
        return None
    return Money(Decimal(str(amount)), str(currency))


def parse_night(room_type_id: str, night: date, row: Sequence[str | int], *, mode: str) -> CachedNight:
    """Build a night from one 13-value group; mode is 'fresh', 'fallback' (fresh else lkg) or 'lkg'."""
    avail, inv_read, held, price, cur, plan, rate_read = (
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
    )
    stale = False
    if mode == "lkg" or (mode == "fallback" and avail == ""):
        avail, inv_read = row[7], row[8]
        stale = stale or avail != ""
    if mode == "lkg" or (mode == "fallback" and rate_read == ""):
        price, cur, plan, rate_read = row[9], row[10], row[11], row[12]
        stale = stale or rate_read != ""
    reads = [t for t in (_seconds(inv_read), _seconds(rate_read)) if t is not None]
    return CachedNight(
        room_type_id=room_type_id,
        night=night,
        available=_int(avail),
        held=int(held),
        price=_price(price, cur),
        rate_plan_id=str(plan) or None,
        rate_cached=rate_read != "",
        read_at=min(reads) if reads else None,
        stale=stale,
    )
