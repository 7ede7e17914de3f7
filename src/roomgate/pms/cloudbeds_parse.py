"""Cloudbeds API v1.3 answers read into our types, and Cloudbeds failures sorted into `PMSError` classes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import httpx2

from roomgate.domain.money import Money
from roomgate.domain.occupancy import OccupancyPricing
from roomgate.domain.taxes import TaxBasis, TaxRule
from roomgate.pms.errors import (
    PMSAuthenticationError,
    PMSBadRequest,
    PMSError,
    PMSNotFound,
    PMSSoldOut,
    PMSTimeout,
    PMSTransientError,
)
from roomgate.pms.transport import CallContext, decode_json
from roomgate.pms.types import HotelDetails, Reservation, ReservationStatus, RoomType, WebhookSubscription

# Reservation status enum of the v1.3 spec (note the vendor's spelling "canceled").
STATUSES = {
    "confirmed": ReservationStatus.CONFIRMED,
    "not_confirmed": ReservationStatus.TENTATIVE,
    "canceled": ReservationStatus.CANCELLED,
}

# Cloudbeds documents no error codes, only messages; these fragments sort them (case-insensitive).
_AUTH_HINTS = (
    "access_token",
    "access token",
    "api key",
    "not active anymore",
    "denied",
    "unauthorized",
    "property id's match",
    "permission",
)
_SOLD_OUT_HINTS = ("not available", "no availability", "unavailable", "sold out", "no rooms", "fully booked")
_NOT_FOUND_HINTS = ("not found", "does not exist", "doesn't exist", "no reservation")


def classify_message(message: str) -> type[PMSError]:
    """The error class a Cloudbeds `success: false` message stands for."""
    lowered = message.lower()
    if any(hint in lowered for hint in _AUTH_HINTS):
        return PMSAuthenticationError
    if any(hint in lowered for hint in _SOLD_OUT_HINTS):
        return PMSSoldOut
    if any(hint in lowered for hint in _NOT_FOUND_HINTS):
        return PMSNotFound
    return PMSBadRequest


def checked_body(ctx: CallContext, operation: str, response: httpx2.Response, now: float) -> dict[str, Any]:
    """The JSON body of a successful call, or the fitting `PMSError` (HTTP status first, then envelope)."""
    status = response.status_code
    if status == 429:
        raise ctx.rate_limited(operation, response, now)
    if status in (401, 403):
        raise ctx.error(PMSAuthenticationError, operation, f"credentials refused (HTTP {status})", status)
    if status == 404:
        raise ctx.error(PMSNotFound, operation, "not found (HTTP 404)", status)
    if status == 408:
        raise ctx.error(PMSTimeout, operation, "vendor timed out (HTTP 408)", status)
    if status >= 500:
        raise ctx.error(PMSTransientError, operation, f"vendor failure (HTTP {status})", status)
    body = decode_json(ctx, operation, response)
    message = str(body.get("message") or "") if isinstance(body, dict) else ""
    if status >= 400:
        cls = classify_message(message) if message else PMSBadRequest
        raise ctx.error(cls, operation, message or f"request refused (HTTP {status})", status)
    if not isinstance(body, dict):
        raise ctx.error(PMSTransientError, operation, "unexpected answer (not a JSON object)", status)
    if body.get("success") is not True:
        # Business errors come back as HTTP 200 with success=false.
        raise ctx.error(
            classify_message(message), operation, message or "success=false without a message", status
        )
    return body


def to_decimal(value: Any) -> Decimal:
    """A vendor number (int, Decimal or numeric string) as Decimal."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def parse_hotel(hotel_id: str, details: dict[str, Any], timezone: str | None) -> HotelDetails:
    address = details.get("propertyAddress") or {}
    currency = (details.get("propertyCurrency") or {}).get("currencyCode") or ""
    line = ", ".join(
        part for part in (address.get("propertyAddress1"), address.get("propertyAddress2")) if part
    )
    return HotelDetails(
        hotel_id=str(details.get("propertyID") or hotel_id),
        name=str(details.get("propertyName") or ""),
        currency=str(currency).upper(),
        timezone=timezone,
        address=line,
        city=str(address.get("propertyCity") or ""),
        country=str(address.get("propertyCountry") or ""),
        latitude=_coordinate(address.get("propertyLatitude")),
        longitude=_coordinate(address.get("propertyLongitude")),
    )


