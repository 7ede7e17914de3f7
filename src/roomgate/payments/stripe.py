"""Stripe PaymentIntents with manual capture as a `PaymentGateway`.

authorize = create and confirm with `capture_method=manual` (status `requires_capture`, money held);
capture = `/capture`; void = `/cancel` before capture, a full refund after it; refund = `/v1/refunds`.
Amounts are sent in the currency's minor unit (KRW and JPY have none). Every POST carries the
deterministic Idempotency-Key `{booking_id}:{operation}`; Stripe's keys are account-wide, so each
operation has its own name.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx2
import structlog

from roomgate.config import Settings
from roomgate.domain.money import Money
from roomgate.payments.base import (
    Authorization,
    PaymentDeclined,
    PaymentError,
    PaymentProviderError,
    PaymentSource,
    PaymentStatus,
)
from roomgate.payments.http import VendorHttp, basic_auth, json_body
from roomgate.payments.redaction import mask
from roomgate.payments.stripe_mapping import PROVIDER, fully_refunded, stripe_error, stripe_status

log = structlog.get_logger("roomgate.payments")

# PaymentIntent statuses that `/cancel` accepts.
_CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action")
_UNEXPECTED_STATE = "payment_intent_unexpected_state"
# Intents that ever held money, most consequential first; the rest never authorised anything.
_FIND_PREFERENCE = ("succeeded", "requires_capture", "processing", "canceled")


class StripeGateway:
    name = PROVIDER
    partial_capture = True  # `amount_to_capture` ≤ the authorised amount

    def __init__(
        self, client: httpx2.AsyncClient, *, secret_key: str, base_url: str, timeout_seconds: float
    ) -> None:
        self._secret = secret_key
        self._http = VendorHttp(
            client,
            provider=PROVIDER,
            base_url=base_url,
            headers=basic_auth(secret_key),
            timeout_seconds=timeout_seconds,
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, client: httpx2.AsyncClient, *, secret_key: str
    ) -> StripeGateway:
        """Base URL from `STRIPE_BASE_URL`; `secret_key` (`sk_…`) is `Settings.payment_key(stripe)`."""
        return cls(
            client,
            secret_key=secret_key,
            base_url=settings.stripe_base_url,
            timeout_seconds=settings.payment_timeout_seconds,
        )

    async def authorize(self, booking_id: str, amount: Money, source: PaymentSource) -> Authorization:
        """Create and confirm a manual-capture PaymentIntent: the amount is held, not collected."""
        if not source.card_token:
            raise PaymentDeclined(
                "stripe: authorize needs a card token (payment method)",
                provider=PROVIDER,
                code="missing_token",
            )
        form = {
            "amount": str(amount.minor),
            "currency": amount.currency.lower(),
            "capture_method": "manual",
            "confirm": "true",
            "payment_method": source.card_token,
            "payment_method_types[]": "card",
            "metadata[booking_id]": booking_id,
        }
        intent = await self._post(
            "/v1/payment_intents", "authorize", booking_id, form, subject=None, token=source.card_token
        )
        status = intent.get("status")
        if status != "requires_capture":
            code = "authentication_required" if status == "requires_action" else str(status)
            raise PaymentDeclined(
                f"stripe: authorize: payment intent is {status}", provider=PROVIDER, code=code
            )
        log.info(
            "payment.authorized", provider=PROVIDER, booking_id=booking_id, payment=mask(intent.get("id"))
        )
        return Authorization(PROVIDER, str(intent["id"]), amount)

    async def capture(
        self, authorization: Authorization, booking_id: str, amount: Money | None = None
    ) -> None:
        """Capture the held amount, or `amount_to_capture` = `amount` (Stripe releases the rest);
        capturing an already captured intent is a no-op."""
        intent_id = authorization.authorization_id
        form = {"amount_to_capture": str(amount.minor)} if amount is not None else {}
        try:
            await self._post(f"{_path(intent_id)}/capture", "capture", booking_id, form, subject=intent_id)
        except PaymentDeclined as error:
            if (
                error.code != _UNEXPECTED_STATE
                or (await self._intent(intent_id, "capture")).get("status") != "succeeded"
            ):
                raise
        log.info("payment.captured", provider=PROVIDER, booking_id=booking_id, payment=mask(intent_id))

    async def void(self, authorization_id: str, booking_id: str) -> None:
        """Release the hold before capture, refund in full after it; already void is a no-op."""
        intent = await self._intent(authorization_id, "void")
        status = intent.get("status")
        if status == "canceled" or (status == "succeeded" and fully_refunded(intent)):
            return
        if status == "succeeded":
            form = {"payment_intent": authorization_id, "reason": "requested_by_customer"}
            await self._post("/v1/refunds", "void_refund", booking_id, form, subject=authorization_id)
            return
        if status not in _CANCELABLE:
            raise PaymentProviderError(
                f"stripe: void: payment intent is {status}; retry later", provider=PROVIDER, code=str(status)
            )
        form = {"cancellation_reason": "abandoned"}
        await self._post(
            f"{_path(authorization_id)}/cancel", "void", booking_id, form, subject=authorization_id
        )
        log.info("payment.voided", provider=PROVIDER, booking_id=booking_id, payment=mask(authorization_id))

    async def refund(self, authorization_id: str, booking_id: str, amount: Money, reason: str) -> None:
        """Refund `amount` of a captured intent (one refund per booking); fully refunded is a no-op."""
        intent = await self._intent(authorization_id, "refund")
        if intent.get("status") != "succeeded":
            raise PaymentDeclined(
                f"stripe: refund refused: nothing was collected (payment intent is {intent.get('status')})",
                provider=PROVIDER,
                code="payment_not_captured",
            )
        if fully_refunded(intent):
            return
        form = {
            "payment_intent": authorization_id,
            "amount": str(amount.minor),
            "reason": "requested_by_customer",
            "metadata[booking_id]": booking_id,
            "metadata[reason]": reason[:500],
        }
        await self._post("/v1/refunds", "refund", booking_id, form, subject=authorization_id)

    async def get_status(self, authorization_id: str) -> PaymentStatus:
        """The PaymentIntent's state; a fully refunded charge reads as refunded."""
        return stripe_status(await self._intent(authorization_id, "get_status"))

    async def find_by_booking(self, booking_id: str) -> Authorization | None:
        """The booking's PaymentIntent via Search (`metadata['booking_id']`), preferring one holding money.

        Stripe's search index can lag a new PaymentIntent by up to about a minute; recovery runs later.
        """
        escaped = booking_id.replace("\\", "\\\\").replace("'", "\\'")
        params = {"query": f"metadata['booking_id']:'{escaped}'", "expand[]": "data.latest_charge"}
        response = await self._http.send(
            "GET", "/v1/payment_intents/search", operation="find_by_booking", params=params
        )
        if not response.is_success:
            raise self._error(response, "find_by_booking", None)
        found = [i for i in json_body(response).get("data") or [] if i.get("status") in _FIND_PREFERENCE]
        if not found:
            return None
        intent = min(found, key=lambda i: _FIND_PREFERENCE.index(i["status"]))
        amount = Money.from_minor(int(intent["amount"]), str(intent["currency"]))
        return Authorization(PROVIDER, str(intent["id"]), amount, stripe_status(intent))

    # -- helpers ---------------------------------------------------------------------------------
    async def _intent(self, intent_id: str, operation: str) -> dict[str, Any]:
        response = await self._http.send(
            "GET",
            _path(intent_id),
            operation=operation,
            subject=intent_id,
            params={"expand[]": "latest_charge"},
        )
        if not response.is_success:
            raise self._error(response, operation, intent_id)
        return json_body(response)

    async def _post(
        self,
        path: str,
        operation: str,
        booking_id: str,
        form: dict[str, str],
        *,
        subject: str | None,
        token: str | None = None,
    ) -> dict[str, Any]:
        response = await self._http.send(
            "POST",
            path,
            operation=operation,
            subject=subject,
            form=form,
            idempotency_key=f"{booking_id}:{operation}",
        )
        if not response.is_success:
            raise self._error(response, operation, subject, token)
        return json_body(response)

    def _error(
        self, response: httpx2.Response, operation: str, subject: str | None, token: str | None = None
    ) -> PaymentError:
        secrets = (self._secret, token or "")
        error = stripe_error(response.status_code, json_body(response), operation=operation, secrets=secrets)
        log.warning(
            "payment.vendor_error",
            provider=PROVIDER,
            operation=operation,
            code=error.code,
            status=response.status_code,
            payment=mask(subject),
        )
        return error


def _path(intent_id: str) -> str:
    return f"/v1/payment_intents/{quote(intent_id, safe='')}"
