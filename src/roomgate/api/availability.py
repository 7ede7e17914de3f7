"""Availability and prices, from the cache first (falling back to last-known-good data when the PMS fails)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from roomgate.api.deps import AvailabilityDep, HotelAccessDep
from roomgate.api.responses import AvailabilityOut, InventoryOut, errors
from roomgate.api.schemas import DATE_PATTERN, ID_PATTERN, Vendor
from roomgate.domain.stay import parse_date
from roomgate.services.availability_models import NightAvailability

router = APIRouter(prefix="/api/hotels", tags=["availability"])

_ERRORS = errors(400, 404, 502, 503)
PathId = Annotated[str, Path(pattern=ID_PATTERN)]
VendorQuery = Annotated[Vendor, Query(description="the hotel's PMS vendor (its configuration names it)")]


def _nights(nights: list[NightAvailability]) -> list[dict[str, Any]]:
    # A stay has a handful of distinct prices, mostly one shared Money (cache/models.cached_price);
    # each is turned into minor units once per call, keyed by identity (all alive for the call).
    prices: dict[int, tuple[int, str]] = {}
    rows = []
    for night in nights:
        price = night.price
        if price is None:
            minor, currency = None, None
        else:
            pair = prices.get(id(price))
            if pair is None:
                pair = prices[id(price)] = (price.minor, price.currency)
            minor, currency = pair
        day = night.date.isoformat()
        rows.append({"date": day, "available": night.available, "price": minor, "currency": currency})
    return rows


@router.get(
    "/{hotel_id}/room-types/{room_type_id}/inventory",
    responses={200: {"model": InventoryOut}, **_ERRORS},  # documented; rendered as plain JSON
    response_model=None,
)
async def room_type_inventory(
    hotel_id: PathId,
    room_type_id: PathId,
    access: HotelAccessDep,
    availability: AvailabilityDep,
    vendor: VendorQuery,
    from_: Annotated[str, Query(alias="from", pattern=DATE_PATTERN, description="first night, YYYY-MM-DD")],
    to: Annotated[str, Query(pattern=DATE_PATTERN, description="day after the last night, YYYY-MM-DD")],
    adults: Annotated[int, Query(ge=1, le=20, description="the party the prices are for")] = 1,
    children: Annotated[int, Query(ge=0, le=20)] = 0,
) -> JSONResponse:
    """Per night: rooms for sale (PMS available − active holds), the party's price (one adult unless
    `adults`/`children` say otherwise) and currency; with source and age."""
    start, end = parse_date(from_, "from"), parse_date(to, "to")
    access.ensure_bookable(start, end, "from")
    await access.admit(vendor, hotel_id)
    result = await availability.room_type_inventory(
        vendor, hotel_id, room_type_id, start, end, fallback=True, adults=adults, children=children
    )
    content = {
        "success": True,
        "hotelId": hotel_id,
        "roomTypeId": room_type_id,
        "vendor": vendor,
        "source": result.source,
        "ageSeconds": round(result.age_seconds, 1),
        "nights": _nights(result.nights),
    }
    return JSONResponse(content)


@router.get(
    "/{hotel_id}/availability", responses={200: {"model": AvailabilityOut}, **_ERRORS}, response_model=None
)
async def stay_availability(
    hotel_id: PathId,
    access: HotelAccessDep,
    availability: AvailabilityDep,
    vendor: VendorQuery,
    check_in: Annotated[str, Query(alias="checkIn", pattern=DATE_PATTERN, description="YYYY-MM-DD")],
    check_out: Annotated[str, Query(alias="checkOut", pattern=DATE_PATTERN, description="YYYY-MM-DD")],
    adults: Annotated[int, Query(ge=1, le=20)] = 2,
    children: Annotated[int, Query(ge=0, le=20)] = 0,
) -> JSONResponse:
    """Room types bookable for every night of the stay for this party: nightly prices, the total,
    the hotel's taxes and fees, and `totalWithTaxes` (what checkout charges)."""
    stay = access.stay(check_in, check_out)
    await access.admit(vendor, hotel_id)
    result = await availability.stay_availability(vendor, hotel_id, stay, adults, children, fallback=True)
    content = {
        "success": True,
        "hotelId": hotel_id,
        "vendor": vendor,
        "checkIn": stay.check_in.isoformat(),
        "checkOut": stay.check_out.isoformat(),
        "nights": stay.night_count,
        "adults": adults,
        "children": children,
        "source": result.source,
        "ageSeconds": round(result.age_seconds, 1),
        "roomTypes": [
            {
                "roomTypeId": option.room_type.room_type_id,
                "name": option.room_type.name,
                "maxOccupancy": option.room_type.max_occupancy,
                "available": option.available,
                "nights": _nights(option.nights),
                "total": option.total.minor,
                "currency": option.total.currency,
                "taxes": [
                    {
                        "code": line.code,
                        "name": line.name,
                        "type": line.kind,
                        "amount": line.amount.minor,
                        "inclusive": line.inclusive,
                    }
                    for line in option.taxes
                ],
                "totalWithTaxes": option.total_with_taxes.minor,
            }
            for option in result.options
        ],
    }
    return JSONResponse(content)
