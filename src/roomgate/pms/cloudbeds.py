"""Cloudbeds PMS connector, API v1.3: `x-api-key`, GET query strings, form-encoded POST/PUT, JSON answers.

Availability and prices both come from `getRatePlans` with `detailedRates=true`: it lists every rate
plan with per-night `roomsAvailable` and keeps sold-out nights (zeros) instead of dropping room types
as `getAvailableRoomTypes` does. The hotel id is the Cloudbeds `propertyID`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx2

from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.domain.money import Money
from roomgate.domain.taxes import TaxRule
from roomgate.pms import cloudbeds_parse as parse
from roomgate.pms.base import both
from roomgate.pms.errors import PMSAuthenticationError, PMSBadRequest, PMSError, PMSTransientError
from roomgate.pms.phpform import php_form
from roomgate.pms.transport import CallContext, send
from roomgate.pms.types import (
    HotelDetails,
    NightInventory,
    NightRate,
    Reservation,
    ReservationRequest,
    ReservationStatus,
    RoomType,
    WebhookSubscription,
)

MAX_PAGE_SIZE = 100  # getReservations: "Max = 100"
MAX_PAGES = 1000  # a server that ignores pageNumber must not keep us looping


class CloudbedsConnector:
    """One Cloudbeds property; no retries here (the resilience wrapper owns them)."""

    vendor = "cloudbeds"
    # Two getRatePlans side by side (one with an extra adult, one with an extra child: the answers
    # carry the extra-guest charges); the first fill also reads the currency and the room types.
    inventory_and_rates_requests = 2

    def __init__(
        self,
        *,
        hotel_id: str,
        api_key: str,
        http: httpx2.AsyncClient,
        base_url: str,
        timeout: float,
        clock: Clock = SYSTEM_CLOCK,
        page_size: int = MAX_PAGE_SIZE,
        lookup_days: int = 30,
        payment_method: str = "credit",
    ) -> None:
        self.hotel_id = hotel_id
        self._api_key = api_key
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._clock = clock
        self._page_size = min(page_size, MAX_PAGE_SIZE)
        self._lookup_days = lookup_days
        self._payment_method = payment_method
        self._ctx = CallContext(self.vendor, hotel_id, timeout, (api_key,))
        self._currency: str | None = None
        self._included: dict[str, tuple[int, int] | None] = {}  # room type → adults/children included

    def __repr__(self) -> str:
        return f"CloudbedsConnector(hotel_id={self.hotel_id!r}, base_url={self._base_url!r})"

    # -- transport ---------------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        return {"x-api-key": self._api_key, "X-PROPERTY-ID": self.hotel_id, "Accept": "application/json"}

    async def _get(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        query = {key: value for key, value in params.items() if value is not None}
        response = await send(
            self._http,
            self._ctx,
            method,
            "GET",
            f"{self._base_url}/{method}",
            params=query,
            headers=self._headers(),
        )
        return parse.checked_body(self._ctx, method, response, self._clock.now())

    async def _delete(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        query = {key: value for key, value in params.items() if value is not None}
        response = await send(
            self._http,
            self._ctx,
            method,
            "DELETE",
            f"{self._base_url}/{method}",
            params=query,
            headers=self._headers(),
        )
        return parse.checked_body(self._ctx, method, response, self._clock.now())

    async def _send_form(self, http_method: str, method: str, fields: dict[str, Any]) -> dict[str, Any]:
        headers = {**self._headers(), "Content-Type": "application/x-www-form-urlencoded"}
        body = urlencode(php_form(fields))
        response = await send(
            self._http,
            self._ctx,
            method,
            http_method,
            f"{self._base_url}/{method}",
            content=body,
            headers=headers,
        )
        return parse.checked_body(self._ctx, method, response, self._clock.now())

    def _unexpected(self, method: str, what: str) -> PMSError:
        return self._ctx.error(PMSTransientError, method, f"unexpected answer: {what}")

    # -- property ----------------------------------------------------------------------------------
    async def get_hotel_details(self) -> HotelDetails:
        """`getHotelDetails`, plus `getHotels` for the time zone (only that list carries it)."""
        details = (await self._get("getHotelDetails", {"propertyID": self.hotel_id})).get("data")
        if not isinstance(details, dict):
            raise self._unexpected("getHotelDetails", "no data object")
        hotels = (await self._get("getHotels", {"propertyIDs": self.hotel_id})).get("data") or []
        timezone = next(
            (
                str(h["propertyTimezone"])
                for h in hotels
                if str(h.get("propertyID")) == self.hotel_id and h.get("propertyTimezone")
            ),
            None,
        )
        hotel = parse.parse_hotel(self.hotel_id, details, timezone)
        self._currency = hotel.currency or self._currency
        return hotel

    async def credentials_valid(self) -> bool:
        """Whether the key itself is accepted: `getHotels` without a property lists the key's own."""
        try:
            await self._get("getHotels", {"pageSize": 1})
        except PMSAuthenticationError:
            return False
        return True

    async def _currency_code(self) -> str:
        if self._currency is None:
            await self.get_hotel_details()
        return self._currency or ""

    async def get_room_types(self) -> list[RoomType]:
        """Every room type, page by page (`pageNumber`/`pageSize`) until a short page."""
        room_types: list[RoomType] = []
        for page in range(1, MAX_PAGES + 1):
            params = {"propertyIDs": self.hotel_id, "pageNumber": page, "pageSize": self._page_size}
            items = (await self._get("getRoomTypes", params)).get("data") or []
            room_types.extend(parse.parse_room_type(item) for item in items)
            self._included.update({str(i["roomTypeID"]): parse.included_guests(i) for i in items})
            if len(items) < self._page_size:
                break
        return room_types

    async def get_taxes(self) -> list[TaxRule]:
        """`getTaxesAndFees` of the property: the taxes and fees it adds to reservations."""
        items = (await self._get("getTaxesAndFees", {"propertyID": self.hotel_id})).get("data") or []
        rules = [parse.parse_tax(item) for item in items if isinstance(item, dict)]
        return [rule for rule in rules if rule is not None]

    # -- availability and rates ----------------------------------------------------------------------
    async def _base_plans(
        self,
        room_type_ids: Sequence[str] | None,
        start: date,
        end: date,
        adults: int | None,
        children: int | None,
    ) -> dict[str, dict[str, Any]]:
        """One rate plan per room type: the base rate (not derived, no plan, no promo) where there is one."""
        params = {
            "propertyIDs": self.hotel_id,
            "roomTypeID": ",".join(room_type_ids) if room_type_ids else None,
            "startDate": start.isoformat(),
            "endDate": end.isoformat(),
            "adults": adults,
            "children": children,
            "detailedRates": "true",
        }
        items = (await self._get("getRatePlans", params)).get("data") or []
        return parse.base_plans(items, room_type_ids)

    def _nights(self, plan: dict[str, Any], start: date, end: date) -> list[tuple[date, dict[str, Any]]]:
        nights = parse.plan_nights(plan, start, end)
        if nights is None:
            raise self._unexpected("getRatePlans", "no roomRateDetailed")
        return nights

    async def get_inventory(
        self, room_type_ids: Sequence[str] | None, start: date, end: date
    ) -> list[NightInventory]:
        plans = await self._base_plans(room_type_ids, start, end, None, None)
        return self._inventory(plans, start, end)

    async def get_rates(
        self, room_type_ids: Sequence[str] | None, start: date, end: date, adults: int, children: int
    ) -> list[NightRate]:
        """Prices with their occupancy rule (see `get_inventory_and_rates`; the party is not needed)."""
        return (await self.get_inventory_and_rates(room_type_ids, start, end, adults, children))[1]

    async def get_inventory_and_rates(
        self, room_type_ids: Sequence[str] | None, start: date, end: date, adults: int, children: int
    ) -> tuple[list[NightInventory], list[NightRate]]:
        """Counts and prices from one round of two `getRatePlans` calls.

        Each night's price is `rateBase` (the guests `getRoomTypes` says the rate includes); the
        extra adult and child charges come from the nights' `totalRate` ("calculated using base rates
        and additional costs from extra guests") asked once with one adult more than any room type
        includes and once with one child more. `adults`/`children` are not needed: the rule prices
        every party (`domain.occupancy.party_price`)."""
        included = await self._included_of(room_type_ids)
        known = [pair for pair in included.values() if pair is not None]
        probe_adults = max((a for a, _ in known), default=1) + 1
        probe_children = max((c for _, c in known), default=0) + 1
        by_adults, by_children = await both(
            self._base_plans(room_type_ids, start, end, probe_adults, 0),
            self._base_plans(room_type_ids, start, end, 1, probe_children),
        )
        rates = await self._rates(
            by_adults, by_children, included, (probe_adults, probe_children), start, end
        )
        return self._inventory(by_adults, start, end), rates

    async def _included_of(self, room_type_ids: Sequence[str] | None) -> dict[str, tuple[int, int] | None]:
        """Adults and children each room type's rate includes (`getRoomTypes`, read once per connector
        and again when a room type is new to it)."""
        if not self._included or any(r not in self._included for r in room_type_ids or ()):
            await self.get_room_types()
            # Ids the PMS does not list are remembered as unknown: no re-read on every fill.
            self._included.update({r: None for r in room_type_ids or () if r not in self._included})
        return self._included

    def _inventory(self, plans: dict[str, dict[str, Any]], start: date, end: date) -> list[NightInventory]:
        return [
            NightInventory(room_type, day, max(0, int(night.get("roomsAvailable") or 0)))
            for room_type, plan in plans.items()
            for day, night in self._nights(plan, start, end)
        ]

    async def _rates(
        self,
        by_adults: dict[str, dict[str, Any]],
        by_children: dict[str, dict[str, Any]],
        included: dict[str, tuple[int, int] | None],
        probes: tuple[int, int],
        start: date,
        end: date,
    ) -> list[NightRate]:
        currency = await self._currency_code() if by_adults else ""
        rates: list[NightRate] = []
        for room_type, plan in by_adults.items():
            child_nights = (
                dict(self._nights(by_children[room_type], start, end)) if room_type in by_children else {}
            )
            guests = included.get(room_type)
            for day, night in self._nights(plan, start, end):
                base = night.get("rateBase")
                if base is None:  # no base rate: the party's price cannot be told apart, not sold
                    continue
                rule = None
                other = child_nights.get(day)
                if (
                    guests is not None
                    and other is not None
                    and None not in (night.get("totalRate"), other.get("totalRate"))
                ):
                    rule = parse.occupancy_rule(
                        guests,
                        parse.to_decimal(base),
                        (probes[0], parse.to_decimal(night["totalRate"])),
                        (1, probes[1], parse.to_decimal(other["totalRate"])),
                    )
                price = Money.of(parse.to_decimal(base), currency)
                plan_id = str(plan.get("rateID") or "")
                rates.append(
                    NightRate(room_type, day, price, plan_id, rule if rule and rule.charges_extra else None)
                )
        return rates

    # -- reservations --------------------------------------------------------------------------------
    async def create_reservation(self, request: ReservationRequest) -> Reservation:
        """`postReservation`, with our booking id as `thirdPartyIdentifier` for lookups after a timeout."""
        guest = request.guest
        room = {"roomTypeID": request.room_type_id, "quantity": 1, "roomRateID": request.rate_plan_id}
        fields: dict[str, Any] = {
            "propertyID": self.hotel_id,
            "startDate": request.check_in.isoformat(),
            "endDate": request.check_out.isoformat(),
            "guestFirstName": guest.first_name,
            "guestLastName": guest.last_name,
            "guestCountry": guest.country,
            "guestZip": guest.zip_code,
            "guestEmail": guest.email,
            "guestPhone": guest.phone or None,
            "rooms": [room],
            "adults": [{"roomTypeID": request.room_type_id, "quantity": request.adults}],
            "children": [{"roomTypeID": request.room_type_id, "quantity": request.children}],
            "paymentMethod": self._payment_method,
            "thirdPartyIdentifier": request.external_id,
            "sendEmailConfirmation": False,
        }
        body = await self._send_form("POST", "postReservation", fields)
        if not body.get("reservationID"):
            raise self._unexpected("postReservation", "no reservationID")
        currency = request.total.currency if request.total else await self._currency_code()
        return parse.parse_created(body, request.external_id, request.room_type_id, currency)

    async def _put_status(self, reservation_id: str, status: str) -> dict[str, Any]:
        fields = {
            "propertyID": self.hotel_id,
            "reservationID": reservation_id,
            "status": status,
            "sendStatusChangeEmail": False,
        }
        return await self._send_form("PUT", "putReservation", fields)

    async def confirm_reservation(self, reservation_id: str) -> Reservation:
        """`putReservation status=confirmed` when the reservation is `not_confirmed`; no-op when confirmed."""
        current = await self.get_reservation(reservation_id)
        if current.status is ReservationStatus.CONFIRMED:
            return current
        if current.status is not ReservationStatus.TENTATIVE:
            raise self._ctx.error(
                PMSBadRequest, "putReservation", f"cannot confirm a {current.raw_status} reservation"
            )
        data = (await self._put_status(reservation_id, "confirmed")).get("data")
        if isinstance(data, dict) and data.get("reservationID"):
            return parse.parse_reservation(data, await self._currency_code())
        return await self.get_reservation(reservation_id)

    async def cancel_reservation(self, reservation_id: str) -> None:
        """`putReservation status=canceled`; a refusal for an already-cancelled reservation counts as done."""
        try:
            await self._put_status(reservation_id, "canceled")
        except PMSBadRequest:
            if (await self.get_reservation(reservation_id)).status is not ReservationStatus.CANCELLED:
                raise

    async def get_reservation(self, reservation_id: str) -> Reservation:
        body = await self._get(
            "getReservation", {"propertyID": self.hotel_id, "reservationID": reservation_id}
        )
        data = body.get("data")
        if not isinstance(data, dict) or not data.get("reservationID"):
            raise self._unexpected("getReservation", "no reservation data")
        return parse.parse_reservation(data, await self._currency_code())

    async def get_modified_reservations(self, since: datetime, until: datetime) -> list[Reservation]:
        """`getReservations` with `modifiedFrom`/`modifiedTo` ("based on booking modification date"),
        page by page. The list rows carry dates, status and `thirdPartyIdentifier` but no room type."""
        found: list[Reservation] = []
        for page in range(1, MAX_PAGES + 1):
            params = {
                "propertyID": self.hotel_id,
                "modifiedFrom": _cloudbeds_datetime(since),
                "modifiedTo": _cloudbeds_datetime(until),
                "pageNumber": page,
                "pageSize": self._page_size,
            }
            items = (await self._get("getReservations", params)).get("data") or []
            found.extend(parse.parse_reservation(item, "") for item in items if item.get("reservationID"))
            if len(items) < self._page_size:
                break
        return found

    async def find_reservation_by_external_id(self, external_id: str) -> Reservation | None:
        """Page through reservations booked in the last `lookup_days` and match `thirdPartyIdentifier`.

        getReservations has no filter for it (v1.3 spec), so the booking date bounds the scan.
        A live match wins over a cancelled duplicate.
        """
        since = datetime.fromtimestamp(self._clock.now(), UTC) - timedelta(days=self._lookup_days)
        cancelled: str | None = None
        for page in range(1, MAX_PAGES + 1):
            params = {
                "propertyID": self.hotel_id,
                "resultsFrom": _cloudbeds_datetime(since),
                "pageNumber": page,
                "pageSize": self._page_size,
            }
            items = (await self._get("getReservations", params)).get("data") or []
            for item in items:
                if str(item.get("thirdPartyIdentifier") or "") != external_id:
                    continue
                if item.get("status") != "canceled":
                    return await self.get_reservation(str(item["reservationID"]))
                cancelled = cancelled or str(item["reservationID"])
            if len(items) < self._page_size:
                break
        return await self.get_reservation(cancelled) if cancelled else None

    # -- webhooks (not part of PMSConnector: only Cloudbeds subscribes by API) ----------------------
    async def subscribe_webhook(self, obj: str, action: str, endpoint_url: str) -> str:
        """`postWebhook` (form: propertyID, object, action, endpointUrl) → the subscription id."""
        fields = {"propertyID": self.hotel_id, "object": obj, "action": action, "endpointUrl": endpoint_url}
        data = (await self._send_form("POST", "postWebhook", fields)).get("data")
        if not isinstance(data, dict) or not data.get("subscriptionID"):
            raise self._unexpected("postWebhook", "no subscriptionID")
        return str(data["subscriptionID"])

    async def list_webhooks(self) -> list[WebhookSubscription]:
        """`getWebhooks?propertyID=`: this property's subscriptions."""
        items = (await self._get("getWebhooks", {"propertyID": self.hotel_id})).get("data") or []
        return [parse.parse_webhook(item) for item in items if isinstance(item, dict)]

    async def unsubscribe_webhook(self, subscription_id: str) -> None:
        """`DELETE deleteWebhook?subscriptionID=&propertyIDs=`."""
        await self._delete("deleteWebhook", {"subscriptionID": subscription_id, "propertyIDs": self.hotel_id})


def _cloudbeds_datetime(moment: datetime) -> str:
    """The spec's `YYYY-MM-DD HH:MM:SS`, in UTC (the property-local reading is unconfirmed)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
