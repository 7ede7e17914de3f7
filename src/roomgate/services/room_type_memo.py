"""Which room types fitted a party last time, per hotel: a guess, never an answer.

The warm availability read fetches the room-type list and the nights in ONE script call, so it must
name the room types' keys before it has the list. It names the ones this memo expects; the list
read in the same call decides, and a wrong guess only costs a second read.
"""

from __future__ import annotations

from collections.abc import Sequence

from roomgate.pms.types import RoomType

# Plenty for every hotel a process serves; past it, start over rather than grow without bound.
MAX_HOTELS = 10_000


class RoomTypeMemo:
    """The last room-type list this process saw per hotel (process memory, guesses only)."""

    def __init__(self, max_hotels: int = MAX_HOTELS) -> None:
        self._seen: dict[str, tuple[RoomType, ...]] = {}
        self._max_hotels = max_hotels

    def fitting(self, hotel_id: str, guests: int) -> list[str]:
        """Ids of the remembered room types that hold `guests`, in list order ([] if none seen)."""
        return [rt.room_type_id for rt in self._seen.get(hotel_id, ()) if rt.max_occupancy >= guests]

    def remember(self, hotel_id: str, room_types: Sequence[RoomType]) -> None:
        """Keep the list just read for the next guess."""
        if hotel_id not in self._seen and len(self._seen) >= self._max_hotels:
            self._seen.clear()
        self._seen[hotel_id] = tuple(room_types)
