"""The connector port the services depend on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol, runtime_checkable

from roomgate.pms.types import (
    HotelDetails,
    NightInventory,
    NightRate,
    Reservation,
    ReservationRequest,
    RoomType,
)

SUPPORTED_VENDORS = ("cloudbeds", "mews")


@runtime_checkable
class PMSConnector(Protocol):
    """One hotel at one vendor. Dates: `start` inclusive, `end` exclusive (nights, like a stay)."""

    vendor: str
    hotel_id: str

    async def get_hotel_details(self) -> HotelDetails: ...

    async def get_room_types(self) -> list[RoomType]: ...

    async def get_inventory(
        self, room_type_ids: Sequence[str] | None, start: date, end: date
    ) -> list[NightInventory]: ...

    async def get_rates(
        self, room_type_ids: Sequence[str] | None, start: date, end: date, adults: int, children: int
    ) -> list[NightRate]: ...

    async def create_reservation(self, request: ReservationRequest) -> Reservation: ...

    async def confirm_reservation(self, reservation_id: str) -> Reservation:
        """Confirm a tentative reservation; a no-op returning it when already confirmed."""
        ...

    async def cancel_reservation(self, reservation_id: str) -> None:
        """Cancel; cancelling an already-cancelled reservation succeeds."""
        ...

    async def get_reservation(self, reservation_id: str) -> Reservation: ...

    async def find_reservation_by_external_id(self, external_id: str) -> Reservation | None: ...


class CredentialsProvider(Protocol):
    """Where a hotel's API key comes from (environment now, the admin's encrypted store later)."""

    async def api_key(self, vendor: str, hotel_id: str) -> str | None: ...
