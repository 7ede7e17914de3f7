"""A Toss Payments Core API v1 simulator: the endpoints, auth, errors and idempotency roomgate uses.

Vendor paths: `GET /v1/payments/{paymentKey}`, `GET /v1/payments/orders/{orderId}`,
`POST /v1/payments/confirm`, `POST /v1/payments/{paymentKey}/cancel`; `Authorization: Basic
base64(secretKey + ":")` (any `test_sk_`/`test_gsk_` key, or only `secret_key`); `{code, message}`
errors; `Idempotency-Key` (≤300 chars, 15 days, scoped by key + API key + URL + method) replays the
first answer. Injected faults act in front of the API, so they are never stored under a key.

Simulator control: `POST /_sim/payments {orderId, amount, orderName?, rejectCode?}` → `{paymentKey}`
stands in for the payment widget's authentication (status `IN_PROGRESS`, expires after 10 minutes by
the injected clock; `rejectCode` makes the card company refuse the approval with that code), plus
`/_sim/reset`, `/_sim/faults`, `/_sim/state` from `SimCore`. Fault endpoint names: `getPayment`,
`getPaymentByOrder`, `confirm`, `cancel`.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import string
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse, Response

from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.simulators.base import Answer, SimCore, run_faulted
from roomgate.simulators.idempotency import IdempotencyStore
from roomgate.simulators.toss_payments import MESSAGES, TossPayment, iso

IDEMPOTENCY_RETENTION_SECONDS = 15 * 24 * 3600
MAX_IDEMPOTENCY_KEY = 300
_FAULT_CODES = {
    400: "INVALID_REQUEST",
    401: "UNAUTHORIZED_KEY",
    403: "FORBIDDEN_REQUEST",
    404: "NOT_FOUND_PAYMENT",
    429: "TOO_MANY_REQUESTS",
}


class SimPaymentIn(BaseModel):
    orderId: str = Field(min_length=6, max_length=64, pattern=r"^[A-Za-z0-9_=-]+$")
    amount: int = Field(ge=1)
    orderName: str = "roomgate 숙박 예약"
    rejectCode: str | None = None


def error(status: int, code: str, message: str | None = None) -> Answer:
    return status, {"code": code, "message": message or MESSAGES.get(code, code)}


class TossSimulator:
    def __init__(self, *, seed: int, secret_key: str | None, clock: Clock) -> None:
        self.core = SimCore(
            error_response=_fault_response, business_error_response=_business_error, seed=seed
        )
        self.clock = clock
        self.secret_key = secret_key
        self.payments: dict[str, TossPayment] = {}
        self.idempotency = IdempotencyStore(clock, IDEMPOTENCY_RETENTION_SECONDS)
        self.ids = random.Random(seed)

    def reset(self) -> None:
        self.payments.clear()
        self.idempotency.clear()
        self.ids = random.Random(self.core.seed)

    def state(self) -> dict[str, Any]:
        for payment in self.payments.values():
            payment.refresh(self.clock.now())
        return {"payments": [payment.summary() for payment in self.payments.values()]}

    def new_key(self, prefix: str, length: int) -> str:
        stamp = iso(self.clock.now())[:19].replace("-", "").replace("T", "").replace(":", "")
        return prefix + stamp + "".join(self.ids.choices(string.ascii_letters + string.digits, k=length))

    def authenticate(self, request: Request) -> str | Answer:
        """The secret key of a valid `Basic base64(key:)` header, or the 401 answer."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic" or not token:
            return error(401, "UNAUTHORIZED_KEY")
        try:
            decoded = base64.b64decode(token, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return error(401, "INCORRECT_BASIC_AUTH_FORMAT")
        if ":" not in decoded:
            return error(401, "INCORRECT_BASIC_AUTH_FORMAT")
        key = decoded.partition(":")[0]
        accepted = key == self.secret_key if self.secret_key else key.startswith(("test_sk_", "test_gsk_"))
        return key if accepted else error(401, "UNAUTHORIZED_KEY")

    async def serve(
        self,
        request: Request,
        endpoint: str,
        handler: Callable[[dict[str, Any]], Answer],
        idempotent: bool = False,
    ) -> Response:
        """Faults, then auth, then the Idempotency-Key replay, then the handler."""

        async def run() -> Response:
            api_key = self.authenticate(request)
            if not isinstance(api_key, str):
                return _respond(api_key)
            body: dict[str, Any] = {}
            if request.method == "POST":
                try:
                    parsed = json.loads(await request.body() or b"{}")
                except ValueError:
                    return _respond(error(400, "INVALID_REQUEST"))
                if not isinstance(parsed, dict):
                    return _respond(error(400, "INVALID_REQUEST"))
                body = parsed
            key = request.headers.get("idempotency-key")
            if not idempotent or key is None:
                return _respond(handler(body))
            if not key or len(key) > MAX_IDEMPOTENCY_KEY:
                return _respond(error(400, "INVALID_REQUEST", "Idempotency-Key는 300자 이하여야 합니다."))
            scope = (key, api_key, request.method, request.url.path)
            stored = self.idempotency.lookup(scope)
            if stored is not None:
                return _respond((stored.status, stored.body))
            answer = handler(body)
            self.idempotency.finish(scope, answer[0], answer[1], "")
            return _respond(answer)

        return await run_faulted(self.core, endpoint, run)

    # -- vendor operations -----------------------------------------------------------------------
    def get_payment(self, payment_key: str) -> Answer:
        payment = self.payments.get(payment_key)
        if payment is None:
            return error(404, "NOT_FOUND_PAYMENT")
        payment.refresh(self.clock.now())
        return 200, payment.to_json()

    def get_by_order(self, order_id: str) -> Answer:
        for payment in self.payments.values():
            if payment.order_id == order_id:
                return self.get_payment(payment.payment_key)
        return error(404, "NOT_FOUND_PAYMENT")

    def confirm(self, body: dict[str, Any]) -> Answer:
        key, order_id, amount = body.get("paymentKey"), body.get("orderId"), body.get("amount")
        if not isinstance(key, str) or not isinstance(order_id, str) or type(amount) is not int:
            return error(400, "INVALID_REQUEST")
        payment = self.payments.get(key)
        if payment is None:
            return error(404, "NOT_FOUND_PAYMENT")
        payment.refresh(self.clock.now())
        if payment.status == "EXPIRED":
            return error(404, "NOT_FOUND_PAYMENT_SESSION")
        if payment.status != "IN_PROGRESS":
            return error(400, "ALREADY_PROCESSED_PAYMENT")
        if order_id != payment.order_id:  # the session is keyed by the order the widget authenticated
            return error(404, "NOT_FOUND_PAYMENT_SESSION")
        if amount != payment.total_amount:
            return error(400, "INVALID_REQUEST", "결제 금액이 결제 요청 금액과 일치하지 않습니다.")
        if payment.reject_code:
            payment.abort(payment.reject_code)
            return error(403, payment.reject_code)
        payment.approve(self.clock.now(), self.new_key("txrd_", 12))
        return 200, payment.to_json()

    def cancel(self, payment_key: str, body: dict[str, Any]) -> Answer:
        payment = self.payments.get(payment_key)
        if payment is None:
            return error(404, "NOT_FOUND_PAYMENT")
        reason, amount = body.get("cancelReason"), body.get("cancelAmount")
        if not isinstance(reason, str) or not reason.strip() or len(reason) > 200:
            return error(400, "INVALID_REQUEST", "cancelReason은 필수입니다.")
        if amount is not None and (type(amount) is not int or amount <= 0):
            return error(400, "INVALID_REQUEST")
        payment.refresh(self.clock.now())
        if payment.status == "CANCELED":
            return error(400, "ALREADY_CANCELED_PAYMENT")
        if payment.status not in ("DONE", "PARTIAL_CANCELED"):
            return error(403, "NOT_CANCELABLE_PAYMENT")
        if (amount or payment.balance_amount) > payment.balance_amount:
            return error(403, "NOT_CANCELABLE_AMOUNT")
        payment.cancel(amount or payment.balance_amount, reason, self.clock.now(), self.new_key("txrc_", 12))
        return 200, payment.to_json()

    def authenticate_widget(self, spec: SimPaymentIn) -> dict[str, Any]:
        key = self.new_key("tgen_", 10)
        self.payments[key] = TossPayment(
            payment_key=key,
            order_id=spec.orderId,
            order_name=spec.orderName,
            total_amount=spec.amount,
            authenticated_at=self.clock.now(),
            reject_code=spec.rejectCode,
        )
        return {"paymentKey": key, "orderId": spec.orderId, "amount": spec.amount, "status": "IN_PROGRESS"}


def create_app(*, seed: int = 0, secret_key: str | None = None, clock: Clock | None = None) -> FastAPI:
    """The Toss simulator as an ASGI app."""
    sim = TossSimulator(seed=seed, secret_key=secret_key, clock=clock or SYSTEM_CLOCK)
    app = FastAPI(title="Toss Payments simulator", version="v1")
    app.state.sim = sim

    @app.get("/v1/payments/orders/{order_id}")
    async def get_payment_by_order(order_id: str, request: Request) -> Response:
        """Look a payment up by the merchant's orderId."""
        return await sim.serve(request, "getPaymentByOrder", lambda _: sim.get_by_order(order_id))

    @app.get("/v1/payments/{payment_key}")
    async def get_payment(payment_key: str, request: Request) -> Response:
        """Look a payment up by paymentKey."""
        return await sim.serve(request, "getPayment", lambda _: sim.get_payment(payment_key))

    @app.post("/v1/payments/confirm")
    async def confirm(request: Request) -> Response:
        """Approve an authenticated payment (`{paymentKey, orderId, amount}`)."""
        return await sim.serve(request, "confirm", sim.confirm, idempotent=True)

    @app.post("/v1/payments/{payment_key}/cancel")
    async def cancel(payment_key: str, request: Request) -> Response:
        """Cancel all (`cancelAmount` omitted) or part of an approved payment."""
        return await sim.serve(request, "cancel", lambda body: sim.cancel(payment_key, body), idempotent=True)

    @app.post("/_sim/payments", tags=["simulator control"])
    async def authenticate_widget(spec: SimPaymentIn) -> dict[str, Any]:
        """Do what the payment widget's authentication does: an IN_PROGRESS payment awaiting approval."""
        return sim.authenticate_widget(spec)

    app.include_router(sim.core.control_router(on_reset=sim.reset, state=sim.state))
    return app


def _respond(answer: Answer) -> Response:
    return JSONResponse(answer[1], status_code=answer[0])


def _fault_response(status: int, retry_after: int | None) -> Response:
    code = _FAULT_CODES.get(
        status, "FAILED_INTERNAL_SYSTEM_PROCESSING" if status >= 500 else "INVALID_REQUEST"
    )
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse({"code": code, "message": MESSAGES[code]}, status_code=status, headers=headers)


def _business_error(code: str) -> Response:
    """Toss has no HTTP-200 errors: a business error is a 400 with that code (e.g. `PROVIDER_ERROR`)."""
    return JSONResponse({"code": code, "message": MESSAGES.get(code, code)}, status_code=400)