def _coordinate(value: Any) -> float | None:
    # Coordinates are not money; the spec sends them as strings.
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def parse_room_type(item: dict[str, Any]) -> RoomType:
    return RoomType(
        room_type_id=str(item["roomTypeID"]),
        name=str(item.get("roomTypeName") or ""),
        max_occupancy=int(item.get("maxGuests") or 0),
        description=str(item.get("roomTypeDescription") or ""),
    )


def parse_reservation(data: dict[str, Any], currency: str) -> Reservation:
    """A `getReservation` / `putReservation` `data` object."""
    rooms = list(data.get("unassigned") or []) + list(data.get("assigned") or [])
    raw_status = str(data.get("status") or "")
    total = data.get("total")
    return Reservation(
        reservation_id=str(data["reservationID"]),
        status=STATUSES.get(raw_status, ReservationStatus.OTHER),
        external_id=data.get("thirdPartyIdentifier") or None,
        room_type_id=str(rooms[0]["roomTypeID"]) if rooms else None,
        check_in=_date(data.get("startDate")),
        check_out=_date(data.get("endDate")),
        total=Money.of(to_decimal(total), currency) if total is not None and currency else None,
        confirmation_number=str(data["reservationID"]),
        raw_status=raw_status,
    )


def parse_created(body: dict[str, Any], external_id: str, room_type_id: str, currency: str) -> Reservation:
    """The top-level `postReservation` answer (it is not wrapped in `data`)."""
    raw_status = str(body.get("status") or "")
    total = body.get("grandTotal")
    return Reservation(
        reservation_id=str(body["reservationID"]),
        status=STATUSES.get(raw_status, ReservationStatus.OTHER),
        external_id=external_id,
        room_type_id=room_type_id,
        check_in=_date(body.get("startDate")),
        check_out=_date(body.get("endDate")),
        total=Money.of(to_decimal(total), currency) if total is not None else None,
        confirmation_number=str(body["reservationID"]),
        raw_status=raw_status,
    )


