"""Shared by the multi-room e2e tests: a family's request (2 Deluxe Doubles + 1 Family Suite) and reads
of what the ledger, the Redis holds and the PMS simulators hold afterwards."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from roomgate.cache import keys
from roomgate.domain.rooms import RoomLine
from roomgate.domain.stay import Stay
from roomgate.ledger.models import BookingRoom, BookingRow
from roomgate.services.checkout_rooms import RoomsQuote, quote_rooms
from tests.e2e.saga_harness import HOTEL, Roomgate, Vendors, checkout_body

# Base nightly rates of the demo hotel (simulator seeds), for a first guess of an amount; parties with
# extra guests and taxes cost more: tests that need the exact amount use `priced`.
PRICES = {"room_456": 125_000, "room_457": 98_000, "room_458": 210_000}
FAMILY = [
    {"roomTypeId": "room_456", "quantity": 2, "adults": 2, "children": 0},
    {"roomTypeId": "room_458", "quantity": 1, "adults": 2, "children": 2},
]
LIVE = {"confirmed", "not_confirmed", "Confirmed", "Optional"}


def rooms_body(
    start: date, end: date, rooms: list[dict[str, Any]] | None = None, *, vendor: str = "cloudbeds", **kw: Any
) -> dict[str, Any]:
    """The multi-room form: the spec's body without roomTypeId/adults/children, with `rooms`."""
    lines = FAMILY if rooms is None else rooms
    nights = (end - start).days
    amount = sum(PRICES.get(r["roomTypeId"], 0) * r.get("quantity", 1) for r in lines) * nights
    body = checkout_body(start, end, vendor=vendor, **kw)
    for name in ("roomTypeId", "adults", "children"):
        body.pop(name)
    body["rooms"] = lines
    if "payment" not in kw:
        body["payment"]["amount"] = amount
    return body


def live_reservations(vendors: Vendors, vendor: str, booking_id: str | None = None) -> list[dict[str, Any]]:
    return [
        r
        for r in vendors.state(vendor)["reservations"]
        if r["status"] in LIVE and (booking_id is None or r["externalId"] == booking_id)
    ]


async def counts(roomgate: Roomgate) -> tuple[int, int]:
    """(bookings, booking_room rows) in the ledger."""
    async with roomgate.container.sessions() as session:
        bookings = await session.scalar(select(func.count()).select_from(BookingRow))
        rooms = await session.scalar(select(func.count()).select_from(BookingRoom))
    return int(bookings or 0), int(rooms or 0)


async def held(roomgate: Roomgate, room: str, nights: list[date]) -> list[int]:
    """Rooms held (active holds) per night for a room type, read from Redis."""
    redis = roomgate.container.redis
    out = []
    for night in nights:
        members = await redis.zrange(keys.night_holds(HOTEL, room, night), 0, -1)
        out.append(sum(int((m.decode() if isinstance(m, bytes) else m).split(":")[0]) for m in members))
    return out


async def priced(roomgate: Roomgate, body: dict[str, Any]) -> RoomsQuote:
    """Set the body's amount to the server's own price for its rooms (per party, taxes included, as the
    simulators' seeds say) and return that quote; a wrong amount is tested on its own."""
    lines = [
        RoomLine(r["roomTypeId"], r.get("quantity", 1), r.get("adults", 1), r.get("children", 0))
        for r in body["rooms"]
    ]
    stay = Stay.of(date.fromisoformat(body["checkIn"]), date.fromisoformat(body["checkOut"]))
    quote = await quote_rooms(roomgate.container.checkout.pricer, body["vendor"], HOTEL, stay, lines)
    body["payment"]["amount"] = quote.total.minor
    return quote
