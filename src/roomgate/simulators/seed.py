"""Demo properties shared by the Cloudbeds and Mews simulators (the spec's `hotel_123` / `room_456`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RoomTypeSeed(BaseModel):
    """One room type as `PUT /_sim/properties/{id}` accepts it."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    name: str
    short_name: str = Field(default="", alias="shortName")
    description: str = ""
    max_guests: int = Field(default=2, ge=1, le=20, alias="maxGuests")
    total_rooms: int = Field(default=5, ge=0, le=10_000, alias="totalRooms")
    nightly_rate: Decimal = Field(gt=0, max_digits=14, decimal_places=2, alias="nightlyRate")
    rate_id: str = Field(default="", alias="rateId")
    # Occupancy pricing: the nightly rate covers `adultsIncluded` adults and `childrenIncluded`
    # children (default: every guest the room takes); each further guest costs the extra per night.
    adults_included: int | None = Field(default=None, ge=1, le=20, alias="adultsIncluded")
    children_included: int = Field(default=0, ge=0, le=20, alias="childrenIncluded")
    extra_adult_rate: Decimal = Field(
        default=Decimal(0), ge=0, max_digits=14, decimal_places=2, alias="extraAdultRate"
    )
    extra_child_rate: Decimal = Field(
        default=Decimal(0), ge=0, max_digits=14, decimal_places=2, alias="extraChildRate"
    )

    def included_adults(self) -> int:
        return self.max_guests if self.adults_included is None else self.adults_included

    def nightly_for(self, base: Decimal, adults: int, children: int, *, pooled: bool = False) -> Decimal:
        """The nightly price for this party: base plus each extra adult's and child's charge.
        `pooled` (Mews): the included places (adults + children included) take guests of any age,
        adults first."""
        if pooled:
            places = self.included_adults() + self.children_included
            extra_adults = max(0, adults - places)
            extra_children = max(0, children - max(0, places - adults))
        else:
            extra_adults = max(0, adults - self.included_adults())
            extra_children = max(0, children - self.children_included)
        return base + extra_adults * self.extra_adult_rate + extra_children * self.extra_child_rate

    def rate_plan_id(self) -> str:
        """The Cloudbeds rateID of this room type's base rate."""
        return self.rate_id or f"rate_{self.id}"


class AddressSeed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    country: str = "KR"
    latitude: Decimal | None = None
    longitude: Decimal | None = None


class TaxSeed(BaseModel):
    """A tax or fee the property adds to reservations (Cloudbeds `getTaxesAndFees` item).

    `amountType`: `percentage` (of the room total), `fixed` (per room night) or
    `fixed_per_reservation`; `roomTypes` limits it to those room types (empty: all)."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    type: str = Field(default="tax", pattern="^(tax|fee)$")
    name: str
    code: str = ""
    amount_type: str = Field(
        default="percentage", pattern="^(percentage|fixed|fixed_per_reservation)$", alias="amountType"
    )
    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=4)
    room_types: list[str] = Field(default_factory=list, alias="roomTypes")

    def applies_to(self, room_type_id: str) -> bool:
        return not self.room_types or room_type_id in self.room_types


class PropertySeed(BaseModel):
    """A property: body of `PUT /_sim/properties/{propertyId}` (camelCase accepted)."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    name: str
    currency: str = Field(default="KRW", pattern="^[A-Z]{3}$")
    timezone: str = "Asia/Seoul"
    address: AddressSeed = Field(default_factory=AddressSeed)
    room_types: list[RoomTypeSeed] = Field(default_factory=list, alias="roomTypes")
    # Cloudbeds property policy: new reservations start `confirmed` or `not_confirmed`.
    reservation_status: str = Field(
        default="confirmed", pattern="^(confirmed|not_confirmed)$", alias="reservationStatus"
    )
    taxes: list[TaxSeed] = Field(default_factory=list)


