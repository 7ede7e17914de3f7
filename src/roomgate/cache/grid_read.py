"""One call of lua/read_range.lua: the nights of several room types and, when asked, the hotel's
room-type list too, so a warm availability request is a single round trip."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from roomgate.cache import keys
from roomgate.cache.packed_script import KeyBlock, PackedScript
from roomgate.cache.read_reply import Grid, decode_grid
from roomgate.cache.room_types import CachedRoomTypes, decode_fresh


class HotelRead:
    """The fresh room-type list (None: not cached) and the nights per room type, decoded (and their
    hits and misses counted) only when `rows()` is first called: a caller that finds it guessed the
    wrong room types drops them unread, as if it had never asked."""

    __slots__ = ("room_types", "_values", "_offset", "_room_type_ids", "_nights", "_mode", "_rows")

    def __init__(
        self,
        room_types: CachedRoomTypes | None,
        values: Sequence[Any],
        offset: int,
        room_type_ids: Sequence[str],
        nights: Sequence[date],
        mode: str,
    ) -> None:
        self.room_types = room_types
        self._values, self._offset, self._mode = values, offset, mode
        self._room_type_ids, self._nights = room_type_ids, nights
        self._rows: Grid | None = None

    def rows(self) -> Grid:
        """Nights per room type, in the order asked for."""
        if self._rows is None:
            self._rows = decode_grid(
                self._values, self._offset, self._room_type_ids, self._nights, self._mode
            )
        return self._rows


async def read(
    script: PackedScript,
    now_ms: int,
    hotel_id: str,
    room_type_ids: Sequence[str],
    nights: Sequence[date],
    mode: str,
    *,
    with_room_types: bool,
) -> HotelRead:
    """Run the read script once; mode 'fresh', 'fallback' (fresh else last-known-good) or 'lkg'."""
    layout = "fresh" if mode == "fresh" else "all"
    grid = grid_keys(hotel_id, tuple(room_type_ids), tuple(nights), layout)
    blocks = [room_types_key(hotel_id), grid] if with_room_types else [grid]
    lead = len(blocks) - 1
    if not grid.names and not lead:
        return HotelRead(None, [], 0, room_type_ids, nights, mode)
    values = json.loads(await script(blocks, [now_ms, layout, lead]))
    room_types = decode_fresh(values[0], now_ms) if lead else None
    return HotelRead(room_types, values, lead, room_type_ids, nights, mode)


@lru_cache(maxsize=1024)
def room_types_key(hotel_id: str) -> KeyBlock:
    """The fresh room-type list's key, as the first KEYS block."""
    return KeyBlock.of([keys.rooms(hotel_id)])


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
