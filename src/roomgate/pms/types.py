"""Vendor-neutral PMS data, as every connector returns it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from roomgate.domain.money import Money
from roomgate.domain.occupancy import OccupancyPricing


@dataclass(frozen=True, slots=True)
class HotelDetails:
    hotel_id: str
    name: str
    currency: str
    timezone: str | None = None
    address: str = ""
    city: str = ""
    country: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True, slots=True)
class RoomType:
    room_type_id: str
    name: str
    max_occupancy: int
    description: str = ""
    total_rooms: int | None = None


@dataclass(frozen=True, slots=True)
class NightInventory:
    room_type_id: str
    date: date
    available: int


@dataclass(frozen=True, slots=True)
class NightRate:
    """`price` covers the guests the rate includes; `occupancy` (when the vendor exposes it) says
    what each further adult or child costs that night (`domain.occupancy.party_price`)."""

    room_type_id: str
    date: date
    price: Money
    rate_plan_id: str
    occupancy: OccupancyPricing | None = None


@dataclass(frozen=True, slots=True)
class GuestInfo:
    first_name: str
    last_name: str
    email: str
    phone: str = ""
    country: str = "KR"
    zip_code: str = ""

    def __repr__(self) -> str:  # guests' contact details never reach a log through repr()
        return "GuestInfo(<redacted>)"


class ReservationStatus(StrEnum):
    TENTATIVE = "tentative"  # held by the PMS, not yet confirmed (Cloudbeds not_confirmed, Mews Optional)
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    OTHER = "other"  # checked in/out, no-show, ...


@dataclass(frozen=True, slots=True)
class ReservationRequest:
    """A reservation to create; `external_id` is our booking id (Cloudbeds thirdPartyIdentifier)."""

    external_id: str
    room_type_id: str
    check_in: date
    check_out: date
    adults: int
    children: int
    guest: GuestInfo
    total: Money | None = None
    rate_plan_id: str | None = None
    hold_seconds: int | None = None  # vendors with a native tentative state release it after this


@dataclass(frozen=True, slots=True)
class Reservation:
    reservation_id: str
    status: ReservationStatus
    external_id: str | None = None
    room_type_id: str | None = None
    check_in: date | None = None
    check_out: date | None = None
    total: Money | None = None
    confirmation_number: str | None = None
    raw_status: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WebhookSubscription:
    """A PMS webhook subscription (Cloudbeds `getWebhooks` item)."""

    subscription_id: str
    event: str  # "<object>/<action>", e.g. reservation/created
    endpoint: str
