"""An in-memory PMSConnector (the port of pms/base.py) that counts calls and can fail or block."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from roomgate.domain.money import Money
from roomgate.domain.occupancy import OccupancyPricing
from roomgate.domain.stay import date_range
from roomgate.domain.taxes import TaxRule
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


class FakePMSConnector:
    """One hotel; `available[(room, night)]` and `prices[(room, night)]` override the defaults."""

    vendor = "fakepms"

    def __init__(
        self,
        hotel_id: str,
        room_types: list[RoomType],
        *,
        default_available: int = 5,
        default_price: Money = Money(Decimal(250000), "KRW"),
    ) -> None:
        self.hotel_id = hotel_id
        self.room_types = room_types
        self.default_available = default_available
        self.default_price = default_price
        self.available: dict[tuple[str, date], int] = {}
        self.prices: dict[tuple[str, date], Money | None] = {}
        self.occupancy: dict[str, OccupancyPricing] = {}  # per room type: extra-guest charges
        self.taxes: list[TaxRule] = []  # `get_taxes` (the capability Cloudbeds offers)
        self.calls: Counter[str] = Counter()
        self.fail_with: PMSError | None = None
        self.gate: asyncio.Event | None = None  # when set, inventory reads wait for it
        self.entered = asyncio.Event()  # set once an inventory read has begun
        self.reservations: dict[str, Reservation] = {}

    async def _enter(self, name: str) -> None:
        self.calls[name] += 1
        if name == "get_inventory":
            self.entered.set()
            if self.gate is not None:
                await self.gate.wait()
        for _ in range(3):  # let other coroutines interleave, like a network call would
            await asyncio.sleep(0)
        if self.fail_with is not None:
            raise self.fail_with

    def _rooms(self, room_type_ids: Sequence[str] | None) -> list[str]:
        known = [rt.room_type_id for rt in self.room_types]
        return [r for r in (room_type_ids or known) if r in known]

    async def get_hotel_details(self) -> HotelDetails:
        await self._enter("get_hotel_details")
        return HotelDetails(self.hotel_id, "Fake Hotel", self.default_price.currency)

    async def get_room_types(self) -> list[RoomType]:
        await self._enter("get_room_types")
        return list(self.room_types)

    async def get_inventory(
        self, room_type_ids: Sequence[str] | None, start: date, end: date
    ) -> list[NightInventory]:
        await self._enter("get_inventory")
        return [
            NightInventory(room, night, self.available.get((room, night), self.default_available))
            for room in self._rooms(room_type_ids)
            for night in date_range(start, end)
        ]

    async def get_rates(
        self, room_type_ids: Sequence[str] | None, start: date, end: date, adults: int, children: int
    ) -> list[NightRate]:
        await self._enter("get_rates")
        rates = []
        for room in self._rooms(room_type_ids):
            for night in date_range(start, end):
                price = self.prices.get((room, night), self.default_price)
                if price is not None:
                    rates.append(NightRate(room, night, price, "rp_std", self.occupancy.get(room)))
        return rates

    async def get_taxes(self) -> list[TaxRule]:
        await self._enter("get_taxes")
        return list(self.taxes)

    async def create_reservation(self, request: ReservationRequest) -> Reservation:
        await self._enter("create_reservation")
        reservation = Reservation(
            f"r{len(self.reservations) + 1}", ReservationStatus.CONFIRMED, request.external_id
        )
        self.reservations[reservation.reservation_id] = reservation
        return reservation

    async def confirm_reservation(self, reservation_id: str) -> Reservation:
        await self._enter("confirm_reservation")
        return await self.get_reservation(reservation_id)

    async def cancel_reservation(self, reservation_id: str) -> None:
        await self._enter("cancel_reservation")

    async def get_reservation(self, reservation_id: str) -> Reservation:
        if reservation_id not in self.reservations:
            raise PMSNotFound("no such reservation", vendor=self.vendor, hotel_id=self.hotel_id)
        return self.reservations[reservation_id]

    async def find_reservation_by_external_id(self, external_id: str) -> Reservation | None:
        return next((r for r in self.reservations.values() if r.external_id == external_id), None)
