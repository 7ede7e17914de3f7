"""Operator actions on listings: preview a hotel from its PMS, save it (`saveProductToDB`), edit, rotate
its key, disable it. Every change is committed first, then announced to all server processes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.listing import (
    HotelOwnedByOtherVendor,
    ImportChanges,
    ListingDetails,
    ListingImport,
    ListingNotFound,
    NightRow,
    PriceRow,
    RoomTypeImport,
)
from roomgate.domain.money import Money, MoneyError
from roomgate.logging import get_logger
from roomgate.secrets_box import SecretBox, UndecryptableSecret
from roomgate.services.hotel_import import HotelForm, HotelImporter, HotelSnapshot, to_form
from roomgate.services.ports import ListingStore, StoredHotels

log = get_logger(__name__)

ViewBump = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class SaveListing:
    """The form as the operator submits it; PMS facts (counts, prices) are re-read, never trusted."""

    vendor: str
    hotel_id: str
    api_key: str | None
    name: str | None = None
    location: str | None = None
    description: str = ""
    room_type_names: Mapping[str, str] = field(default_factory=dict)
    polling_enabled: bool = True
    polling_interval_seconds: int = 300


def _major(minor: int | None, currency: str) -> Decimal | None:
    return None if minor is None else Money.from_minor(minor, currency).amount


def _coordinate(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 6)))


class ListingsAdmin:
    def __init__(
        self,
        importer: HotelImporter,
        listings: ListingStore,
        hotels: StoredHotels,
        secrets: SecretBox | None,
        bump_view: ViewBump,
    ) -> None:
        self._importer = importer
        self._listings = listings
        self._hotels = hotels
        self._secrets = secrets
        self._bump_view = bump_view

    async def preview(self, vendor: str, hotel_id: str, api_key: str) -> HotelForm:
        """`fetchHotelDataFromPMS` + `convertPMSDataToFormData`; stores nothing."""
        return to_form(await self._importer.fetch(vendor, hotel_id, api_key))

    def _box(self) -> SecretBox:
        if self._secrets is None:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR,
                message="ROOMGATE_SECRET_KEY가 설정되지 않아 API 키를 저장할 수 없습니다",
            )
        return self._secrets

    async def _key_for(self, vendor: str, hotel_id: str, typed: str | None) -> str:
        if typed:
            return typed
        stored = await self._hotels.stored(hotel_id)
        if stored is None or stored.encrypted_api_key is None or stored.config.vendor != vendor:
            raise DomainError(ErrorCode.VALIDATION_ERROR, "apiKey — 새 호텔을 연동하려면 API 키가 필요합니다")
        try:
            return self._box().decrypt(stored.encrypted_api_key)
        except UndecryptableSecret:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR,
                message="저장된 API 키를 읽을 수 없습니다. API 키를 다시 입력하세요 "
                "(ROOMGATE_SECRET_KEY 확인)",
            ) from None

    async def save(self, request: SaveListing) -> tuple[ListingDetails, HotelForm, ImportChanges]:
        """`saveProductToDB`: read the hotel from the PMS with the key, then write everything at once."""
        box = self._box()
        api_key = await self._key_for(request.vendor, request.hotel_id, request.api_key)
        snapshot = await self._importer.fetch(request.vendor, request.hotel_id, api_key)
        form = to_form(snapshot)
        unknown = set(request.room_type_names) - {room.room_type_id for room in form.room_types}
        if unknown:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR,
                f"roomTypes — PMS에 없는 객실 타입입니다: {sorted(unknown)[0][:100]}",
            )
        try:
            data = self._to_import(request, snapshot, form, box.encrypt(api_key) if request.api_key else None)
        except MoneyError:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR, f"지원하지 않는 통화입니다: {form.currency[:10]}"
            ) from None
        try:
            listing_id, changes = await self._listings.save_import(data)
        except HotelOwnedByOtherVendor as exc:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR, f"hotelId — 이미 {exc.vendor}(으)로 연동된 호텔입니다"
            ) from None
        await self._announce(request.hotel_id)
        log.info(
            "listing_imported",
            listing_id=listing_id,
            vendor=request.vendor,
            hotel_id=request.hotel_id,
            created=changes.created,
        )
        return await self._listings.get(listing_id), form, changes

    def _to_import(
        self, request: SaveListing, snapshot: HotelSnapshot, form: HotelForm, encrypted: str | None
    ) -> ListingImport:
        currency = form.currency
        rooms = [
            RoomTypeImport(
                room_type_id=room.room_type_id,
                name=(request.room_type_names.get(room.room_type_id) or room.name).strip()[:200],
                description=room.description,
                max_occupancy=room.max_occupancy,
                total_rooms=room.total_rooms,
                average_price=_major(room.average_price_minor, currency),
                currency=currency,
            )
            for room in form.room_types
        ]
        totals = {room.room_type_id: room.total_rooms for room in form.room_types}
        inventory = [
            NightRow(
                night.room_type_id,
                night.date,
                night.available,
                max(totals.get(night.room_type_id) or 0, night.available),
            )
            for night in snapshot.inventory
        ]
        prices = [
            PriceRow(rate.room_type_id, rate.date, rate.price.amount, rate.price.currency, rate.rate_plan_id)
            for rate in snapshot.rates
        ]
        return ListingImport(
            vendor=request.vendor,
            hotel_id=request.hotel_id,
            encrypted_api_key=encrypted,
            name=(request.name or form.hotel_name).strip()[:200],
            location=(request.location if request.location is not None else form.location).strip()[:300],
            description=request.description,
            latitude=_coordinate(form.latitude),
            longitude=_coordinate(form.longitude),
            currency=currency,
            average_price=_major(form.average_price_minor, currency),
            max_occupancy=form.max_occupancy,
            room_types=rooms,
            inventory=inventory,
            prices=prices,
            polling_enabled=request.polling_enabled,
            polling_interval_seconds=request.polling_interval_seconds,
        )

    async def get(self, listing_id: int) -> ListingDetails:
        try:
            return await self._listings.get(listing_id)
        except ListingNotFound:
            raise DomainError(ErrorCode.NOT_FOUND, f"상품 {listing_id}") from None

    async def update(
        self,
        listing_id: int,
        listing_fields: dict[str, Any],
        config_fields: dict[str, Any],
        new_api_key: str | None = None,
    ) -> tuple[ListingDetails, dict[str, dict[str, Any]]]:
        """Edit fields, polling settings or `enabled`; a new key must work at the PMS before it is kept."""
        record = await self.get(listing_id)
        if new_api_key is not None:
            box = self._box()
            await self._importer.fetch(record.vendor, record.hotel_id, new_api_key)
            config_fields = {**config_fields, "api_key_encrypted": box.encrypt(new_api_key)}
        try:
            changed = await self._listings.update(listing_id, listing_fields, config_fields)
        except ListingNotFound:
            raise DomainError(ErrorCode.NOT_FOUND, f"상품 {listing_id}") from None
        if changed:
            await self._announce(record.hotel_id)
            log.info("listing_updated", listing_id=listing_id, fields=sorted(changed))
        return await self.get(listing_id), changed

    async def _announce(self, hotel_id: str) -> None:
        """After commit: every process re-reads the hotel list; rendered availability answers lapse."""
        await self._hotels.changed()
        try:
            await self._bump_view(hotel_id)
        except Exception as exc:  # the memo entries still lapse at their own expiry
            log.warning("view_version_bump_failed", hotel_id=hotel_id, error=type(exc).__name__)
