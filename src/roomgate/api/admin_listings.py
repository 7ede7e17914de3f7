"""Admin import API (spec §Admin 연동): preview a hotel from its PMS, save it as a listing, list, read,
edit, rotate its key, disable. Bearer `ROOMGATE_ADMIN_TOKEN` or the admin page's session.

API keys go in, never out: answers say only whether a key is stored.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from roomgate.api.deps import AdminDep, ListingsAdminDep, ListingsDep
from roomgate.api.schemas import ID_PATTERN, ErrorOut
from roomgate.domain.listing import ImportChanges, ListingDetails, RoomTypeDetails
from roomgate.domain.money import Money
from roomgate.services.hotel_import import HotelForm
from roomgate.services.listings_admin import SaveListing

router = APIRouter(prefix="/api/admin", tags=["admin: listings"])

_ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": ErrorOut} for status in (400, 401, 404, 503)}
VendorName = Literal["cloudbeds", "mews"]
ListingId = Path(ge=1, le=2**31 - 1)


# -- request bodies ----------------------------------------------------------------------------------
_KEY_CHARACTERS = re.compile(r"^[\x21-\x7e]{1,500}$")


def _printable_key(value: SecretStr | None) -> SecretStr | None:
    """API keys are printable ASCII without spaces (they travel in HTTP headers and JSON bodies)."""
    if value is not None and not _KEY_CHARACTERS.match(value.get_secret_value()):
        raise ValueError("API 키에는 공백 없는 영문, 숫자, 기호만 쓸 수 있습니다")
    return value


class PreviewIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"vendor": "cloudbeds", "hotelId": "hotel_123", "apiKey": "cbat_..."}},
    )

    vendor: VendorName
    hotelId: str = Field(pattern=ID_PATTERN)
    apiKey: SecretStr = Field(min_length=1, max_length=500)

    _key = field_validator("apiKey")(_printable_key)


class RoomTypeNameIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    roomTypeId: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)


class ListingIn(BaseModel):
    """`saveProductToDB`: the pre-filled form after the operator's edits (PMS counts and prices are
    read again from the PMS, not taken from here)."""

    model_config = ConfigDict(extra="forbid")

    vendor: VendorName
    hotelId: str = Field(pattern=ID_PATTERN)
    apiKey: SecretStr | None = Field(
        default=None, min_length=1, max_length=500, description="required for a new hotel"
    )
    name: str | None = Field(default=None, min_length=1, max_length=200)
    location: str | None = Field(default=None, max_length=300)
    description: str = Field(default="", max_length=4000)
    roomTypes: list[RoomTypeNameIn] = Field(default_factory=list, max_length=200)
    pollingEnabled: bool = True
    pollingIntervalSeconds: int = Field(default=300, ge=60, le=86400)

    _key = field_validator("apiKey")(_printable_key)


class ListingPatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    location: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, max_length=4000)
    pollingEnabled: bool | None = None
    pollingIntervalSeconds: int | None = Field(default=None, ge=60, le=86400)
    enabled: bool | None = None
    apiKey: SecretStr | None = Field(
        default=None, min_length=1, max_length=500, description="a new key (tried at the PMS first)"
    )

    _key = field_validator("apiKey")(_printable_key)


# -- answers -----------------------------------------------------------------------------------------
class RoomTypeFormOut(BaseModel):
    roomTypeId: str
    name: str
    description: str
    maxOccupancy: int
    totalRooms: int | None
    averagePrice: int | None = Field(description="minor units of the hotel's currency")
    availableNow: int | None = Field(description="rooms the PMS has for sale tonight")
    minAvailable: int | None = Field(description="fewest rooms for sale over the imported nights")
    highlighted: bool = True


class HotelFormOut(BaseModel):
    vendor: str
    hotelId: str
    hotelName: str
    location: str
    city: str
    country: str
    latitude: float | None
    longitude: float | None
    currency: str
    timezone: str | None
    averagePrice: int | None
    maxOccupancy: int | None
    currentInventory: int = Field(description="rooms for sale tonight, all room types")
    roomTypes: list[RoomTypeFormOut]
    firstNight: date
    nights: int


class PreviewOut(BaseModel):
    success: Literal[True] = True
    form: HotelFormOut


class RoomTypeOut(BaseModel):
    roomTypeId: str
    name: str
    description: str
    maxOccupancy: int
    totalRooms: int | None
    averagePrice: int | None


class ListingOut(BaseModel):
    id: int
    category: str
    name: str
    location: str
    description: str
    status: str
    currency: str
    averagePrice: int | None
    maxOccupancy: int | None
    latitude: float | None
    longitude: float | None
    vendor: str
    hotelId: str
    enabled: bool
    pollingEnabled: bool
    pollingIntervalSeconds: int
    apiKeyStored: bool
    keyVersion: int
    lastSyncAt: datetime | None
    roomTypes: list[RoomTypeOut]
    createdAt: datetime
    updatedAt: datetime


class ChangesOut(BaseModel):
    fields: dict[str, dict[str, Any]] = Field(description='changed fields: {"name": {"from": …, "to": …}}')
    roomTypesAdded: list[str] = []
    roomTypesRemoved: list[str] = []
    roomTypesUpdated: list[str] = []
    inventoryNightsChanged: int = 0
    priceNightsChanged: int = 0
    apiKeyReplaced: bool = False


class SaveOut(BaseModel):
    success: Literal[True] = True
    created: bool
    listing: ListingOut
    changes: ChangesOut


class ListingSummaryOut(BaseModel):
    id: int
    name: str
    location: str
    status: str
    vendor: str
    hotelId: str
    enabled: bool
    averagePrice: int | None
    currency: str
    updatedAt: datetime


class ListingListOut(BaseModel):
    success: Literal[True] = True
    total: int
    listings: list[ListingSummaryOut]


class ListingOneOut(BaseModel):
    success: Literal[True] = True
    listing: ListingOut


class UpdateOut(BaseModel):
    success: Literal[True] = True
    listing: ListingOut
    changed: dict[str, dict[str, Any]]


# -- views -------------------------------------------------------------------------------------------
def minor(amount: Decimal | None, currency: str) -> int | None:
    return None if amount is None else Money.of(amount, currency).minor


def form_out(form: HotelForm) -> HotelFormOut:
    return HotelFormOut(
        vendor=form.vendor,
        hotelId=form.hotel_id,
        hotelName=form.hotel_name,
        location=form.location,
        city=form.city,
        country=form.country,
        latitude=form.latitude,
        longitude=form.longitude,
        currency=form.currency,
        timezone=form.timezone,
        averagePrice=form.average_price_minor,
        maxOccupancy=form.max_occupancy,
        currentInventory=form.current_inventory,
        roomTypes=[
            RoomTypeFormOut(
                roomTypeId=room.room_type_id,
                name=room.name,
                description=room.description,
                maxOccupancy=room.max_occupancy,
                totalRooms=room.total_rooms,
                averagePrice=room.average_price_minor,
                availableNow=room.available_now,
                minAvailable=room.min_available,
            )
            for room in form.room_types
        ],
        firstNight=form.first_night,
        nights=form.nights,
    )


def _room_out(room: RoomTypeDetails) -> RoomTypeOut:
    return RoomTypeOut(
        roomTypeId=room.room_type_id,
        name=room.name,
        description=room.description,
        maxOccupancy=room.max_occupancy,
        totalRooms=room.total_rooms,
        averagePrice=minor(room.average_price, room.currency),
    )


def listing_out(listing: ListingDetails) -> ListingOut:
    return ListingOut(
        id=listing.id,
        category=listing.category,
        name=listing.name,
        location=listing.location,
        description=listing.description,
        status=listing.status,
        currency=listing.currency,
        averagePrice=minor(listing.average_price, listing.currency),
        maxOccupancy=listing.max_occupancy,
        latitude=None if listing.latitude is None else float(listing.latitude),
        longitude=None if listing.longitude is None else float(listing.longitude),
        vendor=listing.vendor,
        hotelId=listing.hotel_id,
        enabled=listing.enabled,
        pollingEnabled=listing.polling_enabled,
        pollingIntervalSeconds=listing.polling_interval_seconds,
        apiKeyStored=listing.api_key_stored,
        keyVersion=listing.key_version,
        lastSyncAt=listing.last_sync_at,
        roomTypes=[_room_out(room) for room in listing.room_types],
        createdAt=listing.created_at,
        updatedAt=listing.updated_at,
    )


def summary_out(listing: ListingDetails) -> ListingSummaryOut:
    return ListingSummaryOut(
        id=listing.id,
        name=listing.name,
        location=listing.location,
        status=listing.status,
        vendor=listing.vendor,
        hotelId=listing.hotel_id,
        enabled=listing.enabled,
        averagePrice=minor(listing.average_price, listing.currency),
        currency=listing.currency,
        updatedAt=listing.updated_at,
    )


def changes_out(changes: ImportChanges) -> ChangesOut:
    return ChangesOut(
        fields=changes.fields,
        roomTypesAdded=changes.room_types_added,
        roomTypesRemoved=changes.room_types_removed,
        roomTypesUpdated=changes.room_types_updated,
        inventoryNightsChanged=changes.inventory_nights_changed,
        priceNightsChanged=changes.price_nights_changed,
        apiKeyReplaced=changes.api_key_replaced,
    )


def save_request(body: ListingIn) -> SaveListing:
    return SaveListing(
        vendor=body.vendor,
        hotel_id=body.hotelId,
        api_key=body.apiKey.get_secret_value() if body.apiKey else None,
        name=body.name,
        location=body.location,
        description=body.description,
        room_type_names={room.roomTypeId: room.name for room in body.roomTypes},
        polling_enabled=body.pollingEnabled,
        polling_interval_seconds=body.pollingIntervalSeconds,
    )


# -- routes ------------------------------------------------------------------------------------------
@router.post("/pms/preview", response_model=PreviewOut, responses=_ERRORS)
async def preview(body: PreviewIn, _admin: AdminDep, listings_admin: ListingsAdminDep) -> PreviewOut:
    """`fetchHotelDataFromPMS` + `convertPMSDataToFormData`: the product form from the PMS; stores nothing.

    Wrong key → 400 `PMS_AUTH_FAILED`; hotel unknown to the PMS → 404; PMS down → 503."""
    form = await listings_admin.preview(body.vendor, body.hotelId, body.apiKey.get_secret_value())
    return PreviewOut(form=form_out(form))


@router.post("/listings", response_model=SaveOut, responses=_ERRORS)
async def save_listing(body: ListingIn, _admin: AdminDep, listings_admin: ListingsAdminDep) -> SaveOut:
    """`saveProductToDB`: listing, room types, room_inventory, rate_plan and pms_config in one transaction.

    Saving a hotel that exists updates it (never a duplicate); `changes` says what changed."""
    record, _form, changes = await listings_admin.save(save_request(body))
    return SaveOut(created=changes.created, listing=listing_out(record), changes=changes_out(changes))


@router.get("/listings", response_model=ListingListOut, responses=_ERRORS)
async def list_listings(
    _admin: AdminDep,
    listings: ListingsDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ListingListOut:
    total, rows = await listings.list_listings(offset=offset, limit=limit)
    return ListingListOut(total=total, listings=[summary_out(listing) for listing in rows])


@router.get("/listings/{listing_id}", response_model=ListingOneOut, responses=_ERRORS)
async def get_listing(
    _admin: AdminDep, listings_admin: ListingsAdminDep, listing_id: int = ListingId
) -> ListingOneOut:
    return ListingOneOut(listing=listing_out(await listings_admin.get(listing_id)))


@router.patch("/listings/{listing_id}", response_model=UpdateOut, responses=_ERRORS)
async def update_listing(
    body: ListingPatchIn, _admin: AdminDep, listings_admin: ListingsAdminDep, listing_id: int = ListingId
) -> UpdateOut:
    """Edit fields and polling settings, rotate the API key (tried at the PMS first), enable or disable."""
    listing_fields = {
        name: value
        for name, value in (
            ("name", body.name),
            ("location", body.location),
            ("description", body.description),
        )
        if value is not None
    }
    config_fields = {
        name: value
        for name, value in (
            ("polling_enabled", body.pollingEnabled),
            ("polling_interval_seconds", body.pollingIntervalSeconds),
            ("enabled", body.enabled),
        )
        if value is not None
    }
    key = body.apiKey.get_secret_value() if body.apiKey else None
    record, changed = await listings_admin.update(listing_id, listing_fields, config_fields, key)
    return UpdateOut(listing=listing_out(record), changed=changed)


@router.post("/listings/{listing_id}/disable", response_model=UpdateOut, responses=_ERRORS)
async def disable_listing(
    _admin: AdminDep, listings_admin: ListingsAdminDep, listing_id: int = ListingId
) -> UpdateOut:
    """Stop selling the hotel: availability and checkout answer 404 on every server process."""
    record, changed = await listings_admin.update(listing_id, {}, {"enabled": False})
    return UpdateOut(listing=listing_out(record), changed=changed)


@router.post("/listings/{listing_id}/enable", response_model=UpdateOut, responses=_ERRORS)
async def enable_listing(
    _admin: AdminDep, listings_admin: ListingsAdminDep, listing_id: int = ListingId
) -> UpdateOut:
    record, changed = await listings_admin.update(listing_id, {}, {"enabled": True})
    return UpdateOut(listing=listing_out(record), changed=changed)
