"""Cloudbeds v1.3 answer shapes (field names and types as in the vendor's OpenAPI file) and form decoding."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from roomgate.simulators.pms_state import PropertyBook, SimReservation, nights
from roomgate.simulators.seed import TaxSeed

UNAUTHORIZED_BODY = {
    "error": "access_denied",
    "message": "The resource owner or authorization server denied the request.",
}
PROPERTY_MISMATCH = "None of the included property id's match the access_token user's property id"
_CURRENCY_SYMBOLS = {"KRW": "₩", "USD": "$", "EUR": "€", "JPY": "¥", "GBP": "£"}
_KEY_PART = re.compile(r"\[([^\]]*)\]")


def decode_php_form(body: bytes) -> dict[str, Any]:
    """`a[0][b]=1&c=2` → `{"a": [{"b": "1"}], "c": "2"}` (PHP's reading of bracket names)."""
    root: dict[str, Any] = {}
    for name, value in parse_qsl(body.decode("utf-8"), keep_blank_values=True):
        head, _, rest = name.partition("[")
        path = [head, *_KEY_PART.findall("[" + rest)] if rest else [head]
        node = root
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[path[-1]] = value
    return {key: _listify(value) for key, value in root.items()}


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    items = {key: _listify(item) for key, item in value.items()}
    if items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items


def stamp(epoch: float) -> str:
    """Cloudbeds datetimes: `YYYY-MM-DD HH:MM:SS`, no offset."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _currency(code: str) -> dict[str, str]:
    return {
        "currencyCode": code,
        "currencySymbol": _CURRENCY_SYMBOLS.get(code, code),
        "currencyPosition": "before",
    }


def hotel_details(book: PropertyBook) -> dict[str, Any]:
    seed, address = book.seed, book.seed.address
    return {
        "propertyID": book.property_id,
        "propertyName": seed.name,
        "propertyType": "Hotel",
        "propertyDescription": seed.name,
        "propertyCurrency": {
            **_currency(seed.currency),
            "currencyDecimalSeparator": ".",
            "currencyThousandsSeparator": ",",
        },
        "propertyPrimaryLanguage": "ko",
        "propertyAddress": {
            "propertyAddress1": address.line1,
            "propertyAddress2": address.line2,
            "propertyCity": address.city,
            "propertyState": address.state,
            "propertyZip": address.zip,
            "propertyCountry": address.country,
            "propertyLatitude": str(address.latitude or ""),
            "propertyLongitude": str(address.longitude or ""),
        },
        "propertyPolicy": {
            "propertyCheckInTime": "15:00:00",
            "propertyCheckOutTime": "11:00:00",
            "propertyLateCheckOutAllowed": False,
        },
        "propertyAmenities": [],
    }


def hotel_item(book: PropertyBook) -> dict[str, Any]:
    return {
        "propertyID": book.property_id,
        "propertyName": book.seed.name,
        "propertyImage": "",
        "propertyDescription": book.seed.name,
        "propertyTimezone": book.seed.timezone,
        "propertyCurrency": [_currency(book.seed.currency)],
    }


def room_type_item(book: PropertyBook, room_type_id: str) -> dict[str, Any]:
    rt = book.room_types[room_type_id]
    return {
        "roomTypeID": rt.id,
        "propertyID": book.property_id,
        "roomTypeName": rt.name,
        "roomTypeNameShort": rt.short_name or rt.name[:3].upper(),
        "roomTypeDescription": rt.description,
        "isPrivate": True,
        "maxGuests": rt.max_guests,
        "adultsIncluded": rt.included_adults(),
        "childrenIncluded": rt.children_included,
    }


def rate_plan_item(
    book: PropertyBook,
    room_type_id: str,
    start: date,
    end: date,
    detailed: bool,
    party: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """One rate plan; `party` (adults, children) prices `totalRate` with the extra-guest charges
    ("Calculated using base rates and additional costs from extra guests"); without it the
    included guests are assumed."""
    rt = book.room_types[room_type_id]
    stay = nights(start, end)
    rates = [book.rate(room_type_id, day) for day in stay]
    adults, children = party or (rt.included_adults(), rt.children_included)
    totals = [book.party_rate(room_type_id, day, adults, children) for day in stay]
    available = [book.available(room_type_id, day) for day in stay]
    item: dict[str, Any] = {
        "rateID": rt.rate_plan_id(),
        "isDerived": False,
        "roomRate": sum(rates, Decimal(0)),
        "totalRate": sum(totals, Decimal(0)),
        "roomsAvailable": min(available),
        "roomTypeID": rt.id,
        "propertyID": book.property_id,
        "ratePlanID": None,
        "ratePlanNamePublic": "Best Available Rate",
        "ratePlanNamePrivate": "BAR",
        "promoCode": None,
    }
    if detailed:
        item["roomRateDetailed"] = [
            {
                "date": day.isoformat(),
                "rateBase": rate,
                "totalRate": total,
                "roomsAvailable": free,
                "closedToArrival": False,
                "closedToDeparture": False,
                "blocked": False,
                "minLos": 0,
                "maxLos": 0,
                "cutOff": 0,
                "lastMinuteBooking": 0,
            }
            for day, rate, total, free in zip(stay, rates, totals, available, strict=True)
        ]
    return item


def _room(res: SimReservation, room_type_name: str) -> dict[str, Any]:
    # getReservation types adults/children/roomTotal as strings (postReservation: integers/number).
    return {
        "reservationRoomID": f"{res.reservation_id}-1",
        "roomTypeName": room_type_name,
        "roomTypeIsVirtual": False,
        "roomTypeID": res.room_type_id,
        "subReservationID": f"{res.reservation_id}-1",
        "isRoomLocked": False,
        "startDate": res.check_in.isoformat(),
        "endDate": res.check_out.isoformat(),
        "adults": str(res.adults),
        "children": str(res.children),
        "dailyRates": [{"date": d.isoformat(), "rate": r} for d, r in res.nightly],
        "roomTotal": str(res.room_total),
    }


def reservation_data(res: SimReservation, room_type_name: str) -> dict[str, Any]:
    """`getReservation` `data`."""
    guest, guest_id = res.guest, res.extra["guestID"]
    return {
        "propertyID": res.property_id,
        "guestName": f"{guest['first']} {guest['last']}",
        "guestEmail": guest["email"],
        "isAnonymized": False,
        "guestList": {
            guest_id: {
                "guestID": guest_id,
                "guestFirstName": guest["first"],
                "guestLastName": guest["last"],
                "guestEmail": guest["email"],
                "guestPhone": guest.get("phone", ""),
                "guestCountry": guest["country"],
                "guestZip": guest.get("zip", ""),
                "isMainGuest": True,
                "assignedRoom": False,
            }
        },
        "reservationID": res.reservation_id,
        "dateCreated": stamp(res.created),
        "dateModified": stamp(res.modified),
        "estimatedArrivalTime": None,
        "source": "API",
        "sourceID": "s-1",
        "thirdPartyIdentifier": res.external_id,
        "status": res.status,
        "total": res.total,
        "balance": res.total if res.status != "canceled" else Decimal(0),
        "assigned": [],
        "unassigned": [_room(res, room_type_name)],
        "cardsOnFile": [],
        "customFields": [],
        "startDate": res.check_in.isoformat(),
        "endDate": res.check_out.isoformat(),
        "origin": "API",
    }


def reservation_item(res: SimReservation) -> dict[str, Any]:
    """One `getReservations` row."""
    return {
        "propertyID": res.property_id,
        "reservationID": res.reservation_id,
        "dateCreated": stamp(res.created),
        "dateModified": stamp(res.modified),
        "status": res.status,
        "guestID": res.extra["guestID"],
        "guestName": f"{res.guest['first']} {res.guest['last']}",
        "startDate": res.check_in.isoformat(),
        "endDate": res.check_out.isoformat(),
        "adults": str(res.adults),
        "children": str(res.children),
        "balance": res.total,
        "sourceName": "API",
        "sourceID": "s-1",
        "thirdPartyIdentifier": res.external_id or "",
        "origin": "API",
    }


def created_body(res: SimReservation, room_type_name: str) -> dict[str, Any]:
    """`postReservation` answer: top-level fields, not wrapped in `data`."""
    guest = res.guest
    return {
        "success": True,
        "reservationID": res.reservation_id,
        "status": res.status,
        "guestID": res.extra["guestID"],
        "guestFirstName": guest["first"],
        "guestLastName": guest["last"],
        "guestEmail": guest["email"],
        "startDate": res.check_in.isoformat(),
        "endDate": res.check_out.isoformat(),
        "dateCreated": stamp(res.created),
        "grandTotal": res.total,
        "unassigned": [
            {
                "subReservationID": f"{res.reservation_id}-1",
                "roomTypeName": room_type_name,
                "roomTypeID": res.room_type_id,
                "adults": res.adults,
                "children": res.children,
                "dailyRates": [{"date": d.isoformat(), "rate": r} for d, r in res.nightly],
                "roomTotal": res.room_total,
            }
        ],
    }


def tax_item(book: PropertyBook, tax: TaxSeed) -> dict[str, Any]:
    """One `getTaxesAndFees` item (the fields a percentage / fixed / per-reservation tax or fee has)."""
    item: dict[str, Any] = {
        "type": tax.type,
        "name": tax.name,
        "code": tax.code or tax.name.upper(),
        "amount": str(tax.amount),
        "amountType": tax.amount_type,
        "availableFor": ["rate"],
        "inclusiveOrExclusive": "exclusive",
        "isDeleted": False,
        "roomTypes": [
            {"roomTypeID": rt, "roomTypeName": book.room_types[rt].name if rt in book.room_types else rt}
            for rt in tax.room_types
        ]
        or None,
        "dateRanges": [],
    }
    if tax.type == "tax":
        item.update({"taxID": tax.id, "kind": "vat" if tax.code.upper() == "VAT" else None})
    else:
        item["feeID"] = tax.id
    return item
