"""An in-memory PMS connector that fails on demand, for the resilience tests."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date

from roomgate.pms.errors import PMSError, PMSNotFound
from roomgate.pms.types import (
    HotelDetails,
    NightInventory,
    NightRate,
    Reservation,
    ReservationRequest,
    ReservationStatus,
    RoomType,
)


class FakeConnector:
    """Implements `PMSConnector`; `fail_next(method, *errors)` queues errors, `fail_always` breaks it."""

    def __init__(self, vendor: str = "cloudbeds", hotel_id: str = "hotel_1") -> None:
        self.vendor = vendor
        self.hotel_id = hotel_id
        self.calls: Counter[str] = Counter()
        self.reservations: dict[str, Reservation] = {}
        self._queued: defaultdict[str, list[PMSError]] = defaultdict(list)
        self._always: PMSError | None = None
        self.create_lands_before_failing = False  # a timed-out create that the vendor did carry out

    def fail_next(self, method: str, *errors: PMSError) -> None:
        self._queued[method].extend(errors)

    def fail_always(self, error: PMSError | None) -> None:
        self._always = error

    def _enter(self, method: str) -> None:
        self.calls[method] += 1
        if self._always is not None:
            raise self._always
        if self._queued[method]:
            raise self._queued[method].pop(0)

    async def get_hotel_details(self) -> HotelDetails:
        self._enter("get_hotel_details")
        return HotelDetails(hotel_id=self.hotel_id, name="Fake Hotel", currency="KRW")

    async def get_room_types(self) -> list[RoomType]:
        self._enter("get_room_types")
        return [RoomType(room_type_id="room_1", name="Double", max_occupancy=2)]

    async def get_inventory(
        self, room_type_ids: Sequence[str] | None, start: date, end: date
    ) -> list[NightInventory]:
        self._enter("get_inventory")
        return [NightInventory(room_type_id="room_1", date=start, available=3)]

    async def get_rates(
        self, room_type_ids: Sequence[str] | None, start: date, end: date, adults: int, children: int
    ) -> list[NightRate]:
        self._enter("get_rates")
        return []

    async def create_reservation(self, request: ReservationRequest) -> Reservation:
        self.calls["create_reservation"] += 1
        queued = self._queued["create_reservation"]
        if queued and self.create_lands_before_failing:
            self._store(request)
        if self._always is not None:
            raise self._always
        if queued:
            raise queued.pop(0)
        return self._store(request)

    def _store(self, request: ReservationRequest) -> Reservation:
        reservation = Reservation(
            reservation_id=f"R{len(self.reservations) + 1}",
            status=ReservationStatus.CONFIRMED,
            external_id=request.external_id,
        )
        self.reservations[request.external_id] = reservation
        return reservation

    async def confirm_reservation(self, reservation_id: str) -> Reservation:
        self._enter("confirm_reservation")
        return self._find(reservation_id)

    async def cancel_reservation(self, reservation_id: str) -> None:
        self._enter("cancel_reservation")

    async def get_reservation(self, reservation_id: str) -> Reservation:
        self._enter("get_reservation")
        return self._find(reservation_id)

    def _find(self, reservation_id: str) -> Reservation:
        for reservation in self.reservations.values():
            if reservation.reservation_id == reservation_id:
                return reservation
        raise PMSNotFound(f"no reservation {reservation_id}", vendor=self.vendor, hotel_id=self.hotel_id)

    async def find_reservation_by_external_id(self, external_id: str) -> Reservation | None:
        self._enter("find_reservation_by_external_id")
        return self.reservations.get(external_id)
