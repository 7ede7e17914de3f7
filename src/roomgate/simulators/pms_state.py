"""In-memory PMS ledger shared by the PMS simulators: properties, nightly inventory, reservations.

Inventory per (room type, night) = capacity − rooms held by live reservations. Capacity is the
room type's `totalRooms` on every date unless `/_sim/.../inventory` overrode it. A reservation
takes every night of its stay or none, and gives them back when cancelled.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from roomgate.domain.money import Money
from roomgate.simulators.seed import PropertySeed, RoomTypeSeed, demo_properties


def nights(check_in: date, check_out: date) -> list[date]:
    return [check_in + timedelta(days=i) for i in range((check_out - check_in).days)]


@dataclass
class SimRoom:
    """One more room of a multi-room reservation (Cloudbeds `rooms[i]`): its type, party and rates."""

    room_type_id: str
    adults: int
    children: int
    nightly: list[tuple[date, Decimal]]

    @property
    def total(self) -> Decimal:
        return sum((rate for _, rate in self.nightly), Decimal(0))


@dataclass
class SimReservation:
    reservation_id: str
    property_id: str
    room_type_id: str
    check_in: date
    check_out: date
    adults: int
    children: int
    status: str  # the vendor's own word: "confirmed", "Optional", ...
    external_id: str | None
    guest: dict[str, str]
    created: float
    modified: float
    currency: str
    nightly: list[tuple[date, Decimal]]
    holds_inventory: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    tax_total: Decimal = Decimal(0)  # taxes and fees the property adds (Cloudbeds `getTaxesAndFees`)
    # A multi-room reservation's rooms after the first (whose type, party and rates are the fields above).
    extra_rooms: list[SimRoom] = field(default_factory=list)

    def rooms(self) -> list[SimRoom]:
        """Every room of the reservation, the first one first."""
        first = SimRoom(self.room_type_id, self.adults, self.children, self.nightly)
        return [first, *self.extra_rooms]

    def room_counts(self) -> Counter[str]:
        """Rooms per room type."""
        return Counter(room.room_type_id for room in self.rooms())

    # Added by the PMS at booking time, outside the nightly rates (`/_sim/properties/{id}/price-adjustment`):
    # the reservation's total then differs from what availability quoted.
    adjustment: Decimal = Decimal(0)

    @property
    def room_total(self) -> Decimal:
        """Every room's nights."""
        return sum((room.total for room in self.rooms()), Decimal(0))

    @property
    def total(self) -> Decimal:
        """The grand total: room nights plus taxes and fees, plus any price adjustment."""
        return self.room_total + self.tax_total + self.adjustment

    def summary(self) -> dict[str, Any]:
        """For `GET /_sim/state`: no guest contact details."""
        return {
            "reservationId": self.reservation_id,
            "propertyId": self.property_id,
            "roomTypeId": self.room_type_id,
            "checkIn": self.check_in.isoformat(),
            "checkOut": self.check_out.isoformat(),
            "status": self.status,
            "externalId": self.external_id,
            "holdsInventory": self.holds_inventory,
            "total": str(self.total),
            "currency": self.currency,
            "rooms": len(self.rooms()),
        }


