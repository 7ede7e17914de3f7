"""Mews Connector API objects read into our vendor-neutral types."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from roomgate.domain.money import Money
from roomgate.domain.occupancy import OccupancyPricing
from roomgate.pms.mews_time import local_date
from roomgate.pms.types import (
    HotelDetails,
    NightInventory,
    NightRate,
    Reservation,
    ReservationStatus,
    RoomType,
)

if TYPE_CHECKING:
    from roomgate.pms.mews_setup import MewsSetup

# Service order states; Optional is the enterprise holding the room (our tentative hold).
STATES = {
    "Optional": ReservationStatus.TENTATIVE,
    "Confirmed": ReservationStatus.CONFIRMED,
    "Canceled": ReservationStatus.CANCELLED,
}
_LANGUAGES = ("en-US", "en-GB", "ko-KR")


def localized(texts: Any) -> str:
    """One text out of a Mews localized-text dictionary: English or Korean first, else any."""
    if not isinstance(texts, dict) or not texts:
        return ""
    for language in _LANGUAGES:
        if texts.get(language):
            return str(texts[language])
    return str(next(iter(texts.values())) or "")


def default_currency(enterprise: dict[str, Any]) -> str:
    currencies = enterprise.get("Currencies") or []
    chosen = next((c for c in currencies if c.get("IsDefault")), currencies[0] if currencies else {})
    return str(chosen.get("Currency") or "").upper()


def parse_hotel(hotel_id: str, enterprise: dict[str, Any]) -> HotelDetails:
    address = enterprise.get("Address") or {}
    line = ", ".join(part for part in (address.get("Line1"), address.get("Line2")) if part)
    return HotelDetails(
        hotel_id=hotel_id,
        name=str(enterprise.get("Name") or ""),
        currency=default_currency(enterprise),
        timezone=enterprise.get("TimeZoneIdentifier") or None,
        address=line,
        city=str(address.get("City") or ""),
        country=str(address.get("CountryCode") or ""),
        latitude=_coordinate(address.get("Latitude")),
        longitude=_coordinate(address.get("Longitude")),
    )


def _coordinate(value: Any) -> float | None:
    return float(value) if value is not None else None


def parse_room_type(category: dict[str, Any]) -> RoomType:
    return RoomType(
        room_type_id=str(category["Id"]),
        name=localized(category.get("Names")),
        # Capacity: the places the price includes; ExtraCapacity: extra beds on top.
        max_occupancy=int(category.get("Capacity") or 0) + int(category.get("ExtraCapacity") or 0),
        description=localized(category.get("Descriptions")),
    )


def parse_reservation(item: dict[str, Any], zone: ZoneInfo) -> Reservation:
    """A reservation in either shape: `reservations/add` (ver 2017-04-12) or `getAll/2023-06-06`."""
    start = item.get("ScheduledStartUtc") or item.get("StartUtc")
    end = item.get("ScheduledEndUtc") or item.get("EndUtc")
    category = item.get("RequestedResourceCategoryId") or item.get("RequestedCategoryId")
    raw_state = str(item.get("State") or "")
    extra = {"release_utc": str(item["ReleasedUtc"])} if item.get("ReleasedUtc") else {}
    return Reservation(
        reservation_id=str(item["Id"]),
        status=STATES.get(raw_state, ReservationStatus.OTHER),
        external_id=item.get("ChannelNumber") or None,
        room_type_id=str(category) if category else None,
        check_in=local_date(str(start), zone) if start else None,
        check_out=local_date(str(end), zone) if end else None,
        confirmation_number=str(item.get("Number") or "") or None,
        raw_status=raw_state,
        extra=extra,
    )


def availability(
    answer: dict[str, Any], zone: ZoneInfo, room_type_ids: Sequence[str] | None, start: date, end: date
) -> list[NightInventory]:
    """A `services/getAvailability` answer: absolute availability per category and night in [start, end)."""
    days = [local_date(str(moment), zone) for moment in answer.get("TimeUnitStartsUtc") or []]
    result: list[NightInventory] = []
    for category in answer.get("CategoryAvailabilities") or []:
        category_id = str(category.get("CategoryId"))
        if room_type_ids and category_id not in room_type_ids:
            continue
        for day, available in zip(days, category.get("Availabilities") or [], strict=False):
            if start <= day < end:
                result.append(NightInventory(category_id, day, max(0, int(available))))
    return result


def pricing(
    answer: dict[str, Any],
    setup: MewsSetup,
    room_type_ids: Sequence[str] | None,
    start: date,
    end: date,
    capacities: dict[str, int] | None = None,
) -> list[NightRate]:
    """A `rates/getPricing` answer of the default rate: gross price per category and night in [start, end).

    The price covers the category's `Capacity` guests of any age; each guest beyond it costs the
    rate's `ExtraOccupancyAdjustment` for their age category (`AgeCategoryAdjustments`), per night."""
    days = [local_date(str(moment), setup.zone) for moment in answer.get("TimeUnitStartsUtc") or []]
    extra_adult, extra_child = _extra_occupancy(answer, setup)
    result: list[NightRate] = []
    for category in answer.get("CategoryPrices") or []:
        category_id = str(category.get("CategoryId"))
        if room_type_ids and category_id not in room_type_ids:
            continue
        capacity = (capacities or {}).get(category_id)
        rule = (
            OccupancyPricing(capacity, 0, extra_adult, extra_child, pooled=True)
            if capacity is not None and capacity >= 0 and (extra_adult or extra_child)
            else None
        )
        for day, amount in zip(days, category.get("AmountPrices") or [], strict=False):
            if start <= day < end and amount.get("GrossValue") is not None:
                currency = str(amount.get("Currency") or answer.get("Currency") or setup.currency)
                price = Money.of(amount["GrossValue"], currency)
                result.append(NightRate(category_id, day, price, setup.default_rate_id, rule))
    return result


def _extra_occupancy(answer: dict[str, Any], setup: MewsSetup) -> tuple[Decimal, Decimal]:
    """The rate's extra charge per adult and per child beyond the capacity (0 when none is set)."""
    extra = {
        str(item.get("AgeCategoryId")): Decimal(str(item.get("AbsoluteValue") or 0))
        for item in answer.get("AgeCategoryAdjustments") or []
        if isinstance(item, dict) and item.get("Type") == "ExtraOccupancyAdjustment"
    }
    child = extra.get(setup.child_category_id or "", Decimal(0))
    return extra.get(setup.adult_category_id, Decimal(0)), child


def order_items_total(items: Sequence[dict[str, Any]]) -> Money | None:
    """The gross sum of order items that are not `Canceled` (`Inactive` ones of an Optional
    reservation count: they become due on confirmation); None without any. Raises ValueError when
    the items are in several currencies or an amount is missing."""
    live = [item for item in items if item.get("AccountingState") != "Canceled"]
    if not live:
        return None
    amounts = [item.get("Amount") or {} for item in live]
    currencies = {str(a.get("Currency") or "") for a in amounts}
    if len(currencies) != 1 or "" in currencies or any(a.get("GrossValue") is None for a in amounts):
        raise ValueError("order items without one currency and a gross amount each")
    [currency] = currencies
    return Money.of(sum((Decimal(str(a["GrossValue"])) for a in amounts), Decimal(0)), currency)
