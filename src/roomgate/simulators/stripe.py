"""A Stripe API simulator for PaymentIntents with manual capture, refunds and search.

Vendor surface: form-encoded POSTs (`metadata[k]=v`, `expand[]=…`), `Authorization: Basic
base64(sk_test_…:)` or `Bearer sk_test_…` (any `sk_test_` key, or only `secret_key`), error bodies
`{"error": {type, code, decline_code, message, param, payment_intent, doc_url}}`. Idempotency-Key
(≤255 chars, kept 24 h by the injected clock, scoped to the API key): a repeat replays the first
answer with `Idempotent-Replayed: true`, other parameters or another endpoint → 400
`idempotency_error`, a repeat while the first is still running → 409 `idempotency_key_in_use`.
As at Stripe, answers are stored only once the endpoint has started: parameter validation errors
and injected faults (which act in front of the endpoint) are not.

Test payment methods: `pm_card_visa` (and mastercard, amex, …) succeed; `pm_card_chargeDeclined*`
decline with Stripe's codes; `pm_card_authenticationRequired` needs 3-D Secure (`requires_action`);
any other → 400 `resource_missing`. Fault endpoint names: `createPaymentIntent`,
`retrievePaymentIntent`, `searchPaymentIntents`, `capturePaymentIntent`, `cancelPaymentIntent`,
`createRefund`, `retrieveRefund`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, Response

from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.simulators.base import Answer, SimCore, run_faulted
from roomgate.simulators.idempotency import IdempotencyStore
from roomgate.simulators.stripe_objects import stripe_error
from roomgate.simulators.stripe_params import InvalidRequest, decode_params
from roomgate.simulators.stripe_state import StripeState

IDEMPOTENCY_RETENTION_SECONDS = 24 * 3600
MAX_IDEMPOTENCY_KEY = 255


class StripeSimulator:
    def __init__(self, *, seed: int, secret_key: str | None, clock: Clock) -> None:
        self.core = SimCore(
            error_response=_fault_response, business_error_response=_business_error, seed=seed
        )
        self.secret_key = secret_key
        self.state = StripeState(seed=seed, clock=clock)
        self.idempotency = IdempotencyStore(clock, IDEMPOTENCY_RETENTION_SECONDS)

    def reset(self) -> None:
        self.state.reset()
        self.idempotency.clear()

    def authenticate(self, request: Request) -> str | Answer:
        """The secret key from `Basic base64(key:)` or `Bearer key`, or the 401 answer."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        key = ""
        if scheme.lower() == "bearer":
            key = token.strip()
        elif scheme.lower() == "basic":
            try:
                key = base64.b64decode(token, validate=True).decode().partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                key = ""
        if not key:
            message = "You did not provide an API key. Provide it as the username of HTTP Basic auth."
            return 401, stripe_error("invalid_request_error", message)
        accepted = key == self.secret_key if self.secret_key else key.startswith("sk_test_")
        if not accepted:
            masked = key[:8] + "*" * max(len(key) - 12, 0) + key[-4:]
            return 401, stripe_error("invalid_request_error", f"Invalid API Key provided: {masked}")
        return key

    async def serve(
        self, request: Request, endpoint: str, handler: Callable[[dict[str, Any]], Answer]
    ) -> Response:
        """Auth, then (for POSTs with a key) the idempotency layer, then faults, then the endpoint."""
        api_key = self.authenticate(request)
        if not isinstance(api_key, str):
            return _respond(api_key)
        if request.method == "GET":
            pairs = list(request.query_params.multi_items())
        else:
            pairs = parse_qsl((await request.body()).decode(errors="replace"), keep_blank_values=True)
        key = request.headers.get("idempotency-key")
        if request.method == "GET" or key is None:
            return await run_faulted(self.core, endpoint, lambda: _run(handler, pairs))
        if not key or len(key) > MAX_IDEMPOTENCY_KEY:
            message = f"Invalid Idempotency-Key: it must be 1 to {MAX_IDEMPOTENCY_KEY} characters long."
            return _respond((400, stripe_error("invalid_request_error", message)))
        scope = (api_key, key)
        fingerprint = json.dumps([request.method, request.url.path, sorted(pairs)])
        stored = self.idempotency.lookup(scope)
        if stored is not None:
            if stored.fingerprint != fingerprint:
                return _respond((400, _idempotency_mismatch(key)))
            return _respond((stored.status, stored.body), {"Idempotent-Replayed": "true"})
        if not self.idempotency.begin(scope):
            return _respond((409, _key_in_use(key)))
        saved = False
        try:
            injected = await self.core.enter(endpoint)
            if injected is not None:
                return injected
            try:
                answer = handler(decode_params(pairs))
            except InvalidRequest as invalid:
                return _respond(invalid.answer)
            self.idempotency.finish(scope, answer[0], answer[1], fingerprint)
            saved = True
            return _respond(answer)
        finally:
            if not saved:
                self.idempotency.abandon(scope)


