"""Results of the availability service (plain data; the API layer maps them to JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from roomgate.domain.money import Money
from roomgate.domain.stay import Stay
from roomgate.domain.taxes import TaxLine, added
from roomgate.pms.types import RoomType

# Where an answer came from; the API documents this order (`/openapi.json` enum).
Source = Literal["pms", "cache"]


@dataclass(frozen=True, slots=True)
class NightAvailability:
    date: date
    available: int  # for sale: PMS available minus active holds
    price: Money | None  # None: the PMS offers no price that night (not bookable)
    rate_plan_id: str | None = None

    @property
    def currency(self) -> str | None:
        return self.price.currency if self.price else None


@dataclass(frozen=True, slots=True)
class ViewStamp:
    """What an answer served from one warm cache read depends on, so it can be served again: the
    read itself (hotel, room types, nights: to repeat it), the hotel's view version it saw, when the
    first thing it showed expires (ms) and the oldest PMS read behind it (for `ageSeconds`)."""

    hotel_id: str
    room_type_ids: tuple[str, ...]
    nights: tuple[date, ...]
    version: str
    valid_until_ms: int
    oldest_read: float | None


@dataclass(frozen=True, slots=True)
class RoomTypeInventory:
    hotel_id: str
    room_type_id: str
    nights: list[NightAvailability]
    source: Source  # "pms": read from the PMS for this request; "cache": served from Redis
    age_seconds: float  # age of the oldest data used
    stamp: ViewStamp | None = None  # set when the answer came from one warm read


@dataclass(frozen=True, slots=True)
class StayOption:
    room_type: RoomType
    available: int  # rooms for sale on every night (the minimum over the stay)
    nights: list[NightAvailability]
    total: Money  # the party's room price for the stay, before taxes and fees
    taxes: tuple[TaxLine, ...] = ()  # the hotel's taxes and fees on it, line by line

    @property
    def total_with_taxes(self) -> Money:
        """What the guest pays (and checkout charges): the room total plus non-inclusive taxes."""
        return (
            self.total
            if not self.taxes
            else Money(self.total.amount + added(self.taxes, self.total.currency).amount, self.total.currency)
        )


@dataclass(frozen=True, slots=True)
class StayAvailability:
    hotel_id: str
    stay: Stay
    adults: int
    children: int
    options: list[StayOption]
    source: Source
    age_seconds: float
    stamp: ViewStamp | None = None  # set when the answer came from one warm read


@dataclass(frozen=True, slots=True)
class Revalidation:
    """Whether an answer built from one warm read is still what a new read would give: `outcome`
    "current" (serve it again), "changed" (the hotel's view version moved), "expired" (something it
    showed expired) or "error" (Redis failed); `checked_at` is when (for its `ageSeconds`)."""

    outcome: Literal["current", "changed", "expired", "error"]
    checked_at: float

    @property
    def current(self) -> bool:
        return self.outcome == "current"
