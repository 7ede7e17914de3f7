"""In-memory fakes of the saga's ports (cache, pricing, PMS, payments) for fast unit tests.

They fake adapters, never our own services; the same flows run against the real simulators in tests/e2e.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from roomgate.domain.money import Money
from roomgate.domain.stay import Stay
from roomgate.payments.base import (
    Authorization,
    PaymentDeclined,
    PaymentSource,
    PaymentStatus,
    PaymentTimeout,
)
from roomgate.pms.errors import PMSNotFound, PMSSoldOut, PMSTimeout, PMSTransientError
from roomgate.pms.types import Reservation, ReservationRequest, ReservationStatus
from roomgate.services.ports import HoldOutcome, NightQuote, Quote

PRICE = Money.from_minor(125000, "KRW")


@dataclass
class Pause:
    """Holds the next `times` calls of a fake vendor method at their start, before the vendor acts,
    until the test lets them go: a deterministic race window (no sleeps)."""

    times: int = 1
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    go: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self) -> None:
        if self.times <= 0:
            return
        self.times -= 1
        self.entered.set()
        await self.go.wait()


async def _pause(pauses: dict[str, Pause], method: str) -> None:
    if method in pauses:
        await pauses[method]()


@dataclass
class FakeHolds:
    rooms: int = 5
    active: dict[str, tuple[str, tuple[date, ...]]] = field(default_factory=dict)
    converted: set[str] = field(default_factory=set)
    released: set[str] = field(default_factory=set)

    async def create(
        self, hotel_id: str, room_type_id: str, nights: Sequence[date], quantity: int, hold_id: str
    ) -> HoldOutcome:
        if hold_id in self.active:
            return HoldOutcome(True)
        for night in nights:
            used = sum(1 for _, ns in self.active.values() if night in ns)
            if used + quantity > self.rooms:
                return HoldOutcome(False, short_night=night)
        self.active[hold_id] = (room_type_id, tuple(nights))
        return HoldOutcome(True)

    async def create_many(
        self, hotel_id: str, lines: Sequence[tuple[str, int]], nights: Sequence[date], hold_id: str
    ) -> HoldOutcome:
        if hold_id in self.active:
            return HoldOutcome(True)
        for night in nights:
            used = sum(1 for _, ns in self.active.values() if night in ns)
            if used + sum(q for _, q in lines) > self.rooms:
                return HoldOutcome(False, short_night=night, room_type_id=lines[0][0])
        self.active[hold_id] = (lines[0][0], tuple(nights))
        return HoldOutcome(True)

    async def release(self, hotel_id: str, hold_id: str) -> None:
        if self.active.pop(hold_id, None) is not None:
            self.released.add(hold_id)

    async def convert(self, hotel_id: str, hold_id: str, booked_at: float | None = None) -> None:
        if self.active.pop(hold_id, None) is not None:
            self.converted.add(hold_id)


@dataclass
class FakePricer:
    """The saga's `Pricer` and the cancellation's `Restocker` (restocked nights in `cancelled_nights`)."""

    price: Money = PRICE
    for_sale: int = 5
    cancelled_nights: list[date] = field(default_factory=list)

    async def quote(
        self, vendor: str, hotel_id: str, room_type_id: str, stay: Stay, adults: int, children: int
    ) -> Quote:
        nights = tuple(NightQuote(n, self.price, self.for_sale) for n in stay.nights())
        return Quote(room_type_id, 4, nights, self.price * len(nights), "rate_1")

    async def ensure_cached(self, vendor: str, hotel_id: str, room_type_id: str, stay: Stay) -> None:
        return None

    async def restock(
        self, hotel_id: str, room_type_id: str, nights: Sequence[date], quantity: int, changed_at: float
    ) -> None:
        self.cancelled_nights.extend(nights)


@dataclass
class FakeConnector:
    vendor: str = "cloudbeds"
    hotel_id: str = "hotel_123"
    reservations: dict[str, Reservation] = field(default_factory=dict)
    # "sold_out" | "timeout_after_create" | "timeout_before_create" | "timeout_lands_later"
    # | "timeout_lands_later_once" (only the first create; later ones succeed)
    fail_create: str | None = None
    in_flight: list[ReservationRequest] = field(default_factory=list)
    broken_lookups: set[str] = field(default_factory=set)  # external ids whose lookup hits a connector bug
    pauses: dict[str, Pause] = field(default_factory=dict)  # method name -> Pause
    fail_cancel: bool = False  # the PMS is down for cancellations
    surcharge_minor: int = 0  # added to the quoted total of every reservation made (negative: a discount)
    fail_reads: bool = False  # the PMS is down for reservation reads (getReservation)

    async def create_reservation(self, request: ReservationRequest) -> Reservation:
        await _pause(self.pauses, "create_reservation")
        if self.fail_create == "sold_out":
            raise PMSSoldOut("no rooms", vendor=self.vendor, hotel_id=self.hotel_id)
        if self.fail_create == "timeout_before_create":
            raise PMSTimeout("timeout", vendor=self.vendor, hotel_id=self.hotel_id)
        if self.fail_create in {"timeout_lands_later", "timeout_lands_later_once"}:
            # the vendor acts on it after we gave up
            if self.fail_create.endswith("_once"):
                self.fail_create = None
            self.in_flight.append(request)
            raise PMSTimeout("timeout", vendor=self.vendor, hotel_id=self.hotel_id)
        reservation = self._make(request)
        if self.fail_create == "timeout_after_create":
            raise PMSTimeout("timeout", vendor=self.vendor, hotel_id=self.hotel_id)
        return reservation

    def _billed(self, request: ReservationRequest) -> Money | None:
        """What the PMS bills: the quoted total plus `surcharge_minor` (a fee the quote did not show)."""
        if request.total is None:
            return None
        return Money.from_minor(request.total.minor + self.surcharge_minor, request.total.currency)

    def _make(self, request: ReservationRequest) -> Reservation:
        """One reservation, or for a multi-room request one per room, as Mews (a group); the first
        carries the whole bill, the others none, so the group's totals sum to what the PMS bills."""
        made = []
        for index in range(sum(line.quantity for line in request.rooms) or 1):
            billed = self._billed(request)
            if index and billed is not None:
                billed = Money.zero(billed.currency)
            reservation = Reservation(
                f"r{len(self.reservations) + 1}",
                ReservationStatus.CONFIRMED,
                external_id=request.external_id,
                total=billed,
            )
            self.reservations[reservation.reservation_id] = reservation
            made.append(reservation.reservation_id)
        first = self.reservations[made[0]]
        return replace(first, group_ids=tuple(made)) if request.rooms else first

    def land_in_flight(self) -> None:
        """The vendor finally carries out every create it was sent and never answered."""
        for request in self.in_flight:
            self._make(request)
        self.in_flight.clear()

    async def confirm_reservation(self, reservation_id: str) -> Reservation:
        return self.reservations[reservation_id]

    async def cancel_reservation(self, reservation_id: str) -> None:
        if self.fail_cancel:
            raise PMSTransientError("503", vendor=self.vendor, hotel_id=self.hotel_id)
        old = self.reservations[reservation_id]
        self.reservations[reservation_id] = Reservation(
            old.reservation_id, ReservationStatus.CANCELLED, external_id=old.external_id
        )

    async def get_reservation(self, reservation_id: str) -> Reservation:
        await _pause(self.pauses, "get_reservation")
        if self.fail_reads:
            raise PMSTransientError("503", vendor=self.vendor, hotel_id=self.hotel_id)
        if reservation_id not in self.reservations:
            raise PMSNotFound("no such reservation", vendor=self.vendor, hotel_id=self.hotel_id)
        return self.reservations[reservation_id]

    async def find_reservation_by_external_id(self, external_id: str) -> Reservation | None:
        if external_id in self.broken_lookups:
            raise KeyError("ChannelNumber")  # an unmapped parse error, as a connector bug would raise
        found = [r for r in self.reservations.values() if r.external_id == external_id]
        # as the real connectors: a live match wins over a cancelled one
        found.sort(key=lambda r: r.status is ReservationStatus.CANCELLED)
        return found[0] if found else None

    def active(self) -> list[Reservation]:
        return [r for r in self.reservations.values() if r.status is ReservationStatus.CONFIRMED]