def _date(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def base_plans(items: list[dict[str, Any]], room_type_ids: Sequence[str] | None) -> dict[str, dict[str, Any]]:
    """One `getRatePlans` entry per room type: the base rate (not derived, no plan, no promo) if any."""
    plans: dict[str, dict[str, Any]] = {}
    for item in items:
        room_type = str(item.get("roomTypeID") or "")
        if not room_type or (room_type_ids and room_type not in room_type_ids):
            continue
        current = plans.get(room_type)
        if current is None or _plan_rank(item) < _plan_rank(current):
            plans[room_type] = item
    return plans


def _plan_rank(plan: dict[str, Any]) -> tuple[bool, bool, bool]:
    return (
        bool(plan.get("isDerived")),
        plan.get("ratePlanID") is not None,
        plan.get("promoCode") is not None,
    )


def plan_nights(plan: dict[str, Any], start: date, end: date) -> list[tuple[date, dict[str, Any]]] | None:
    """The plan's `roomRateDetailed` nights in [start, end); None when the answer has no detail."""
    detailed = plan.get("roomRateDetailed")
    if not isinstance(detailed, list):
        return None
    nights = [(date.fromisoformat(str(night["date"])[:10]), night) for night in detailed]
    return [(day, night) for day, night in nights if start <= day < end]


def parse_webhook(item: dict[str, Any]) -> WebhookSubscription:
    """A `getWebhooks` item: `{id, event{entity, action}, subscriptionData{endpoint}, ...}`."""
    event = item.get("event") or {}
    data = item.get("subscriptionData") or {}
    return WebhookSubscription(
        subscription_id=str(item.get("id") or ""),
        event=f"{event.get('entity') or ''}/{event.get('action') or ''}",
        endpoint=str(data.get("endpoint") or ""),
    )


def included_guests(item: dict[str, Any]) -> tuple[int, int] | None:
    """A `getRoomTypes` item's (`adultsIncluded`, `childrenIncluded`); None when it does not say."""
    adults, children = item.get("adultsIncluded"), item.get("childrenIncluded")
    if adults in (None, ""):
        return None
    return int(adults), int(children or 0)


def occupancy_rule(
    included: tuple[int, int],
    base: Decimal,
    adult_probe: tuple[int, Decimal],
    child_probe: tuple[int, int, Decimal],
) -> OccupancyPricing:
    """The per-night extra charges behind two `totalRate`s of one night.

    `adult_probe` = (adults, totalRate) asked with more adults than included and no children;
    `child_probe` = (adults, children, totalRate) asked with more children than included. Cloudbeds
    charges each additional adult / child a fixed amount per night on top of `rateBase`, so one
    answer with one extra kind of guest tells that charge."""
    adults_included, children_included = included
    probe_adults, total_a = adult_probe
    extra_adult = (total_a - base) / (probe_adults - adults_included)
    child_adults, probe_children, total_c = child_probe
    adult_part = max(0, child_adults - adults_included) * extra_adult
    extra_child = (total_c - base - adult_part) / (probe_children - children_included)
    return OccupancyPricing(
        adults_included, children_included, _money_like(extra_adult), _money_like(extra_child)
    )


def _money_like(value: Decimal) -> Decimal:
    """A derived charge without division noise (4 places, never negative)."""
    return max(Decimal(0), value.quantize(Decimal("0.0001")))


_TAX_BASES = {
    "percentage": TaxBasis.PERCENT,
    "fixed": TaxBasis.PER_NIGHT,
    "fixed_per_person": TaxBasis.PER_PERSON_NIGHT,
    "fixed_per_accomodation": TaxBasis.PER_STAY,
    "fixed_per_reservation": TaxBasis.PER_STAY,
    "percentage_rate_based": TaxBasis.RATE_BASED,
}


def parse_tax(item: dict[str, Any]) -> TaxRule | None:
    """A `getTaxesAndFees` item that applies to reservations (`availableFor` has `rate`); None for
    deleted ones, product-only ones and amount types the v1.3 spec does not list."""
    basis = _TAX_BASES.get(str(item.get("amountType") or ""))
    available = item.get("availableFor")
    if basis is None or item.get("isDeleted") or (isinstance(available, list) and "rate" not in available):
        return None
    brackets = tuple(
        sorted(
            (to_decimal(b.get("rate") or 0), to_decimal(b.get("percentage") or 0))
            for b in item.get("amountRateBased") or []
            if isinstance(b, dict)
        )
    )
    adult_amount = item.get("amountAdult") if basis is TaxBasis.PER_PERSON_NIGHT else item.get("amount")
    return TaxRule(
        code=str(item.get("code") or item.get("taxID") or item.get("feeID") or ""),
        name=str(item.get("name") or ""),
        kind="fee" if item.get("type") == "fee" else "tax",
        basis=basis,
        amount=to_decimal(adult_amount or 0),
        amount_child=to_decimal(item.get("amountChild") or 0)
        if basis is TaxBasis.PER_PERSON_NIGHT
        else Decimal(0),
        brackets=brackets,
        room_type_ids=tuple(
            str(rt.get("roomTypeID")) for rt in item.get("roomTypes") or [] if isinstance(rt, dict)
        ),
        inclusive=item.get("inclusiveOrExclusive") == "inclusive",
    )
