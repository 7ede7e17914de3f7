"""The room lines of a multi-room checkout: which room types, how many rooms, the party per room."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Allow-list sizes of one checkout (README "Several rooms in one checkout"); Settings may lower them.
MAX_ROOM_LINES = 10
MAX_ROOMS = 10


@dataclass(frozen=True, slots=True)
class RoomLine:
    """`quantity` rooms of one room type, each for `adults` + `children`."""

    room_type_id: str
    quantity: int
    adults: int
    children: int

    @property
    def guests(self) -> int:
        return self.adults + self.children


@dataclass(frozen=True, slots=True)
class StoredRoomLine:
    """A booking's line as the ledger keeps it: its price and the PMS reservations made for it."""

    line: RoomLine
    total_minor: int  # this line's price: every night, every room of it
    pms_reservation_ids: tuple[str, ...] = ()


class RoomLinesError(ValueError):
    """A list of room lines a checkout cannot take (the message is for the guest)."""


def checked_lines(lines: Sequence[RoomLine], max_lines: int, max_rooms: int) -> tuple[RoomLine, ...]:
    """`lines` if they make one bookable checkout: 1..max_lines lines, each of a distinct room type and
    a quantity of at least 1, at most `max_rooms` rooms in all, at least one adult per room.

    A room type listed twice is refused, not merged: the two lines may name different parties, and
    Cloudbeds keys `adults[]`/`children[]` by room type, so they could not be told apart there."""
    if not lines:
        raise RoomLinesError("rooms에 객실을 1개 이상 지정해야 합니다")
    if len(lines) > max_lines:
        raise RoomLinesError(f"rooms는 최대 {max_lines}줄까지 지정할 수 있습니다")
    seen: set[str] = set()
    for line in lines:
        if line.room_type_id in seen:
            raise RoomLinesError(f"같은 객실 타입을 두 번 지정할 수 없습니다: {line.room_type_id}")
        seen.add(line.room_type_id)
        if line.quantity < 1:
            raise RoomLinesError("rooms[].quantity는 1 이상이어야 합니다")
        if line.adults < 1 or line.children < 0:
            raise RoomLinesError("객실마다 성인 1명 이상이 필요합니다")
    total = sum(line.quantity for line in lines)
    if total > max_rooms:
        raise RoomLinesError(f"한 번에 최대 {max_rooms}실까지 예약할 수 있습니다 (요청 {total}실)")
    return tuple(lines)


def total_rooms(lines: Sequence[RoomLine]) -> int:
    return sum(line.quantity for line in lines)
