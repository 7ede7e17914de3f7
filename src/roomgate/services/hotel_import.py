"""The spec's admin import: `fetchHotelDataFromPMS` (read a hotel with a key typed by an operator) and
`convertPMSDataToFormData` (turn it into the product form: name, location, room types, average price,
max occupancy, current inventory).

A preview talks to the PMS directly, without the breaker or retries of live traffic: a mistyped key
must not open the breaker of a hotel that is selling, and an operator waiting on a modal wants the
PMS's answer, not three backed-off retries.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from roomgate.clock import Clock
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.logging import get_logger
from roomgate.pms.base import ChecksCredentials, PMSConnector, get_inventory_and_rates
from roomgate.pms.errors import PMSAuthenticationError, PMSBadRequest, PMSError, PMSNotFound
from roomgate.pms.types import HotelDetails, NightInventory, NightRate, RoomType

log = get_logger(__name__)

IMPORT_DAYS = 30

ConnectWithKey = Callable[[str, str, str], Awaitable[PMSConnector]]


@dataclass(frozen=True, slots=True)
class HotelSnapshot:
    """What `fetchHotelDataFromPMS` read: the hotel, its room types and the next nights."""

    vendor: str
    hotel_id: str
    hotel: HotelDetails
    room_types: Sequence[RoomType]
    inventory: Sequence[NightInventory]
    rates: Sequence[NightRate]
    first_night: date
    end: date  # exclusive


@dataclass(frozen=True, slots=True)
class RoomTypeForm:
    room_type_id: str
    name: str
    description: str
    max_occupancy: int
    total_rooms: int | None
    average_price_minor: int | None
    available_now: int | None  # rooms for sale tonight (PMS count)
    min_available: int | None  # lowest count over the imported nights


@dataclass(frozen=True, slots=True)
class HotelForm:
    """`convertPMSDataToFormData`: the product form the admin page pre-fills."""

    vendor: str
    hotel_id: str
    hotel_name: str
    location: str
    city: str
    country: str
    latitude: float | None
    longitude: float | None
    currency: str
    timezone: str | None
    average_price_minor: int | None
    max_occupancy: int | None
    current_inventory: int
    room_types: Sequence[RoomTypeForm]
    first_night: date
    nights: int


def hotel_today(hotel: HotelDetails, now: float) -> date:
    """Today at the hotel (its time zone when the PMS names one, else UTC)."""
    zone = UTC
    if hotel.timezone:
        try:
            zone = ZoneInfo(hotel.timezone)  # type: ignore[assignment]
        except (ZoneInfoNotFoundError, ValueError):
            zone = UTC
    return datetime.fromtimestamp(now, zone).date()


def _average_minor(rates: Sequence[NightRate]) -> int | None:
    if not rates:
        return None
    mean = Decimal(sum(rate.price.minor for rate in rates)) / len(rates)
    return int(mean.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_form(snapshot: HotelSnapshot) -> HotelForm:
    """`convertPMSDataToFormData`."""
    hotel = snapshot.hotel
    inventory_by_room: dict[str, list[NightInventory]] = {}
    for night in snapshot.inventory:
        inventory_by_room.setdefault(night.room_type_id, []).append(night)
    rates_by_room: dict[str, list[NightRate]] = {}
    for rate in snapshot.rates:
        rates_by_room.setdefault(rate.room_type_id, []).append(rate)
    rooms = []
    for room in snapshot.room_types:
        nights = sorted(inventory_by_room.get(room.room_type_id, []), key=lambda n: n.date)
        tonight = next((n.available for n in nights if n.date == snapshot.first_night), None)
        rooms.append(
            RoomTypeForm(
                room_type_id=room.room_type_id,
                name=room.name,
                description=room.description,
                max_occupancy=room.max_occupancy,
                total_rooms=room.total_rooms,
                average_price_minor=_average_minor(rates_by_room.get(room.room_type_id, [])),
                available_now=tonight,
                min_available=min((n.available for n in nights), default=None),
            )
        )
    location = ", ".join(part for part in (hotel.address, hotel.city, hotel.country) if part)
    priced = [r.average_price_minor for r in rooms if r.average_price_minor is not None]
    return HotelForm(
        vendor=snapshot.vendor,
        hotel_id=snapshot.hotel_id,
        hotel_name=hotel.name,
        location=location,
        city=hotel.city,
        country=hotel.country,
        latitude=hotel.latitude,
        longitude=hotel.longitude,
        currency=hotel.currency or next((r.price.currency for r in snapshot.rates), "KRW"),
        timezone=hotel.timezone,
        average_price_minor=round(sum(priced) / len(priced)) if priced else None,
        max_occupancy=max((r.max_occupancy for r in rooms), default=None),
        current_inventory=sum(r.available_now or 0 for r in rooms),
        room_types=rooms,
        first_night=snapshot.first_night,
        nights=(snapshot.end - snapshot.first_night).days,
    )


class HotelImporter:
    """`fetchHotelDataFromPMS`: read a hotel with the vendor, id and key an operator typed in."""

    def __init__(self, connect: ConnectWithKey, clock: Clock, days: int = IMPORT_DAYS) -> None:
        self._connect = connect
        self._clock = clock
        self._days = days

    async def fetch(self, vendor: str, hotel_id: str, api_key: str) -> HotelSnapshot:
        """Raises DomainError: PMS_AUTH_FAILED (wrong key), NOT_FOUND (unknown hotel), PMS_UNAVAILABLE."""
        connector = await self._connect(vendor, hotel_id, api_key)
        try:
            hotel = await connector.get_hotel_details()
            room_types = await connector.get_room_types()
            first = hotel_today(hotel, self._clock.now())
            end = first + timedelta(days=self._days)
            ids = [room.room_type_id for room in room_types]
            inventory, rates = await get_inventory_and_rates(connector, ids, first, end, 1, 0)
        except PMSAuthenticationError:
            # Both vendors refuse a hotel the key cannot reach exactly like a wrong key; ask once
            # more without a hotel to tell "wrong key" from "no such hotel for this key".
            if await self._key_works(connector):
                raise self._not_found(vendor, hotel_id) from None
            log.info("pms_preview_refused", vendor=vendor, hotel_id=hotel_id, reason="authentication")
            raise DomainError(ErrorCode.PMS_AUTH_FAILED) from None
        except PMSNotFound:
            raise self._not_found(vendor, hotel_id) from None
        except PMSBadRequest:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR, f"PMS({vendor})가 호텔 {hotel_id} 요청을 거절했습니다"
            ) from None
        except PMSError as exc:
            log.warning("pms_preview_failed", vendor=vendor, hotel_id=hotel_id, error=type(exc).__name__)
            raise DomainError(
                ErrorCode.PMS_UNAVAILABLE,
                message=f"PMS({vendor})에 연결할 수 없습니다. 잠시 후 다시 시도하세요",
            ) from None
        return HotelSnapshot(vendor, hotel_id, hotel, room_types, inventory, rates, first, end)

    @staticmethod
    def _not_found(vendor: str, hotel_id: str) -> DomainError:
        return DomainError(
            ErrorCode.NOT_FOUND, message=f"PMS({vendor})에서 호텔 {hotel_id}을(를) 찾을 수 없습니다"
        )

    @staticmethod
    async def _key_works(connector: PMSConnector) -> bool:
        if not isinstance(connector, ChecksCredentials):
            return False
        try:
            return await connector.credentials_valid()
        except PMSError:
            return False
