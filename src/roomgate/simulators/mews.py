"""Mews Connector API simulator: `POST /api/connector/v1/{resource}/{action}`, tokens in the JSON body.

Any non-empty ClientToken/AccessToken/Client is accepted (or only `api_key` as the AccessToken);
tokens behave like portfolio tokens: `EnterpriseId(s)` pick the property, defaulting to the first.
Errors are `{"Message", "RequestId"}`; business-rule refusals (sold out, bad state) are HTTP 403.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import Response

from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.pms.mews_time import format_utc, local_midnight
from roomgate.simulators import mews_views as views
from roomgate.simulators.base import SimCore, run_faulted
from roomgate.simulators.mews_catalog import MewsCatalog, MewsRefusal, page, required
from roomgate.simulators.mews_reservations import MewsReservations
from roomgate.simulators.mews_webhooks import MewsWebhooks
from roomgate.simulators.pms_admin import OtherChannelBooking, property_router, vendor_json
from roomgate.simulators.pms_state import PmsSimState, nights
from roomgate.simulators.webhook_delivery import WebhookDelivery

API_PREFIX = "/api/connector/v1/"
MAX_UNITS = 367
Handler = Callable[[dict[str, Any]], dict[str, Any]]


class MewsSimulator:
    def __init__(self, *, seed: int, api_key: str | None, clock: Clock) -> None:
        self.api_key = api_key
        self.clock = clock
        self.state = PmsSimState(seed, vendor="mews")
        self.catalog = MewsCatalog(self.state, seed)
        self.bookings = MewsReservations(self.state, self.catalog, clock)
        self.customers: dict[str, dict[str, Any]] = {}
        self.webhooks = MewsWebhooks(WebhookDelivery(seed))
        self.request_ids = itertools.count(1)
        self.core = SimCore(
            error_response=self.error_response, business_error_response=self.business_error, seed=seed
        )
        self.handlers: dict[str, Handler] = {
            "configuration/get": self.configuration,
            "services/getAll": self.services,
            "ageCategories/getAll": self.age_categories,
            "resourceCategories/getAll": self.resource_categories,
            "rates/getAll": self.rates,
            "rates/getPricing": self.pricing,
            "services/getAvailability": self.availability,
            "customers/add": self.add_customer,
            "reservations/add": self.add_reservations,
            "reservations/confirm": lambda body: self._notified(body, self.bookings.confirm(body)),
            "reservations/cancel": lambda body: self._notified(body, self.bookings.cancel(body)),
            "reservations/getAll/2023-06-06": self.get_reservations,
            "orderItems/getAll": self.order_items,
        }

    def reset(self) -> None:
        self.state.reset()
        self.customers.clear()
        self.webhooks.reset()

    # -- webhooks ----------------------------------------------------------------------------------------
    def add_reservations(self, body: dict[str, Any]) -> dict[str, Any]:
        added = self.bookings.add(body, self.customers)
        ids = [item["Reservation"]["Id"] for item in added["Reservations"]]
        self._notify(ids)
        return added

    def _notified(self, body: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        self._notify([str(rid) for rid in answer.get("ReservationIds", [])])
        return answer

    def _notify(self, reservation_ids: list[str]) -> None:
        by_enterprise: dict[str, list[str]] = {}
        for rid in reservation_ids:
            res = self.state.reservations.get(rid)
            if res is not None:
                by_enterprise.setdefault(res.property_id, []).append(rid)
        for enterprise_id, ids in by_enterprise.items():
            self.webhooks.service_orders_updated(enterprise_id, ids)

    def book_other_channel(self, property_id: str, booking: OtherChannelBooking) -> list[str] | None:
        """`POST /_sim/properties/{id}/reservations`: Confirmed reservations from another channel."""
        book = self.state.properties[property_id]
        zone = self.catalog.zone(book)
        adult = self.catalog.age_category_id(property_id, "Adult")

        def extra() -> dict[str, Any]:
            return {
                "Identifier": None,
                "ServiceId": self.catalog.service_id(property_id),
                "RateId": self.catalog.rate_id(property_id),
                "CustomerId": self.state.new_uuid(),
                "GroupId": self.state.new_uuid(),
                "Number": self.state.new_digits(6),
                "StartUtc": format_utc(local_midnight(booking.start, zone)),
                "EndUtc": format_utc(local_midnight(booking.end, zone)),
                "ReleasedUtc": None,
                "PersonCounts": [{"AgeCategoryId": adult, "Count": 1}],
                "Notes": None,
            }

        made = self.state.book_other_channel(
            property_id,
            booking.room_type_id,
            booking.start,
            booking.end,
            booking.quantity,
            now=self.clock.now(),
            new_id=self.state.new_uuid,
            status="Confirmed",
            guest={"first": "Other", "last": "Channel", "email": "", "phone": "", "country": ""},
            extra=extra,
        )
        if made is None:
            return None
        self._notify([res.reservation_id for res in made])
        return [res.reservation_id for res in made]

    # -- envelope ----------------------------------------------------------------------------------------
    def respond(self, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        request_id = f"sim-{next(self.request_ids):08d}"
        if status >= 400:
            body = {"Message": body, "RequestId": request_id}
        return vendor_json(body, status, {"Request-Id": request_id, **(headers or {})})

    def error_response(self, status: int, retry_after: int | None) -> Response:
        headers = (
            {"Retry-After": str(retry_after)} if retry_after is not None and status in (429, 503) else None
        )
        messages = {
            401: "Invalid ClientToken or AccessToken.",
            404: "Not found.",
            408: "Request timeout.",
            409: "The data has changed; refresh and resubmit.",
            429: "Too many requests.",
        }
        return self.respond(
            messages.get(status, "Server error." if status >= 500 else "Invalid request."), status, headers
        )

    def business_error(self, message: str) -> Response:
        return self.respond(message, 403)

    async def dispatch(self, operation: str, request: Request) -> Response:
        handler = self.handlers.get(operation)
        if handler is None:
            return self.respond(f"Operation {operation} not found.", 404)

        async def answer() -> Response:
            if request.method != "POST":
                return self.respond("Only POST is supported.", 405)
            try:
                body = json.loads(await request.body())
            except ValueError:
                return self.respond("Invalid JSON body.", 400)
            if not isinstance(body, dict):
                return self.respond("Invalid JSON body.", 400)
            if not self.authorized(body):
                return self.respond("Invalid ClientToken or AccessToken.", 401)
            if not body.get("Client"):
                return self.respond("Invalid Client: a value is required.", 400)
            try:
                self.bookings.sweep()
                return self.respond(handler(body))
            except MewsRefusal as exc:
                return self.respond(exc.message, exc.status)
            except (KeyError, TypeError, ValueError, AttributeError):
                # Malformed input is the caller's fault: a 400, never a simulator crash.
                return self.respond(f"Invalid request for {operation}.", 400)

        return await run_faulted(self.core, operation, answer)

    def authorized(self, body: dict[str, Any]) -> bool:
        client, access = body.get("ClientToken"), body.get("AccessToken")
        if not isinstance(client, str) or not client or not isinstance(access, str) or not access:
            return False
        return self.api_key is None or access == self.api_key

    # -- configuration and catalogue ------------------------------------------------------------------------
    def configuration(self, body: dict[str, Any]) -> dict[str, Any]:
        book = self.catalog.enterprise(body)
        return views.configuration(book, self.clock.now())

    def services(self, body: dict[str, Any]) -> dict[str, Any]:
        rows = [
            views.service(b, self.catalog.service_id(b.property_id)) for b in self.catalog.enterprises(body)
        ]
        wanted = body.get("ServiceIds")
        items, cursor = page([r for r in rows if not wanted or r["Id"] in wanted], body)
        return {"Services": items, "Cursor": cursor}

    def _service_books(self, body: dict[str, Any], key: str = "ServiceIds") -> list[Any]:
        books = self.catalog.enterprises(body)
        wanted = body.get(key)
        return [b for b in books if not wanted or self.catalog.service_id(b.property_id) in wanted]

    def age_categories(self, body: dict[str, Any]) -> dict[str, Any]:
        rows = [
            views.age_category(
                self.catalog.age_category_id(b.property_id, kind),
                self.catalog.service_id(b.property_id),
                kind,
            )
            for b in self._service_books(body)
            for kind in ("Adult", "Child")
        ]
        items, cursor = page(rows, body)
        return {"AgeCategories": items, "Cursor": cursor}

    def resource_categories(self, body: dict[str, Any]) -> dict[str, Any]:
        required(body, "ServiceIds")
        wanted = body.get("ResourceCategoryIds")
        rows = [
            views.resource_category(b, rt, self.catalog.service_id(b.property_id), index)
            for b in self._service_books(body)
            for index, rt in enumerate(b.room_types)
            if not wanted or rt in wanted
        ]
        items, cursor = page(rows, body)
        return {"ResourceCategories": items, "Cursor": cursor}

    def rates(self, body: dict[str, Any]) -> dict[str, Any]:
        required(body, "ServiceIds")
        rows = [
            views.rate(
                self.catalog.rate_id(b.property_id),
                self.catalog.service_id(b.property_id),
                self.catalog.rate_group_id(b.property_id),
            )
            for b in self._service_books(body)
        ]
        items, cursor = page(rows, body)
        return {"Rates": items, "Cursor": cursor}

    def _units(self, body: dict[str, Any], book: Any) -> list[Any]:
        required(body, "FirstTimeUnitStartUtc", "LastTimeUnitStartUtc")
        zone = self.catalog.zone(book)
        first = self.catalog.unit_date(body["FirstTimeUnitStartUtc"], zone, "FirstTimeUnitStartUtc")
        last = self.catalog.unit_date(body["LastTimeUnitStartUtc"], zone, "LastTimeUnitStartUtc")
        if last < first or (last - first).days + 1 > MAX_UNITS:
            raise MewsRefusal(400, f"The interval must cover 1 to {MAX_UNITS} time units.")
        return nights(first, last + timedelta(days=1))

    def availability(self, body: dict[str, Any]) -> dict[str, Any]:
        required(body, "ServiceId")
        book = self.catalog.by_service(body["ServiceId"])
        days = self._units(body, book)
        zone = self.catalog.zone(book)
        return {
            "CategoryAvailabilities": [
                {
                    "CategoryId": rt,
                    "Availabilities": [book.available(rt, d) for d in days],
                    "Adjustments": [0] * len(days),
                }
                for rt in book.room_types
            ],
            "TimeUnitStartsUtc": [views.unit_start(d, zone) for d in days],
        }

    def pricing(self, body: dict[str, Any]) -> dict[str, Any]:
        required(body, "RateId")
        book = self.catalog.by_rate(body["RateId"])
        days = self._units(body, book)
        zone, currency = self.catalog.zone(book), book.seed.currency
        prices = {rt: [views.amount(book.rate(rt, d), currency) for d in days] for rt in book.room_types}
        first = next(iter(prices.values()), [])
        return {
            "Currency": currency,
            "TimeUnitStartsUtc": [views.unit_start(d, zone) for d in days],
            "BaseAmountPrices": first,
            "CategoryPrices": [{"CategoryId": rt, "AmountPrices": p} for rt, p in prices.items()],
            "CategoryAdjustments": [],
            "AgeCategoryAdjustments": self._age_adjustments(book),
            "RelativeAdjustment": 0,
            "AbsoluteAdjustment": 0,
            "EmptyUnitAdjustment": 0,
            "ExtraUnitAdjustment": 0,
        }

    def _age_adjustments(self, book: Any) -> list[dict[str, Any]]:
        """The rate's extra-occupancy charge per age category (a guest beyond the Capacity)."""
        extra_adult, extra_child = book.mews_extras()
        pid = book.property_id
        return [
            {
                "AgeCategoryId": self.catalog.age_category_id(pid, kind),
                "AbsoluteValue": value,
                "Type": "ExtraOccupancyAdjustment",
            }
            for kind, value in (("Adult", extra_adult), ("Child", extra_child))
            if value
        ]

    # -- customers and reservations --------------------------------------------------------------------
    def add_customer(self, body: dict[str, Any]) -> dict[str, Any]:
        required(body, "LastName")
        if not isinstance(body.get("OverwriteExisting"), bool):
            raise MewsRefusal(400, "Invalid OverwriteExisting: a value is required.")
        email = body.get("Email")
        existing = next(
            (cid for cid, c in self.customers.items() if email and c["view"]["Email"] == email), None
        )
        if existing is not None and not body["OverwriteExisting"]:
            raise MewsRefusal(403, "A customer with the same email already exists.")
        customer_id = existing or self.state.new_uuid()
        number = self.customers[existing]["view"]["Number"] if existing else self.state.new_digits(6)
        view = views.customer(customer_id, number, body, self.clock.now())
        guest = {
            "first": str(body.get("FirstName") or ""),
            "last": str(body["LastName"]),
            "email": str(email or ""),
            "phone": str(body.get("Phone") or ""),
            "country": str(body.get("NationalityCode") or ""),
        }
        self.customers[customer_id] = {"view": view, "guest": guest}
        return view

    def get_reservations(self, body: dict[str, Any]) -> dict[str, Any]:
        property_ids = {b.property_id for b in self.catalog.enterprises(body)}
        items, cursor = page(self.bookings.search(body, property_ids), body)
        return {"Reservations": items, "Cursor": cursor}

    def order_items(self, body: dict[str, Any]) -> dict[str, Any]:
        """`orderItems/getAll` by `ServiceOrderIds` (reservation ids) or `ServiceIds`; Mews requires one
        of its id or time filters, the others are not simulated."""
        orders, services = body.get("ServiceOrderIds"), body.get("ServiceIds")
        if not orders and not services:
            raise MewsRefusal(
                400, "Invalid request: at least one filter (ServiceOrderIds, ServiceIds) is required."
            )
        property_ids = {b.property_id for b in self.catalog.enterprises(body)}
        items = [
            item
            for res in self.state.reservations.values()
            if res.property_id in property_ids
            and res.extra.get("ServiceId") is not None
            and (not orders or res.reservation_id in orders)
            and (not services or res.extra["ServiceId"] in services)
            for item in views.order_items(
                res, self.catalog.seed, self.catalog.zone(self.state.properties[res.property_id])
            )
        ]
        chunk, cursor = page(items, body)
        return {"OrderItems": chunk, "Cursor": cursor}

    def summary(self) -> dict[str, Any]:
        self.bookings.sweep()
        return self.state.summary()


def create_app(*, seed: int = 0, api_key: str | None = None, clock: Clock | None = None) -> FastAPI:
    """The Mews simulator as an ASGI app (`roomgate simulate mews`, demo mount, tests)."""
    sim = MewsSimulator(seed=seed, api_key=api_key, clock=clock or SYSTEM_CLOCK)
    app = FastAPI(
        title="Mews Connector API simulator", docs_url="/_sim/docs", openapi_url="/_sim/openapi.json"
    )
    app.state.simulator = sim
    app.include_router(sim.core.control_router(on_reset=sim.reset, state=sim.summary))
    app.include_router(
        property_router(sim.state, before=sim.bookings.sweep, other_channel=sim.book_other_channel)
    )
    app.include_router(sim.webhooks.router())
    app.include_router(sim.webhooks.delivery.router())

    @app.api_route(
        API_PREFIX + "{operation:path}", methods=["GET", "POST", "PUT", "DELETE"], include_in_schema=False
    )
    async def vendor_api(operation: str, request: Request) -> Response:
        return await sim.dispatch(operation, request)

    return app
