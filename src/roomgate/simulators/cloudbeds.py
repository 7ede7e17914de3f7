"""Cloudbeds API v1.3 simulator: `/api/v1.3/<method>`, `x-api-key`, form-encoded writes, JSON answers.

Auth: any `x-api-key` starting with `cbat_`, or exactly `api_key` when given; otherwise the vendor's
401 body. Business refusals are HTTP 200 `{"success": false, "message": ...}`; missing or invalid
parameters are HTTP 400 with the same envelope. Keys cover every property (like a group account).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import Response

from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.simulators import cloudbeds_views as views
from roomgate.simulators.base import SimCore, run_faulted
from roomgate.simulators.cloudbeds_reservations import CloudbedsReservations, Refusal
from roomgate.simulators.cloudbeds_webhooks import CloudbedsWebhooks, SubscriptionRefused
from roomgate.simulators.pms_admin import OtherChannelBooking, property_router, vendor_json
from roomgate.simulators.pms_state import PmsSimState, PropertyBook, SimReservation
from roomgate.simulators.webhook_delivery import WebhookDelivery

API_PREFIX = "/api/v1.3"
Handler = Callable[[dict[str, Any]], Awaitable[Response]]


def ok(body: dict[str, Any]) -> Response:
    return vendor_json({"success": True, **body})


def refuse(message: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return vendor_json({"success": False, "message": message}, status, headers)


def _error_response(status: int, retry_after: int | None) -> Response:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None and status in (429, 503) else None
    if status == 401:
        return vendor_json(views.UNAUTHORIZED_BODY, 401)
    messages = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests"}
    return refuse(
        messages.get(status, "Internal Server Error" if status >= 500 else "Error"), status, headers
    )


class CloudbedsSimulator:
    def __init__(self, *, seed: int, api_key: str | None, clock: Clock) -> None:
        self.api_key = api_key
        self.clock = clock
        self.state = PmsSimState(seed)
        self.core = SimCore(error_response=_error_response, business_error_response=refuse, seed=seed)
        self.bookings = CloudbedsReservations(self.state, clock)
        self.webhooks = CloudbedsWebhooks(self.state, clock, WebhookDelivery(seed))
        self.handlers: dict[str, tuple[str, Handler]] = {
            "getHotels": ("GET", self.get_hotels),
            "getHotelDetails": ("GET", self.get_hotel_details),
            "getRoomTypes": ("GET", self.get_room_types),
            "getRatePlans": ("GET", self.get_rate_plans),
            "getTaxesAndFees": ("GET", self.get_taxes_and_fees),
            "getReservation": ("GET", self.get_reservation),
            "getReservations": ("GET", self.get_reservations),
            "postReservation": ("POST", self.post_reservation),
            "putReservation": ("PUT", self.put_reservation),
            "postWebhook": ("POST", self.post_webhook),
            "getWebhooks": ("GET", self.get_webhooks),
            "deleteWebhook": ("DELETE", self.delete_webhook),
        }

    def authorized(self, request: Request) -> bool:
        key = request.headers.get("x-api-key", "")
        return key == self.api_key if self.api_key is not None else key.startswith("cbat_") and len(key) > 5

    async def dispatch(self, method: str, request: Request) -> Response:
        entry = self.handlers.get(method)
        if entry is None:
            return refuse(f"Method {method} not found", 404)
        verb, handler = entry

        async def answer() -> Response:
            if not self.authorized(request):
                return vendor_json(views.UNAUTHORIZED_BODY, 401)
            if request.method != verb:
                return refuse(f"{method} requires HTTP {verb}", 405)
            if verb in ("GET", "DELETE"):
                params = dict(request.query_params)
            elif request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                params = views.decode_php_form(await request.body())
            else:
                return refuse("Content-Type must be application/x-www-form-urlencoded", 400)
            try:
                return await handler(params)
            except (KeyError, TypeError, ValueError, AttributeError, UnicodeDecodeError):
                # Malformed input is the caller's fault: a 400, never a simulator crash.
                return refuse(f"Invalid parameters for {method}", 400)

        return await run_faulted(self.core, method, answer)

    # -- helpers ---------------------------------------------------------------------------------------
    def _books(self, ids: str | None) -> list[PropertyBook] | None:
        """The listed properties (all when none listed); None if any is unknown."""
        if not ids:
            return list(self.state.properties.values())
        wanted = [part.strip() for part in ids.split(",") if part.strip()]
        books = [self.state.properties.get(pid) for pid in wanted]
        return None if any(book is None for book in books) else [b for b in books if b is not None]

    @staticmethod
    def _page(params: dict[str, Any], default_size: int) -> tuple[int, int]:
        number = max(1, int(params.get("pageNumber") or 1))
        size = min(100, max(1, int(params.get("pageSize") or default_size)))
        return number, size

    # -- handlers --------------------------------------------------------------------------------------
    async def get_hotels(self, q: dict[str, Any]) -> Response:
        books = self._books(q.get("propertyIDs"))
        if books is None:
            return refuse(views.PROPERTY_MISMATCH)
        number, size = self._page(q, 20)
        page = books[(number - 1) * size : number * size]
        return ok({"data": [views.hotel_item(b) for b in page], "count": len(page), "total": len(books)})

    async def get_hotel_details(self, q: dict[str, Any]) -> Response:
        if not q.get("propertyID"):
            return refuse("Parameter propertyID is required", 400)
        book = self.state.properties.get(q["propertyID"])
        return ok({"data": views.hotel_details(book)}) if book else refuse(views.PROPERTY_MISMATCH)

    async def get_room_types(self, q: dict[str, Any]) -> Response:
        books = self._books(q.get("propertyIDs"))
        if books is None:
            return refuse(views.PROPERTY_MISMATCH)
        wanted = set(filter(None, (q.get("roomTypeIDs") or "").split(",")))
        rows = [
            views.room_type_item(b, rt) for b in books for rt in b.room_types if not wanted or rt in wanted
        ]
        number, size = self._page(q, 20)
        return ok({"data": rows[(number - 1) * size : number * size]})

    async def get_rate_plans(self, q: dict[str, Any]) -> Response:
        try:
            start, end = date.fromisoformat(q["startDate"]), date.fromisoformat(q["endDate"])
        except (KeyError, ValueError):
            return refuse("Parameters startDate and endDate are required (YYYY-MM-DD)", 400)
        if end <= start:
            return refuse("endDate must be after startDate", 400)
        books = self._books(q.get("propertyIDs"))
        if books is None:
            return refuse(views.PROPERTY_MISMATCH)
        wanted = set(filter(None, (q.get("roomTypeID") or "").split(",")))
        detailed = str(q.get("detailedRates", "")).lower() in ("true", "1")
        try:
            party = _party(q)
        except ValueError:
            return refuse("Parameters adults and children must be non-negative integers", 400)
        rows = [
            views.rate_plan_item(b, rt, start, end, detailed, party)
            for b in books
            for rt in b.room_types
            if not wanted or rt in wanted
        ]
        return ok({"data": rows})

    async def get_taxes_and_fees(self, q: dict[str, Any]) -> Response:
        """`getTaxesAndFees?propertyID=`: the property's taxes and fees on reservations."""
        books = self._books(q.get("propertyID"))
        if books is None or len(books) != 1:
            return refuse(views.PROPERTY_MISMATCH)
        return ok({"data": [views.tax_item(books[0], tax) for tax in books[0].seed.taxes]})

    async def get_reservation(self, q: dict[str, Any]) -> Response:
        if not q.get("reservationID"):
            return refuse("Parameter reservationID is required", 400)
        found = self.bookings.find(q["reservationID"], q.get("propertyID"))
        return ok({"data": self.bookings.data(found)}) if found else refuse("Reservation not found")

    async def get_reservations(self, q: dict[str, Any]) -> Response:
        books = self._books(q.get("propertyID"))
        if books is None:
            return refuse(views.PROPERTY_MISMATCH)
        try:
            rows = self.bookings.search({b.property_id for b in books}, q)
        except ValueError as exc:
            return refuse(str(exc), 400)
        number, size = self._page(q, 100)
        page = rows[(number - 1) * size : number * size]
        return ok({"data": [views.reservation_item(r) for r in page], "count": len(page), "total": len(rows)})

    async def post_reservation(self, form: dict[str, Any]) -> Response:
        try:
            created = self.bookings.create(form)
        except Refusal as exc:
            return refuse(exc.message, exc.status)
        self._created(self.state.reservations[str(created["reservationID"])])
        return vendor_json(created)

    async def put_reservation(self, form: dict[str, Any]) -> Response:
        found = self.bookings.find(str(form.get("reservationID") or ""), form.get("propertyID"))
        before = found.status if found else None
        try:
            data = self.bookings.update(form)
        except Refusal as exc:
            return refuse(exc.message, exc.status)
        if found is not None and found.status != before:
            self.webhooks.reservation_event("status_changed", found, status=found.status)
        return ok({"data": data})

    def _created(self, res: SimReservation) -> None:
        dates = {"startDate": res.check_in.isoformat(), "endDate": res.check_out.isoformat()}
        self.webhooks.reservation_event("created", res, **dates)

    def book_other_channel(self, property_id: str, booking: OtherChannelBooking) -> list[str] | None:
        """`POST /_sim/properties/{id}/reservations`: confirmed reservations from another channel."""
        made = self.state.book_other_channel(
            property_id,
            booking.room_type_id,
            booking.start,
            booking.end,
            booking.quantity,
            now=self.clock.now(),
            new_id=self.bookings.new_id,
            status="confirmed",
            guest={"first": "Other", "last": "Channel", "email": "guest@other.example", "country": "KR"},
            extra=lambda: {"guestID": self.state.new_digits(8)},
        )
        if made is None:
            return None
        for res in made:
            self._created(res)
        return [res.reservation_id for res in made]

    async def post_webhook(self, form: dict[str, Any]) -> Response:
        try:
            return ok({"data": {"subscriptionID": self.webhooks.subscribe(form)}})
        except SubscriptionRefused as exc:
            return refuse(exc.message, exc.status)

    async def get_webhooks(self, q: dict[str, Any]) -> Response:
        return ok({"data": self.webhooks.listing(q.get("propertyID"))})

    async def delete_webhook(self, q: dict[str, Any]) -> Response:
        try:
            self.webhooks.unsubscribe(str(q.get("subscriptionID") or ""))
        except SubscriptionRefused as exc:
            return refuse(exc.message, exc.status)
        return ok({})


