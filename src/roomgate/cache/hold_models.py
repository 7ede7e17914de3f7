"""Outcomes of the hold ledger's operations, and the stored hold record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class HoldStatus(StrEnum):
    HELD = "held"  # new hold, every night reserved
    REPLAYED = "replayed"  # the same hold id was already held: the first outcome, nothing new reserved
    EXPIRED = "expired"  # the id's hold has lapsed (its rooms are back on sale)
    RELEASED = "released"  # the id's hold was released
    CONVERTED = "converted"  # the id's hold became a booking
    CONFLICT = "conflict"  # the id exists with another room type, nights or quantity
    MISSING = "missing"  # a night has no fresh cached count: fill it from the PMS, then retry
    SHORT = "short"  # a night has fewer rooms for sale than asked


@dataclass(frozen=True, slots=True)
class HoldResult:
    status: HoldStatus
    hold_id: str
    expires_at: float | None = None
    night: date | None = None  # the first MISSING or SHORT night
    for_sale: int | None = None  # rooms for sale on that night (SHORT)

    @property
    def ok(self) -> bool:
        """The rooms are held for this id (now or by an earlier identical call)."""
        return self.status in (HoldStatus.HELD, HoldStatus.REPLAYED)


class ReleaseResult(StrEnum):
    RELEASED = "released"
    ALREADY_RELEASED = "already_released"
    EXPIRED = "expired"  # nothing to free: the hold had lapsed
    REFUSED_CONVERTED = "refused_converted"  # a booking exists; cancel it instead
    UNKNOWN = "unknown"


class ConvertResult(StrEnum):
    CONVERTED = "converted"
    CONVERTED_LATE = "converted_late"  # the hold had lapsed; counted because count_if_expired=True
    ALREADY_CONVERTED = "already_converted"
    REFUSED_RELEASED = "refused_released"
    REFUSED_EXPIRED = "refused_expired"  # lapsed before conversion (see count_if_expired)
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class HoldRecord:
    hold_id: str
    room_type_id: str
    nights: list[date]
    quantity: int
    state: str  # held | released | converted | expired (a 'held' record past expires_at is expired)
    expires_at: float
    created_at: float

    def active(self, now: float) -> bool:
        """Still holding rooms at `now`."""
        return self.state == "held" and self.expires_at > now