# The same shape `PUT /_sim/properties/{propertyId}` takes.
DEMO_PROPERTIES: dict[str, dict[str, Any]] = {
    "hotel_123": {
        "name": "Roomgate Demo Hotel Seoul",
        "currency": "KRW",
        "timezone": "Asia/Seoul",
        "address": {
            "line1": "110 Sejong-daero",
            "line2": "Jung-gu",
            "city": "Seoul",
            "zip": "04524",
            "country": "KR",
            "latitude": "37.5663",
            "longitude": "126.9779",
        },
        "roomTypes": [
            {
                "id": "room_456",
                "name": "Deluxe Double",
                "shortName": "DLX",
                "maxGuests": 2,
                "totalRooms": 5,
                "nightlyRate": "125000",
                "description": "Queen bed, city view, 28 m²",
            },
            {
                "id": "room_457",
                "name": "Standard Twin",
                "shortName": "STW",
                "maxGuests": 2,
                "totalRooms": 8,
                "nightlyRate": "98000",
                "description": "Two single beds, 22 m²",
            },
            {
                "id": "room_458",
                "name": "Family Suite",
                "shortName": "FST",
                "maxGuests": 4,
                "totalRooms": 2,
                "nightlyRate": "210000",
                "description": "Two rooms, sofa bed, 45 m²",
                # The demo's occupancy pricing: the rate covers two adults and one child.
                "adultsIncluded": 2,
                "childrenIncluded": 1,
                "extraAdultRate": "30000",
                "extraChildRate": "15000",
            },
        ],
        "reservationStatus": "confirmed",
        # Only on the Family Suite, so the spec's room_456 example keeps its 125,000 KRW a night.
        "taxes": [
            {
                "id": "tax_vat_458",
                "name": "VAT",
                "code": "VAT",
                "amountType": "percentage",
                "amount": "10",
                "roomTypes": ["room_458"],
            },
            {
                "id": "fee_city_458",
                "type": "fee",
                "name": "City fee",
                "code": "CITY",
                "amountType": "fixed",
                "amount": "2000",
                "roomTypes": ["room_458"],
            },
        ],
    },
    "hotel_777": {
        "name": "Roomgate Demo Hotel Busan",
        "currency": "KRW",
        "timezone": "Asia/Seoul",
        "address": {
            "line1": "264 Haeundaehaebyeon-ro",
            "line2": "Haeundae-gu",
            "city": "Busan",
            "zip": "48099",
            "country": "KR",
            "latitude": "35.1587",
            "longitude": "129.1604",
        },
        "roomTypes": [
            {
                "id": "room_771",
                "name": "Ocean View Double",
                "shortName": "OVD",
                "maxGuests": 2,
                "totalRooms": 4,
                "nightlyRate": "150000",
                "description": "Sea view, balcony",
            },
            {
                "id": "room_772",
                "name": "Standard Double",
                "shortName": "SDB",
                "maxGuests": 2,
                "totalRooms": 6,
                "nightlyRate": "89000",
                "description": "Double bed, 20 m²",
            },
        ],
        # Busan's policy leaves new Cloudbeds reservations pending, so the confirm step is exercised too.
        "reservationStatus": "not_confirmed",
    },
}


# Only in the Mews simulator: the demo's Mews hotel, so no hotel id is served by two PMSs in the demo
# (roomgate caches a hotel's rooms under its id alone; a hotel belongs to exactly one vendor).
MEWS_DEMO_HOTEL = "hotel_555"
MEWS_ONLY_PROPERTIES: dict[str, dict[str, Any]] = {
    MEWS_DEMO_HOTEL: {
        "name": "Roomgate Demo Hotel Jeju",
        "currency": "KRW",
        "timezone": "Asia/Seoul",
        "address": {"line1": "72 Jungmungwangwang-ro", "city": "Seogwipo", "zip": "63535", "country": "KR"},
        "roomTypes": [
            {
                "id": "room_551",
                "name": "Garden Double",
                "shortName": "GDB",
                "maxGuests": 2,
                "totalRooms": 6,
                "nightlyRate": "140000",
                "description": "Garden view, 26 m²",
            },
            {
                "id": "room_552",
                "name": "Family Ondol",
                "shortName": "FON",
                "maxGuests": 4,
                "totalRooms": 3,
                "nightlyRate": "190000",
                "description": "Floor-heated Korean-style room, 40 m²",
                # Mews occupancy pricing: Capacity 2, extra guests by age category.
                "adultsIncluded": 2,
                "extraAdultRate": "25000",
                "extraChildRate": "10000",
            },
        ],
    },
}


def demo_properties(vendor: str | None = None) -> dict[str, PropertySeed]:
    """Fresh copies of the demo data: Seoul `hotel_123` (room_456 = 125,000 KRW) and Busan `hotel_777`;
    the Mews simulator also has Jeju `hotel_555`."""
    data = {**DEMO_PROPERTIES, **(MEWS_ONLY_PROPERTIES if vendor == "mews" else {})}
    return {pid: PropertySeed.model_validate(seed) for pid, seed in data.items()}
