"""`/_sim/properties` routes shared by the PMS simulators, and a JSON response that can carry Decimals."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from roomgate.simulators.pms_state import PmsSimState
from roomgate.simulators.seed import PropertySeed


def _number(value: Any) -> Any:
    # Vendors send JSON numbers; integral amounts go out as integers, the rest as shortest decimals.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def vendor_json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response (UTF-8, Decimals as numbers) with the given status and headers."""
    content = json.dumps(body, default=_number, ensure_ascii=False, separators=(",", ":"))
    return Response(content, status_code=status, headers=headers, media_type="application/json")


class InventoryUpdate(BaseModel):
    """Body of `PUT /_sim/properties/{id}/inventory`: `available` free rooms on nights [from, to)."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    room_type_id: str = Field(alias="roomTypeId")
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    available: int = Field(ge=0, le=10_000)


class OtherChannelBooking(BaseModel):
    """Body of `POST /_sim/properties/{id}/reservations`: another channel books `quantity` rooms."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    room_type_id: str = Field(alias="roomTypeId", min_length=1, max_length=100)
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    quantity: int = Field(default=1, ge=1, le=100)


class PriceAdjustment(BaseModel):
    """Body of `PUT /_sim/properties/{id}/price-adjustment`: an amount (in the property's currency;
    negative = a discount) the PMS adds to the total of every reservation made from now on, on top of
    the nightly rates availability shows, so the PMS bills another amount than was quoted. 0 clears it."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    amount: Decimal = Field(max_digits=14, decimal_places=2)


# Books `quantity` rooms as another channel (the vendor's own reservation shape); returns their ids,
# or None when the property is short of rooms on some night.
OtherChannel = Callable[[str, OtherChannelBooking], list[str] | None]


def property_router(
    state: PmsSimState,
    before: Callable[[], None] = lambda: None,
    other_channel: OtherChannel | None = None,
) -> APIRouter:
    """`PUT /_sim/properties/{propertyId}`, `PUT /_sim/properties/{propertyId}/inventory`,
    `PUT /_sim/properties/{propertyId}/price-adjustment` and, with
    `other_channel`, `POST /_sim/properties/{propertyId}/reservations`."""
    router = APIRouter(prefix="/_sim", tags=["simulator control"])

    @router.put("/properties/{property_id}")
    async def put_property(property_id: str, seed: PropertySeed) -> dict[str, Any]:
        """Create or replace a property (room types with totalRooms and nightlyRate)."""
        before()
        book = state.upsert_property(property_id, seed)
        return {"ok": True, "propertyId": property_id, "roomTypes": sorted(book.room_types)}

    @router.put("/properties/{property_id}/inventory")
    async def put_inventory(property_id: str, update: InventoryUpdate) -> dict[str, Any]:
        """Set the free rooms of one room type on the nights from `from` up to (not including) `to`."""
        before()
        book = state.properties.get(property_id)
        if book is None or update.room_type_id not in book.room_types:
            raise HTTPException(404, "unknown property or room type")
        if update.end <= update.start:
            raise HTTPException(422, "`to` must be after `from`")
        book.set_available(update.room_type_id, update.start, update.end, update.available)
        return {"ok": True}

    @router.put("/properties/{property_id}/price-adjustment")
    async def put_price_adjustment(property_id: str, adjustment: PriceAdjustment) -> dict[str, Any]:
        """Add `amount` to the total of every reservation made from now on (a fee the quote did not show)."""
        before()
        if property_id not in state.properties:
            raise HTTPException(404, "unknown property")
        if adjustment.amount:
            state.price_adjustments[property_id] = adjustment.amount
        else:
            state.price_adjustments.pop(property_id, None)
        return {"ok": True, "propertyId": property_id, "amount": str(adjustment.amount)}

    if other_channel is not None:
        book_other = other_channel

        @router.post("/properties/{property_id}/reservations")
        async def post_reservations(property_id: str, booking: OtherChannelBooking) -> dict[str, Any]:
            """Another channel books rooms (confirmed at once); subscribed webhooks are delivered."""
            before()
            book = state.properties.get(property_id)
            if book is None or booking.room_type_id not in book.room_types:
                raise HTTPException(404, "unknown property or room type")
            if booking.end <= booking.start:
                raise HTTPException(422, "`to` must be after `from`")
            ids = book_other(property_id, booking)
            if ids is None:
                raise HTTPException(409, "not enough rooms on every night")
            return {"ok": True, "reservationIds": ids}

    return router