def _party(q: dict[str, Any]) -> tuple[int, int] | None:
    """`adults`/`children` of a rate query (None when neither is given: the included guests)."""
    if q.get("adults") in (None, "") and q.get("children") in (None, ""):
        return None
    adults, children = int(q.get("adults") or 1), int(q.get("children") or 0)
    if adults < 0 or children < 0:
        raise ValueError("negative party")
    return adults, children


def create_app(*, seed: int = 0, api_key: str | None = None, clock: Clock | None = None) -> FastAPI:
    """The Cloudbeds simulator as an ASGI app (`roomgate simulate cloudbeds`, demo mount, tests)."""
    sim = CloudbedsSimulator(seed=seed, api_key=api_key, clock=clock or SYSTEM_CLOCK)
    app = FastAPI(
        title="Cloudbeds API v1.3 simulator", docs_url="/_sim/docs", openapi_url="/_sim/openapi.json"
    )
    app.state.simulator = sim

    def reset() -> None:
        sim.state.reset()
        sim.webhooks.reset()

    app.include_router(sim.core.control_router(on_reset=reset, state=sim.state.summary))
    app.include_router(property_router(sim.state, other_channel=sim.book_other_channel))
    app.include_router(sim.webhooks.delivery.router())

    @app.api_route(
        API_PREFIX + "/{method}", methods=["GET", "POST", "PUT", "DELETE"], include_in_schema=False
    )
    async def vendor_api(method: str, request: Request) -> Response:
        return await sim.dispatch(method, request)

    return app
