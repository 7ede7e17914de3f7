"""One call of lua/read_range.lua: the nights of several room types and, when asked, the hotel's
room-type list too, so a warm availability request is a single round trip; and the decoding of its
packed reply (one JSON array of strings) into `CachedNight`s.

Decoding is the hot path of every availability request, so the 'fresh' layout has its own tight
loop; the rules are the same as `models.parse_night`, '' meaning "absent" in both layouts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from roomgate.cache import keys
from roomgate.cache.metrics import count_lookups
from roomgate.cache.models import FRESH_WIDTH, READ_WIDTH, CachedNight, cached_price
from roomgate.cache.packed_script import KeyBlock, PackedScript
from roomgate.cache.room_types import CachedRoomTypes, decode_fresh
from roomgate.domain.occupancy import decode_occupancy

Grid = dict[str, list[CachedNight]]


class HotelRead:
    """The fresh room-type list (None: not cached) and the nights per room type, decoded (and their
    hits and misses counted) only when `rows()` is first called: a caller that finds it guessed the
    wrong room types drops them unread, as if it had never asked.

    `version` is the hotel's view version the read saw (None only for a read that asked Redis
    nothing) and
    `valid_until_ms` when the first thing it read as fresh or active expires: until then, and while
    the version is unchanged, the same read would return the same answer. `unchanged` means the
    caller passed `expect_version` and it was still current, so nothing else was read."""

    __slots__ = (
        "hotel_id",
        "room_types",
        "version",
        "unchanged",
        "_until_ms",
        "_values",
        "_offset",
        "room_type_ids",
        "nights",
        "_mode",
        "_rows",
    )

    def __init__(
        self,
        hotel_id: str,
        room_types: CachedRoomTypes | None,
        values: Sequence[Any],
        offset: int,
        room_type_ids: Sequence[str],
        nights: Sequence[date],
        mode: str,
        *,
        version: str | None = None,
        until_ms: int | None = None,
        unchanged: bool = False,
    ) -> None:
        self.hotel_id = hotel_id
        self.room_types = room_types
        self.version, self.unchanged, self._until_ms = version, unchanged, until_ms
        self._values, self._offset, self._mode = values, offset, mode
        self.room_type_ids, self.nights = tuple(room_type_ids), tuple(nights)
        self._rows: Grid | None = None

    def rows(self) -> Grid:
        """Nights per room type, in the order asked for."""
        if self._rows is None:
            self._rows = decode_grid(self._values, self._offset, self.room_type_ids, self.nights, self._mode)
        return self._rows

    def answers(self, hotel_id: str, room_type_ids: Sequence[str], nights: Sequence[date]) -> bool:
        """Whether this read is the one `read_hotel(hotel_id, room_type_ids, nights)` would make."""
        return (hotel_id, tuple(room_type_ids), tuple(nights)) == (
            self.hotel_id,
            self.room_type_ids,
            self.nights,
        )

    @property
    def valid_until_ms(self) -> int | None:
        """The earliest expiry among the nights read and the room-type list (None: nothing fresh)."""
        ends = [self._until_ms]
        if self.room_types is not None:
            ends.append(self.room_types.fresh_until_ms)
        known = [end for end in ends if end is not None]
        return min(known) if known else None


async def read(
    script: PackedScript,
    now_ms: int,
    hotel_id: str,
    room_type_ids: Sequence[str],
    nights: Sequence[date],
    mode: str,
    *,
    with_room_types: bool,
    expect_version: str | None = None,
) -> HotelRead:
    """Run the read script once; mode 'fresh', 'fallback' (fresh else last-known-good) or 'lkg'."""
    layout = "fresh" if mode == "fresh" else "all"
    grid = grid_keys(hotel_id, tuple(room_type_ids), tuple(nights), layout)
    if not grid.names and not with_room_types:
        return HotelRead(hotel_id, None, [], 0, room_type_ids, nights, mode)
    lead = lead_keys(hotel_id, with_room_types)
    raw = await script([lead, grid], [now_ms, layout, len(lead.names) - 1, expect_version or ""])
    if raw == "=":
        return HotelRead(hotel_id, None, [], 0, room_type_ids, nights, mode, unchanged=True)
    values = json.loads(raw)  # strings; '' = absent
    version, until_ms = values[0], values[1]
    offset = len(lead.names) + 1
    room_types = decode_fresh(values[2] or None, now_ms) if with_room_types else None
    return HotelRead(
        hotel_id,
        room_types,
        values,
        offset,
        room_type_ids,
        nights,
        mode,
        version=version,
        until_ms=int(until_ms) if until_ms else None,
    )


@lru_cache(maxsize=1024)
def lead_keys(hotel_id: str, with_room_types: bool) -> KeyBlock:
    """The first KEYS block: the hotel's view version, then (when asked) its fresh room-type list."""
    names = [keys.view_version(hotel_id)]
    if with_room_types:
        names.append(keys.rooms(hotel_id))
    return KeyBlock.of(names)


@lru_cache(maxsize=256)
def grid_keys(
    hotel_id: str, room_type_ids: tuple[str, ...], nights: tuple[date, ...], layout: str
) -> KeyBlock:
    """The script's KEYS for a grid ('fresh': inv, rate, holds per night; 'all': + both
    last-known-good copies); popular stays repeat, so each block is built and encoded once."""
    names: list[str] = []
    for room in room_type_ids:
        for night in nights:
            names += [keys.inv(hotel_id, room, night), keys.rate(hotel_id, room, night)]
            names.append(keys.night_holds(hotel_id, room, night))
            if layout == "all":
                names += [keys.lkg_inv(hotel_id, room, night), keys.lkg_rate(hotel_id, room, night)]
    return KeyBlock.of(names)


# -- the reply ---------------------------------------------------------------------------------
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
