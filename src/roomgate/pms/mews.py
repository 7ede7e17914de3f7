"""Mews Connector API connector: the native hold is a reservation in state `Optional` with `ReleasedUtc`.

Our booking id travels in `ChannelNumber` (also sent as the per-request `Identifier`): it is a
reservation parameter that `reservations/getAll/2023-06-06` can filter on (`ChannelNumbers`), so a
retry after a timeout finds the reservation with one call. `Identifier` is only echoed within one
request and `Notes` cannot be searched, which rules both out as the lookup key.
The hotel id is the Mews `EnterpriseId` (sent where an operation accepts it, as portfolio tokens require).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx2

from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.domain.money import Money
from roomgate.pms import mews_parse as parse
from roomgate.pms.base import both
from roomgate.pms.errors import PMSAuthenticationError, PMSBadRequest, PMSNotFound, PMSTransientError
from roomgate.pms.mews_client import MewsClient
from roomgate.pms.mews_setup import MewsSetup, load_setup
from roomgate.pms.mews_time import format_utc, local_midnight, unit_interval
from roomgate.pms.transport import CallContext
from roomgate.pms.types import (
    HotelDetails,
    NightInventory,
    NightRate,
    Reservation,
    ReservationRequest,
    ReservationStatus,
    RoomType,
)

MAX_UNITS = 367  # longest interval getAvailability / getPricing accept for daily services
CANCEL_NOTE = "Cancelled by roomgate"


class MewsConnector:
    """One Mews enterprise; no retries here (the resilience wrapper owns them)."""

    vendor = "mews"
    inventory_and_rates_requests = 2  # getAvailability + getPricing, sent together
    max_read_nights = MAX_UNITS

    def __init__(
        self,
        *,
        hotel_id: str,
        access_token: str,
        client_token: str,
        http: httpx2.AsyncClient,
        base_url: str,
        timeout: float,
        clock: Clock = SYSTEM_CLOCK,
        client_name: str = "roomgate 0.1.0",
        enterprise_id: str | None = None,
    ) -> None:
        self.hotel_id = hotel_id
        self._clock = clock
        self._enterprise_id = enterprise_id
        ctx = CallContext(self.vendor, hotel_id, timeout, (access_token, client_token))
        self._api = MewsClient(
            http=http,
            base_url=base_url,
            client_token=client_token,
            access_token=access_token,
            client_name=client_name,
            ctx=ctx,
            clock=clock,
        )
        self._setup: MewsSetup | None = None
        self._setup_lock = asyncio.Lock()
        self._capacities: dict[str, int] = {}  # resource category → Capacity (the included guests)

    def __repr__(self) -> str:
        return f"MewsConnector(hotel_id={self.hotel_id!r})"

    # -- setup -----------------------------------------------------------------------------------------
    def _scope(self, plural: bool = False) -> dict[str, Any]:
        if self._enterprise_id is None:
            return {}
        return {"EnterpriseIds": [self._enterprise_id]} if plural else {"EnterpriseId": self._enterprise_id}

    async def setup(self) -> MewsSetup:
        """Enterprise, bookable service, age categories and default rate (four calls, then cached)."""
        if self._setup is None:
            async with self._setup_lock:
                if self._setup is None:
                    self._setup = await load_setup(self._api, self._scope(), self._scope(plural=True))
        return self._setup

    def _interval(self, setup: MewsSetup, start: date, end: date, operation: str) -> dict[str, str]:
        try:
            return unit_interval(start, end, setup.zone, MAX_UNITS)
        except ValueError as exc:
            raise self._api.ctx.error(PMSBadRequest, operation, str(exc)) from None

    # -- property ----------------------------------------------------------------------------------------
    async def get_hotel_details(self) -> HotelDetails:
        return parse.parse_hotel(self.hotel_id, (await self.setup()).enterprise)

    async def credentials_valid(self) -> bool:
        """Whether the tokens themselves are accepted: `configuration/get` without an enterprise."""
        try:
            await self._api.call("configuration/get", {})
        except PMSAuthenticationError:
            return False
        return True

    async def get_room_types(self) -> list[RoomType]:
        return [parse.parse_room_type(c) for c in await self._categories(await self.setup())]

    async def _categories(self, setup: MewsSetup) -> list[dict[str, Any]]:
        """`resourceCategories/getAll` (active ones); remembers each category's `Capacity`."""
        payload = {**self._scope(plural=True), "ServiceIds": [setup.service_id], "ActivityStates": ["Active"]}
        categories = await self._api.get_all("resourceCategories/getAll", payload, "ResourceCategories")
        active = [c for c in categories if c.get("IsActive", True)]
        self._capacities = {str(c["Id"]): int(c.get("Capacity") or 0) for c in active}
        return active

    async def _capacities_of(self, setup: MewsSetup, room_type_ids: Sequence[str] | None) -> dict[str, int]:
        """The categories' capacities, read once (again when an unknown category is asked for)."""
        if not self._capacities or any(r not in self._capacities for r in room_type_ids or ()):
            await self._categories(setup)
            # Ids Mews does not list: remembered with no capacity (no extra-guest rule), not re-read.
            self._capacities.update({r: -1 for r in room_type_ids or () if r not in self._capacities})
        return self._capacities

    async def get_inventory(
        self, room_type_ids: Sequence[str] | None, start: date, end: date
    ) -> list[NightInventory]:
        """`services/getAvailability`: absolute availability per resource category and time unit."""
        return await self._availability(await self.setup(), room_type_ids, start, end)

    async def get_rates(
        self, room_type_ids: Sequence[str] | None, start: date, end: date, adults: int, children: int
    ) -> list[NightRate]:
        """`rates/getPricing` of the default rate: gross price per category and night, with the
        rate's extra-occupancy charges per age category beyond each category's `Capacity`."""
        return await self._pricing(await self.setup(), room_type_ids, start, end)

    async def get_inventory_and_rates(
        self, room_type_ids: Sequence[str] | None, start: date, end: date, adults: int, children: int
    ) -> tuple[list[NightInventory], list[NightRate]]:
        """`services/getAvailability` and `rates/getPricing` sent together: Mews has no operation
        that answers both, so one round of two requests is the least it takes."""
        setup = await self.setup()
        return await both(
            self._availability(setup, room_type_ids, start, end),
            self._pricing(setup, room_type_ids, start, end),
        )

    async def _availability(
        self, setup: MewsSetup, room_type_ids: Sequence[str] | None, start: date, end: date
    ) -> list[NightInventory]:
        interval = self._interval(setup, start, end, "services/getAvailability")
        answer = await self._api.call("services/getAvailability", {"ServiceId": setup.service_id, **interval})
        return parse.availability(answer, setup.zone, room_type_ids, start, end)

    async def _pricing(
        self, setup: MewsSetup, room_type_ids: Sequence[str] | None, start: date, end: date
    ) -> list[NightRate]:
        interval = self._interval(setup, start, end, "rates/getPricing")
        answer = await self._api.call("rates/getPricing", {"RateId": setup.default_rate_id, **interval})
        capacities = await self._capacities_of(setup, room_type_ids)
        return parse.pricing(answer, setup, room_type_ids, start, end, capacities)

    # -- reservations ----------------------------------------------------------------------------------
    async def create_reservation(self, request: ReservationRequest) -> Reservation:
        """`customers/add` + `reservations/add`; `Optional` until `ReleasedUtc` if `hold_seconds` is set."""
        setup = await self.setup()
        guest = request.guest
        customer = await self._api.call(
            "customers/add",
            {
                "FirstName": guest.first_name,
                "LastName": guest.last_name,
                "Email": guest.email,
                "Phone": guest.phone or None,
                "NationalityCode": guest.country or None,
                "OverwriteExisting": True,
            },
        )
        now = datetime.fromtimestamp(self._clock.now(), UTC)
        hold = request.hold_seconds is not None
        common = {
            "ChannelNumber": request.external_id,
            "State": "Optional" if hold else "Confirmed",
            "StartUtc": format_utc(local_midnight(request.check_in, setup.zone) + setup.start_offset),
            "EndUtc": format_utc(local_midnight(request.check_out, setup.zone) + setup.end_offset),
            "ReleasedUtc": format_utc(now + timedelta(seconds=request.hold_seconds or 0)) if hold else None,
            "CustomerId": customer.get("Id"),
            "Notes": f"roomgate booking {request.external_id}",
        }
        # One reservation per room, all in one call (one reservation group, all or nothing); each
        # carries our booking id as ChannelNumber, so a lookup after a lost answer finds every one.
        reservations = []
        for index, line in enumerate(request.room_lines()):
            counts = [{"AgeCategoryId": setup.adult_category_id, "Count": line.adults}]
            if line.children and setup.child_category_id:
                counts.append({"AgeCategoryId": setup.child_category_id, "Count": line.children})
            for room in range(line.quantity):
                identifier = (
                    request.external_id if not request.rooms else f"{request.external_id}.{index}.{room}"
                )
                reservations.append(
                    {
                        "Identifier": identifier,
                        **common,
                        "RequestedCategoryId": line.room_type_id,
                        "RateId": line.rate_plan_id or setup.default_rate_id,
                        "PersonCounts": counts,
                    }
                )
        answer = await self._api.call(
            "reservations/add",
            {
                **self._scope(),
                "ServiceId": setup.service_id,
                "SendConfirmationEmail": False,
                "CheckOverbooking": True,
                "Reservations": reservations,
            },
        )
        added = answer.get("Reservations") or []
        if len(added) != len(reservations) or not all(isinstance(a.get("Reservation"), dict) for a in added):
            raise self._api.ctx.error(
                PMSTransientError, "reservations/add", "unexpected answer: no reservation"
            )
        made = [parse.parse_reservation(a["Reservation"], setup.zone) for a in added]
        group = tuple(r.reservation_id for r in made) if request.rooms else ()
        # The 2017-04-12 shape of this answer has no ChannelNumber field; we know what we sent.
        # The answer carries no price: the PMS's own total is read with `get_reservation_total`.
        return _with(made[0], external_id=request.external_id, group_ids=group)

    async def confirm_reservation(self, reservation_id: str) -> Reservation:
        """`reservations/confirm` (only `Optional` ones can be); already confirmed counts as done."""
        try:
            await self._api.call(
                "reservations/confirm",
                {
                    **self._scope(),
                    "ReservationIds": [reservation_id],
                    "SendConfirmationEmail": False,
                },
            )
        except PMSBadRequest:
            current = await self.get_reservation(reservation_id)
            if current.status is ReservationStatus.CONFIRMED:
                return current
            raise
        return await self.get_reservation(reservation_id)

    async def cancel_reservation(self, reservation_id: str) -> None:
        """`reservations/cancel` (Notes are required); already cancelled counts as done."""
        try:
            await self._api.call(
                "reservations/cancel",
                {
                    **self._scope(),
                    "ReservationIds": [reservation_id],
                    "Notes": CANCEL_NOTE,
                    "PostCancellationFee": False,
                    "SendEmail": False,
                },
            )
        except PMSBadRequest:
            if (await self.get_reservation(reservation_id)).status is not ReservationStatus.CANCELLED:
                raise

    async def _find(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        payload = {**self._scope(plural=True), **filters}
        return await self._api.get_all("reservations/getAll/2023-06-06", payload, "Reservations")

    async def get_reservation(self, reservation_id: str) -> Reservation:
        setup = await self.setup()
        found = [
            r
            for r in await self._find({"ReservationIds": [reservation_id]})
            if str(r.get("Id")) == reservation_id
        ]
        if not found:
            raise self._api.ctx.error(PMSNotFound, "reservations/getAll", "reservation not found")
        return parse.parse_reservation(found[0], setup.zone)

    async def get_reservation_total(self, reservation_id: str) -> Money | None:
        """`orderItems/getAll` by `ServiceOrderIds`: the gross sum of the reservation's order items
        that are not cancelled (its nights and whatever the hotel added); None when it has none."""
        items = await self._api.get_all(
            "orderItems/getAll",
            {**self._scope(plural=True), "ServiceOrderIds": [reservation_id]},
            "OrderItems",
        )
        try:
            return parse.order_items_total(items)
        except ValueError as exc:
            raise self._api.ctx.error(PMSTransientError, "orderItems/getAll", str(exc)) from None

    async def get_modified_reservations(self, since: datetime, until: datetime) -> list[Reservation]:
        """`reservations/getAll/2023-06-06` filtered by `UpdatedUtc` (an interval of at most 3 months)."""
        setup = await self.setup()
        window = {"StartUtc": format_utc(since.astimezone(UTC)), "EndUtc": format_utc(until.astimezone(UTC))}
        return [parse.parse_reservation(r, setup.zone) for r in await self._find({"UpdatedUtc": window})]

    async def find_reservation_by_external_id(self, external_id: str) -> Reservation | None:
        """`ChannelNumbers` filter; a live match wins over a cancelled one."""
        setup = await self.setup()
        found = [
            r
            for r in await self._find({"ChannelNumbers": [external_id]})
            if r.get("ChannelNumber") == external_id
        ]
        found.sort(key=lambda r: r.get("State") == "Canceled")
        return parse.parse_reservation(found[0], setup.zone) if found else None


def _with(reservation: Reservation, **changes: Any) -> Reservation:
    return replace(reservation, **{k: v for k, v in changes.items() if v is not None})
