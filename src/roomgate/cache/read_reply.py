"""Decode the packed reply of lua/read_range.lua (one JSON array of strings) into `CachedNight`s.

This is the hot path of every availability request, so the 'fresh' layout has its own tight
loop; the rules are the same as `models.parse_night`, '' meaning "absent" in both layouts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from roomgate.cache.metrics import count_lookups
from roomgate.cache.models import FRESH_WIDTH, READ_WIDTH, CachedNight, cached_price
from roomgate.domain.occupancy import decode_occupancy

Grid = dict[str, list[CachedNight]]


def decode_grid(
    values: Sequence[Any], offset: int, room_type_ids: Sequence[str], nights: Sequence[date], mode: str
) -> Grid:
    """Nights per room type from `values[offset:]`; mode 'fresh' (8-value layout), 'fallback' or
    'lkg' (15-value layout). Counts cache hits and misses per key kind as it goes."""
    width = FRESH_WIDTH if mode == "fresh" else READ_WIDTH
    end = offset + width * len(room_type_ids) * len(nights)
    # zip(*[iterator] * width) cuts the flat list into rows at C speed.
    rows = zip(*[iter(values[offset:end])] * width, strict=True)
    grid: Grid = {room: [] for room in room_type_ids}
    for room in room_type_ids:
        # Not strict: `rows` runs on to the next room type; zip stops at the last night without
        # taking another row from it.
        if width == FRESH_WIDTH:
            grid[room] += [
                CachedNight(
                    room,
                    night,
                    int(avail) if avail else None,
                    int(held),
                    cached_price(amount, currency) if amount and currency else None,
                    plan or None,
                    rate_read != "",
                    _read_at(inv_read, rate_read),
                    False,
                    decode_occupancy(occupancy) if occupancy else None,
                )
                for night, (avail, inv_read, held, amount, currency, plan, rate_read, occupancy) in zip(
                    nights, rows, strict=False
                )
            ]
        else:
            grid[room] += [
                _with_lkg(room, night, row, mode) for night, row in zip(nights, rows, strict=False)
            ]
    _count(values[offset:end], width, mode)
    return grid


def _with_lkg(room: str, night: date, row: Sequence[Any], mode: str) -> CachedNight:
    avail, inv_read, held, amount, currency, plan, rate_read, occupancy = row[:8]
    stale = False
    if mode == "lkg" or avail == "":
        avail, inv_read = row[8], row[9]
        stale = avail != ""
    if mode == "lkg" or rate_read == "":
        amount, currency, plan, rate_read, occupancy = row[10:15]
        stale = stale or rate_read != ""
    return CachedNight(
        room,
        night,
        int(avail) if avail else None,
        int(held),
        cached_price(amount, currency) if amount and currency else None,
        plan or None,
        rate_read != "",
        _read_at(inv_read, rate_read),
        stale,
        decode_occupancy(occupancy) if occupancy else None,
    )


def _read_at(inv_read: str, rate_read: str) -> float | None:
    """When the older of the two PMS reads began (seconds; the reply holds milliseconds)."""
    if not inv_read:
        return int(rate_read) / 1000 if rate_read else None
    if not rate_read:
        return int(inv_read) / 1000
    return min(int(inv_read), int(rate_read)) / 1000


def _count(values: Sequence[Any], width: int, mode: str) -> None:
    """Hits and misses per key kind: fresh copies on every read, last-known-good ones when consulted."""
    # Positions in a row: fresh inv read 1, fresh rate read 6, lkg inv read 9, lkg rate read 13.
    kinds = [("inv", 1), ("rate", 6)] if mode != "lkg" else []
    if mode != "fresh":
        kinds += [("lkg_inv", 9), ("lkg_rate", 13)]
    for kind, position in kinds:
        column = values[position::width]
        misses = column.count("")
        count_lookups(kind, len(column) - misses, misses)