class PropertyBook:
    """One property's room types and the rooms its reservations hold, per night."""

    def __init__(self, property_id: str, seed: PropertySeed) -> None:
        self.property_id = property_id
        self.seed = seed
        self.room_types: dict[str, RoomTypeSeed] = {rt.id: rt for rt in seed.room_types}
        self._capacity: dict[tuple[str, date], int] = {}
        self._held: Counter[tuple[str, date]] = Counter()

    def capacity(self, room_type_id: str, day: date) -> int:
        return self._capacity.get((room_type_id, day), self.room_types[room_type_id].total_rooms)

    def available(self, room_type_id: str, day: date) -> int:
        return max(0, self.capacity(room_type_id, day) - self._held[(room_type_id, day)])

    def set_available(self, room_type_id: str, start: date, end: date, available: int) -> None:
        """Make `available` rooms free on each night in [start, end), whatever is already held."""
        for day in nights(start, end):
            self._capacity[(room_type_id, day)] = available + self._held[(room_type_id, day)]

    def try_take(self, room_type_id: str, stay: list[date], quantity: int = 1) -> date | None:
        """Hold `quantity` rooms on every night, or nothing; returns the first short night, if any."""
        short = next((day for day in stay if self.available(room_type_id, day) < quantity), None)
        if short is None:
            for day in stay:
                self._held[(room_type_id, day)] += quantity
        return short

    def try_take_many(self, wanted: Counter[str], stay: list[date]) -> tuple[str, date] | None:
        """Hold the rooms of every room type on every night, or nothing; the first short (type, night)."""
        for room_type_id, quantity in wanted.items():
            short = next((day for day in stay if self.available(room_type_id, day) < quantity), None)
            if short is not None:
                return room_type_id, short
        for room_type_id, quantity in wanted.items():
            for day in stay:
                self._held[(room_type_id, day)] += quantity
        return None

    def give_back(self, room_type_id: str, stay: list[date], quantity: int = 1) -> None:
        for day in stay:
            self._held[(room_type_id, day)] -= quantity

    def rate(self, room_type_id: str, day: date) -> Decimal:
        """The base nightly rate (the guests the rate includes)."""
        return self.room_types[room_type_id].nightly_rate

    def party_rate(self, room_type_id: str, day: date, adults: int, children: int) -> Decimal:
        """Cloudbeds: the nightly rate for this party (`totalRate`), extra adults and children counted
        against the room type's own included numbers."""
        return self.room_types[room_type_id].nightly_for(self.rate(room_type_id, day), adults, children)

    def mews_extras(self) -> tuple[Decimal, Decimal]:
        """Mews prices extra guests per rate, not per category (`AgeCategoryAdjustments`): the one
        simulated rate charges the highest extra adult / child charge its room types name."""
        types = self.room_types.values()
        return (
            max((rt.extra_adult_rate for rt in types), default=Decimal(0)),
            max((rt.extra_child_rate for rt in types), default=Decimal(0)),
        )

    def mews_party_rate(self, room_type_id: str, day: date, adults: int, children: int) -> Decimal:
        """Mews: guests beyond the category's Capacity cost the rate's adjustment for their age."""
        rt = self.room_types[room_type_id]
        extra_adult, extra_child = self.mews_extras()
        priced = rt.model_copy(update={"extra_adult_rate": extra_adult, "extra_child_rate": extra_child})
        return priced.nightly_for(self.rate(room_type_id, day), adults, children, pooled=True)

    def taxes_for(self, room_type_id: str, nightly: list[tuple[date, Decimal]]) -> Decimal:
        """Taxes and fees on a reservation's room nights: percentage of the room total, fixed per room
        night, fixed per reservation (only those that apply to the room type)."""
        room_total = sum((rate for _, rate in nightly), Decimal(0))
        total = Decimal(0)
        for tax in self.seed.taxes:
            if not tax.applies_to(room_type_id):
                continue
            if tax.amount_type == "percentage":
                line = room_total * tax.amount / 100
            elif tax.amount_type == "fixed":
                line = tax.amount * len(nightly)
            else:
                line = tax.amount
            total += Money.of(line, self.seed.currency).amount  # each line rounded to the currency
        return total


class PmsSimState:
    """All properties and reservations of one simulator instance; ids come from a seeded RNG."""

    def __init__(self, seed: int = 0, vendor: str | None = None) -> None:
        self.seed = seed
        self.vendor = vendor
        self.reset()

    def reset(self) -> None:
        self.rng = random.Random(f"pms-sim-{self.seed}")
        self.properties: dict[str, PropertyBook] = {
            pid: PropertyBook(pid, seed) for pid, seed in demo_properties(self.vendor).items()
        }
        self.reservations: dict[str, SimReservation] = {}
        # property id -> amount the PMS adds to every reservation made through its API from now on
        self.price_adjustments: dict[str, Decimal] = {}

    def upsert_property(self, property_id: str, seed: PropertySeed) -> PropertyBook:
        """Replace a property's definition; rooms held by its live reservations stay held."""
        book = PropertyBook(property_id, seed)
        for res in self.reservations.values():
            if res.property_id == property_id and res.holds_inventory:
                stay = nights(res.check_in, res.check_out)
                for room_type_id, quantity in res.room_counts().items():
                    if room_type_id in book.room_types:
                        book.try_take(room_type_id, stay, quantity)
        self.properties[property_id] = book
        return book

    def book_other_channel(
        self,
        property_id: str,
        room_type_id: str,
        check_in: date,
        check_out: date,
        quantity: int,
        *,
        now: float,
        new_id: Callable[[], str],
        status: str,
        guest: dict[str, str],
        extra: Callable[[], dict[str, Any]],
    ) -> list[SimReservation] | None:
        """`quantity` one-room reservations made elsewhere (all or none), one adult each, in the
        vendor's spelling: its id form, status word, guest fields and `extra` (made per reservation)."""
        book = self.properties[property_id]
        if book.try_take(room_type_id, nights(check_in, check_out), quantity) is not None:
            return None
        made = []
        for _ in range(quantity):
            res = SimReservation(
                reservation_id=new_id(),
                property_id=property_id,
                room_type_id=room_type_id,
                check_in=check_in,
                check_out=check_out,
                adults=1,
                children=0,
                status=status,
                external_id=None,
                guest=dict(guest),
                created=now,
                modified=now,
                currency=book.seed.currency,
                nightly=[(day, book.rate(room_type_id, day)) for day in nights(check_in, check_out)],
                extra=extra(),
            )
            self.reservations[res.reservation_id] = res
            made.append(res)
        return made

    def new_digits(self, length: int) -> str:
        return str(self.rng.randrange(10 ** (length - 1), 10**length))

    def new_uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def release(self, res: SimReservation) -> None:
        """Give a reservation's rooms back (once)."""
        if res.holds_inventory:
            book, stay = self.properties[res.property_id], nights(res.check_in, res.check_out)
            for room_type_id, quantity in res.room_counts().items():
                book.give_back(room_type_id, stay, quantity)
            res.holds_inventory = False

    def summary(self) -> dict[str, Any]:
        return {
            "properties": sorted(self.properties),
            "reservations": [res.summary() for res in self.reservations.values()],
        }