@dataclass
class FakeGateway:
    name: str = "sandbox"
    payments: dict[str, tuple[str, PaymentStatus]] = field(default_factory=dict)
    fail_capture: bool = False
    pauses: dict[str, Pause] = field(default_factory=dict)  # method name -> Pause
    partial_capture: bool = True  # False: as Toss, no capture of less than authorised
    captured: dict[str, Money] = field(default_factory=dict)  # authorisation id -> amount collected

    async def authorize(self, booking_id: str, amount: Money, source: PaymentSource) -> Authorization:
        await _pause(self.pauses, "authorize")
        if source.card_token == "tok_decline":
            raise PaymentDeclined("declined", provider=self.name, code="CARD_DECLINED")
        auth_id = f"pa_{booking_id}"
        self.payments.setdefault(auth_id, (booking_id, PaymentStatus.AUTHORIZED))
        if source.card_token == "tok_timeout":
            raise PaymentTimeout("timeout", provider=self.name)
        return Authorization(self.name, auth_id, amount)

    async def capture(
        self, authorization: Authorization, booking_id: str, amount: Money | None = None
    ) -> None:
        await _pause(self.pauses, "capture")
        if self.fail_capture:
            raise PaymentDeclined("capture refused", provider=self.name)
        if amount is not None and amount != authorization.amount and not self.partial_capture:
            raise PaymentDeclined("capture of less than authorised refused", provider=self.name)
        state = self.payments[authorization.authorization_id][1]
        if state in {PaymentStatus.VOIDED, PaymentStatus.REFUNDED}:  # as every provider: no capture after
            raise PaymentDeclined(f"capture refused: payment is {state}", provider=self.name)
        self._move(authorization.authorization_id, PaymentStatus.CAPTURED)
        self.captured.setdefault(authorization.authorization_id, amount or authorization.amount)

    async def void(self, authorization_id: str, booking_id: str) -> None:
        """As the sandbox: release the hold before capture, refund in full after it."""
        await _pause(self.pauses, "void")
        state = self.payments[authorization_id][1]
        if state is PaymentStatus.CAPTURED:
            self._move(authorization_id, PaymentStatus.REFUNDED)
        elif state is PaymentStatus.AUTHORIZED:
            self._move(authorization_id, PaymentStatus.VOIDED)

    async def refund(self, authorization_id: str, booking_id: str, amount: Money, reason: str) -> None:
        self._move(authorization_id, PaymentStatus.REFUNDED)

    async def get_status(self, authorization_id: str) -> PaymentStatus:
        return self.payments[authorization_id][1]

    async def find_by_booking(self, booking_id: str) -> Authorization | None:
        auth_id = f"pa_{booking_id}"
        return Authorization(self.name, auth_id, PRICE) if auth_id in self.payments else None

    def _move(self, authorization_id: str, status: PaymentStatus) -> None:
        booking_id, _ = self.payments[authorization_id]
        self.payments[authorization_id] = (booking_id, status)