def create_app(*, seed: int = 0, secret_key: str | None = None, clock: Clock | None = None) -> FastAPI:
    """The Stripe simulator as an ASGI app."""
    sim = StripeSimulator(seed=seed, secret_key=secret_key, clock=clock or SYSTEM_CLOCK)
    state = sim.state
    app = FastAPI(title="Stripe simulator", version="2024-06-20")
    app.state.sim = sim

    @app.post("/v1/payment_intents")
    async def create_payment_intent(request: Request) -> Response:
        """Create (and with `confirm=true`, confirm) a PaymentIntent."""
        return await sim.serve(request, "createPaymentIntent", state.create_intent)

    @app.get("/v1/payment_intents/search")
    async def search_payment_intents(request: Request) -> Response:
        """Search by `metadata['key']:'value'`."""
        return await sim.serve(request, "searchPaymentIntents", state.search_intents)

    @app.get("/v1/payment_intents/{intent_id}")
    async def retrieve_payment_intent(intent_id: str, request: Request) -> Response:
        """Retrieve a PaymentIntent (`expand[]=latest_charge` embeds the charge)."""
        return await sim.serve(
            request, "retrievePaymentIntent", lambda p: state.retrieve_intent(intent_id, p)
        )

    @app.post("/v1/payment_intents/{intent_id}/capture")
    async def capture_payment_intent(intent_id: str, request: Request) -> Response:
        """Capture a `requires_capture` PaymentIntent (optionally `amount_to_capture`)."""
        return await sim.serve(request, "capturePaymentIntent", lambda p: state.capture(intent_id, p))

    @app.post("/v1/payment_intents/{intent_id}/cancel")
    async def cancel_payment_intent(intent_id: str, request: Request) -> Response:
        """Cancel a PaymentIntent that has not succeeded, releasing any hold."""
        return await sim.serve(request, "cancelPaymentIntent", lambda p: state.cancel(intent_id, p))

    @app.post("/v1/refunds")
    async def create_refund(request: Request) -> Response:
        """Refund all or part of a captured PaymentIntent or charge."""
        return await sim.serve(request, "createRefund", state.create_refund)

    @app.get("/v1/refunds/{refund_id}")
    async def retrieve_refund(refund_id: str, request: Request) -> Response:
        """Retrieve a refund."""
        return await sim.serve(request, "retrieveRefund", lambda _: state.retrieve_refund(refund_id))

    app.include_router(sim.core.control_router(on_reset=sim.reset, state=state.summary))
    return app


async def _run(handler: Callable[[dict[str, Any]], Answer], pairs: list[tuple[str, str]]) -> Response:
    try:
        return _respond(handler(decode_params(pairs)))
    except InvalidRequest as invalid:
        return _respond(invalid.answer)


def _respond(answer: Answer, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(answer[1], status_code=answer[0], headers=headers)


def _idempotency_mismatch(key: str) -> dict[str, Any]:
    return stripe_error(
        "idempotency_error",
        "Keys for idempotent requests can only be used with the same parameters they were first used with. "
        f"Try using a key other than '{key}' if you meant to execute a different request.",
    )


def _key_in_use(key: str) -> dict[str, Any]:
    return stripe_error(
        "idempotency_error",
        "There is currently another in-progress request using this Idempotent Key (that probably means you "
        f"submitted twice, and the other request is still going through): {key}. Please try again later.",
        code="idempotency_key_in_use",
    )


def _fault_response(status: int, retry_after: int | None) -> Response:
    if status >= 500:
        body = stripe_error("api_error", "An unknown error occurred")
    elif status == 429:
        body = stripe_error(
            "invalid_request_error", "Too many requests hit the API too quickly.", code="rate_limit"
        )
    elif status == 402:
        body = stripe_error(
            "card_error", "Your card was declined.", code="card_declined", decline_code="generic_decline"
        )
    elif status == 404:
        body = stripe_error("invalid_request_error", "No such object.", code="resource_missing")
    else:
        body = stripe_error("invalid_request_error", "The request could not be processed.")
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse(body, status_code=status, headers=headers)


def _business_error(decline_code: str) -> Response:
    """Stripe has no HTTP-200 errors: a business error is a 402 card decline with that decline code."""
    body = stripe_error(
        "card_error", "Your card was declined.", code="card_declined", decline_code=decline_code
    )
    return JSONResponse(body, status_code=402)
