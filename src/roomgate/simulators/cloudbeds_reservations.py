"""Cloudbeds simulator reservations: `postReservation`, `putReservation`, lookups and searches."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from roomgate.clock import Clock
from roomgate.simulators import cloudbeds_views as views
from roomgate.simulators.pms_state import PmsSimState, SimReservation, SimRoom, nights

STATUSES = ("not_confirmed", "confirmed", "canceled", "checked_in", "checked_out", "no_show")
PAYMENT_METHODS = ("cash", "credit", "ebanking", "pay_pal")
REQUIRED = (
    "startDate",
    "endDate",
    "guestFirstName",
    "guestLastName",
    "guestCountry",
    "guestEmail",
    "paymentMethod",
)


class Refusal(Exception):
    """A refused request: HTTP 200 business error by default, 400 for bad parameters."""

    def __init__(self, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Refusal(f"Parameter {name} must be an integer", 400) from None


def _date(value: Any, name: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise Refusal(f"Parameter {name} must be a date (YYYY-MM-DD)", 400) from None


class CloudbedsReservations:
    def __init__(self, state: PmsSimState, clock: Clock) -> None:
        self.state = state
        self.clock = clock

    def find(self, reservation_id: str, property_id: str | None = None) -> SimReservation | None:
        res = self.state.reservations.get(reservation_id)
        if res is None or (property_id and res.property_id != property_id):
            return None
        return res

    def data(self, res: SimReservation) -> dict[str, Any]:
        return views.reservation_data(res, self._names(res.property_id))

    def _names(self, property_id: str) -> views.RoomNames:
        book = self.state.properties[property_id]
        return lambda rt: book.room_types[rt].name if rt in book.room_types else ""

    def search(self, property_ids: set[str], q: dict[str, Any]) -> list[SimReservation]:
        """`getReservations` filters: status, booking date (resultsFrom/To), check-in dates, room type."""

        def stamp(name: str) -> float | None:
            raw = q.get(name)
            if not raw:
                return None
            try:
                return datetime.fromisoformat(str(raw)).replace(tzinfo=UTC).timestamp()
            except ValueError:
                raise ValueError(f"Parameter {name} must be a datetime (YYYY-MM-DD HH:MM:SS)") from None

        since, until = stamp("resultsFrom"), stamp("resultsTo")
        modified_from, modified_to = stamp("modifiedFrom"), stamp("modifiedTo")
        rows = [
            r
            for r in self.state.reservations.values()
            if r.property_id in property_ids
            and (not q.get("status") or r.status == q["status"])
            and (since is None or r.created >= since)
            and (until is None or r.created <= until)
            and (modified_from is None or r.modified >= modified_from)
            and (modified_to is None or r.modified <= modified_to)
            and (not q.get("checkInFrom") or r.check_in >= date.fromisoformat(q["checkInFrom"]))
            and (not q.get("checkInTo") or r.check_in <= date.fromisoformat(q["checkInTo"]))
            and (not q.get("roomTypeID") or r.room_type_id == q["roomTypeID"])
        ]
        recent_first = str(q.get("sortByRecent", "")).lower() in ("true", "1")
        return sorted(rows, key=lambda r: (r.created, r.reservation_id), reverse=recent_first)

    def create(self, form: dict[str, Any]) -> dict[str, Any]:
        """Validate, take the inventory for every night or refuse, record the reservation."""
        missing = [name for name in REQUIRED if not form.get(name)]
        if missing:
            raise Refusal(f"Parameter {missing[0]} is required", 400)
        if form["paymentMethod"] not in PAYMENT_METHODS:
            raise Refusal("Invalid paymentMethod", 400)
        if "@" not in str(form["guestEmail"]):
            raise Refusal("Invalid guestEmail", 400)
        book = self.state.properties.get(str(form.get("propertyID") or ""))
        if book is None:
            raise Refusal(views.PROPERTY_MISMATCH)
        start, end = _date(form["startDate"], "startDate"), _date(form["endDate"], "endDate")
        if end <= start:
            raise Refusal("endDate must be after startDate", 400)
        rooms, adults, children = (form.get(k) for k in ("rooms", "adults", "children"))
        if not isinstance(rooms, list) or not rooms or not isinstance(adults, list):
            raise Refusal("Parameters rooms and adults must be arrays", 400)
        if children is not None and not isinstance(children, list):
            raise Refusal("Parameter children must be an array", 400)
        wanted: Counter[str] = Counter()
        for index, room in enumerate(rooms):
            room_type_id = str(room.get("roomTypeID") or "") if isinstance(room, dict) else ""
            room_type = book.room_types.get(room_type_id)
            if room_type is None:
                raise Refusal(f"Invalid roomTypeID {room_type_id}", 400)
            if room.get("roomRateID") and room["roomRateID"] != room_type.rate_plan_id():
                raise Refusal(f"Invalid roomRateID for room type {room_type_id}", 400)
            if room_type_id in wanted:  # adults/children are keyed by room type: one line per type
                raise Refusal(f"Room type {room_type_id} is listed twice in rooms", 400)
            wanted[room_type_id] = _int(room.get("quantity", 1), f"rooms[{index}][quantity]")
            if wanted[room_type_id] < 1:
                raise Refusal(f"Parameter rooms[{index}][quantity] must be at least 1", 400)
        stay = nights(start, end)
        made = []
        for room_type_id, quantity in wanted.items():
            made += self._parties(book, room_type_id, quantity, adults, children or [], stay)
        short = book.try_take_many(wanted, stay)
        if short is not None:
            raise Refusal(f"Room type {short[0]} is not available on {short[1].isoformat()}")
        first = made[0]
        now = self.clock.now()
        res = SimReservation(
            reservation_id=self.new_id(),
            property_id=book.property_id,
            room_type_id=first.room_type_id,
            check_in=start,
            check_out=end,
            adults=first.adults,
            children=first.children,
            status=book.seed.reservation_status,
            external_id=form.get("thirdPartyIdentifier") or None,
            guest={
                "first": form["guestFirstName"],
                "last": form["guestLastName"],
                "email": form["guestEmail"],
                "phone": form.get("guestPhone", ""),
                "country": form["guestCountry"],
                "zip": form.get("guestZip", ""),
            },
            created=now,
            modified=now,
            currency=book.seed.currency,
            nightly=first.nightly,
            extra={"guestID": self.state.new_digits(8)},
            extra_rooms=made[1:],
            adjustment=self.state.price_adjustments.get(book.property_id, Decimal(0)),
        )
        # taxes and fees room by room, each on its own nights
        res.tax_total = sum((book.taxes_for(r.room_type_id, r.nightly) for r in res.rooms()), Decimal(0))
        self.state.reservations[res.reservation_id] = res
        return views.created_body(res, self._names(book.property_id))

    @staticmethod
    def _parties(
        book: Any, room_type_id: str, quantity: int, adults: list[Any], children: list[Any], stay: list[date]
    ) -> list[SimRoom]:
        """The rooms of one `rooms[i]` line: its type's `adults[]`/`children[]` totals spread over its
        rooms as evenly as they go; every room needs an adult and must not exceed `maxGuests`."""
        guests_adults = sum(
            _int(a.get("quantity"), "adults[][quantity]")
            for a in adults
            if a.get("roomTypeID") == room_type_id
        )
        guests_children = sum(
            _int(c.get("quantity"), "children[][quantity]")
            for c in children
            if c.get("roomTypeID") == room_type_id
        )
        if guests_adults < quantity:
            raise Refusal(f"Every room of room type {room_type_id} needs at least one adult", 400)
        max_guests = book.room_types[room_type_id].max_guests
        rooms = []
        for k in range(quantity):
            room_adults = guests_adults // quantity + (1 if k < guests_adults % quantity else 0)
            room_children = guests_children // quantity + (1 if k < guests_children % quantity else 0)
            if room_adults + room_children > max_guests:
                raise Refusal(f"Guests exceed maxGuests ({max_guests}) for room type {room_type_id}")
            nightly = [(day, book.party_rate(room_type_id, day, room_adults, room_children)) for day in stay]
            rooms.append(SimRoom(room_type_id, room_adults, room_children, nightly))
        return rooms

    def _move(self, res: SimReservation, form: dict[str, Any]) -> None:
        """`checkoutDate`, or `rooms[0]` with `roomTypeID`/`checkinDate`/`checkoutDate`: the stay moves
        (all new nights taken or nothing changes; the old nights are given back)."""
        room = (form.get("rooms") or [{}])[0] if isinstance(form.get("rooms"), list) else {}
        check_in = _date(room["checkinDate"], "rooms[0][checkinDate]") if room.get("checkinDate") else None
        out_raw = room.get("checkoutDate") or form.get("checkoutDate")
        check_out = _date(out_raw, "checkoutDate") if out_raw else None
        room_type_id = str(room.get("roomTypeID") or res.room_type_id)
        new_in, new_out = check_in or res.check_in, check_out or res.check_out
        if (new_in, new_out, room_type_id) == (res.check_in, res.check_out, res.room_type_id):
            return
        if res.extra_rooms:
            raise Refusal("A reservation with several rooms cannot be moved here")
        if res.status == "canceled":
            raise Refusal("A canceled reservation cannot be changed")
        book = self.state.properties[res.property_id]
        if room_type_id not in book.room_types:
            raise Refusal(f"Invalid roomTypeID {room_type_id}", 400)
        if new_out <= new_in:
            raise Refusal("checkoutDate must be after checkinDate", 400)
        self.state.release(res)
        short = book.try_take(room_type_id, nights(new_in, new_out))
        if short is not None:
            book.try_take(res.room_type_id, nights(res.check_in, res.check_out))
            res.holds_inventory = True
            raise Refusal(f"Room type {room_type_id} is not available on {short.isoformat()}")
        res.holds_inventory = True
        res.room_type_id, res.check_in, res.check_out = room_type_id, new_in, new_out
        res.nightly = [
            (day, book.party_rate(room_type_id, day, res.adults, res.children))
            for day in nights(new_in, new_out)
        ]
        # taxes and fees room by room, each on its own nights
        res.tax_total = sum((book.taxes_for(r.room_type_id, r.nightly) for r in res.rooms()), Decimal(0))
        res.modified = self.clock.now()

    def new_id(self) -> str:
        while True:
            candidate = self.state.new_digits(13)
            if candidate not in self.state.reservations:
                return candidate

    def update(self, form: dict[str, Any]) -> dict[str, Any]:
        """`putReservation`: status changes; cancelling gives the rooms back and is idempotent."""
        res = self.find(str(form.get("reservationID") or ""), form.get("propertyID"))
        if not form.get("reservationID"):
            raise Refusal("Parameter reservationID is required", 400)
        if res is None:
            raise Refusal("Reservation not found")
        self._move(res, form)
        status = form.get("status")
        if status is not None and status != res.status:
            if status not in STATUSES:
                raise Refusal("Invalid status", 400)
            if res.status == "canceled":
                raise Refusal(f"Reservation status cannot be changed from canceled to {status}")
            if status == "canceled":
                self.state.release(res)
            res.status = status
            res.modified = self.clock.now()
        return self.data(res)
