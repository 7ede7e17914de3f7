"""A marketplace listing imported from a PMS: what an import writes, what it changed, what is stored
(pure data, no I/O; the admin import's service and the ledger both speak it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from roomgate.domain.hotel import HotelConfig


class ListingNotFound(LookupError):
    pass


class HotelOwnedByOtherVendor(RuntimeError):
    """The hotel id is already connected through another PMS (a hotel id names one hotel)."""

    def __init__(self, hotel_id: str, vendor: str) -> None:
        super().__init__(f"hotel {hotel_id} is connected through {vendor}")
        self.hotel_id = hotel_id
        self.vendor = vendor


@dataclass(frozen=True, slots=True)
class RoomTypeImport:
    room_type_id: str
    name: str
    description: str
    max_occupancy: int
    total_rooms: int | None
    average_price: Decimal | None
    currency: str


@dataclass(frozen=True, slots=True)
class NightRow:
    room_type_id: str
    night: date
    available: int
    total: int


@dataclass(frozen=True, slots=True)
class PriceRow:
    room_type_id: str
    night: date
    price: Decimal
    currency: str
    rate_plan_id: str


@dataclass(frozen=True, slots=True)
class ListingImport:
    vendor: str
    hotel_id: str
    encrypted_api_key: str | None  # None keeps the stored key (a re-import without a new key)
    name: str
    location: str
    description: str
    latitude: Decimal | None
    longitude: Decimal | None
    currency: str
    average_price: Decimal | None
    max_occupancy: int | None
    room_types: Sequence[RoomTypeImport]
    inventory: Sequence[NightRow]
    prices: Sequence[PriceRow]
    polling_enabled: bool = True
    polling_interval_seconds: int = 300


@dataclass
class ImportChanges:
    created: bool
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → {"from": …, "to": …}
    room_types_added: list[str] = field(default_factory=list)
    room_types_removed: list[str] = field(default_factory=list)
    room_types_updated: list[str] = field(default_factory=list)
    inventory_nights_changed: int = 0
    price_nights_changed: int = 0
    api_key_replaced: bool = False


@dataclass(frozen=True, slots=True)
class StoredHotel:
    """A hotel's stored PMS connection as the hotel directory caches it."""

    config: HotelConfig
    encrypted_api_key: str | None


@dataclass(frozen=True, slots=True)
class RoomTypeDetails:
    room_type_id: str
    name: str
    description: str
    max_occupancy: int
    total_rooms: int | None
    average_price: Decimal | None
    currency: str


@dataclass(frozen=True, slots=True)
class ListingDetails:
    """A saved listing with its PMS connection (never the key itself: only whether one is stored)."""

    id: int
    category: str
    name: str
    location: str
    description: str
    status: str
    currency: str
    average_price: Decimal | None
    max_occupancy: int | None
    latitude: Decimal | None
    longitude: Decimal | None
    vendor: str
    hotel_id: str
    enabled: bool
    polling_enabled: bool
    polling_interval_seconds: int
    api_key_stored: bool
    key_version: int
    last_sync_at: datetime | None
    created_at: datetime
    updated_at: datetime
    room_types: tuple[RoomTypeDetails, ...] = ()
