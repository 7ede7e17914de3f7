"""The connector port the services depend on."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from datetime import date, datetime
from typing import Protocol, TypeVar, runtime_checkable

from roomgate.domain.money import Money
from roomgate.domain.taxes import TaxRule
from roomgate.pms.types import (
    HotelDetails,
    NightInventory,
    NightRate,
    Reservation,
    ReservationRequest,
    RoomType,
)

SUPPORTED_VENDORS = ("cloudbeds", "mews")

InventoryAndRates = tuple[list[NightInventory], list[NightRate]]
A = TypeVar("A")
B = TypeVar("B")


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


@runtime_checkable
class ReadsTaxes(Protocol):
    """Optional capability: the taxes and fees the hotel adds to a reservation (Cloudbeds
    `getTaxesAndFees`). Mews prices are gross (tax included), so it has none to add."""

    async def get_taxes(self) -> list[TaxRule]: ...


async def room_types_and_taxes(connector: PMSConnector) -> tuple[list[RoomType], list[TaxRule]]:
    """The hotel's room types and, where the vendor tells them, its taxes and fees. One after the
    other: a PMS that is down fails the first read alone, as before taxes were read (a failure
    counts once towards the breaker, not twice)."""
    room_types = list(await connector.get_room_types())
    taxes = await connector.get_taxes() if isinstance(connector, ReadsTaxes) else []
    return room_types, taxes


@runtime_checkable
class ReadsInventoryAndRates(Protocol):
    """Optional capability: counts and prices of a range in one vendor round (Cloudbeds: one
    `getRatePlans`). A connector may say how many HTTP requests that round sends in an int
    attribute `inventory_and_rates_requests` (default 1), so the rate limiter counts them all."""

    async def get_inventory_and_rates(
        self, room_type_ids: Sequence[str] | None, start: date, end: date, adults: int, children: int
    ) -> InventoryAndRates: ...


@runtime_checkable
class ListsModifiedReservations(Protocol):
    """Optional capability: reservations the PMS modified in [since, until) (aware UTC datetimes), all
    channels, cancelled ones included (Cloudbeds `getReservations modifiedFrom/modifiedTo`, Mews
    `reservations/getAll` by `UpdatedUtc`). Rows may lack the room type (Cloudbeds' list has none)."""

    async def get_modified_reservations(self, since: datetime, until: datetime) -> list[Reservation]: ...


@runtime_checkable
class ChecksCredentials(Protocol):
    """Optional capability: is the key valid at all, whatever hotel it is used for? (Vendors refuse a
    hotel the key cannot reach with the same error as a wrong key.)"""

    async def credentials_valid(self) -> bool: ...


@runtime_checkable
class ReadsReservationTotal(Protocol):
    """Optional capability: the reservation's total as the PMS bills it, when `get_reservation` does
    not carry it (Mews: the sum of the reservation's order items); None when the PMS reports none."""

    async def get_reservation_total(self, reservation_id: str) -> Money | None: ...


async def reservation_total(connector: PMSConnector, reservation_id: str) -> Money | None:
    """The reservation's total as the PMS bills it now (read fresh, never what we sent)."""
    if isinstance(connector, ReadsReservationTotal):
        return await connector.get_reservation_total(reservation_id)
    return (await connector.get_reservation(reservation_id)).total


async def get_inventory_and_rates(
    connector: PMSConnector,
    room_type_ids: Sequence[str] | None,
    start: date,
    end: date,
    adults: int,
    children: int,
) -> InventoryAndRates:
    """Counts and prices of a range: one combined read when the connector offers it, else
    `get_inventory` and `get_rates` side by side."""
    if isinstance(connector, ReadsInventoryAndRates):
        return await connector.get_inventory_and_rates(room_type_ids, start, end, adults, children)
    return await both(
        connector.get_inventory(room_type_ids, start, end),
        connector.get_rates(room_type_ids, start, end, adults, children),
    )


async def both(first: Awaitable[A], second: Awaitable[B]) -> tuple[A, B]:
    """Await both concurrently; once both have ended, raise the first one's error, else the second's."""
    # gather(return_exceptions=True) rather than a TaskGroup: callers expect a PMSError, not a group.
    one, two = await asyncio.gather(first, second, return_exceptions=True)
    if isinstance(one, BaseException):
        raise one
    if isinstance(two, BaseException):
        raise two
    return one, two
