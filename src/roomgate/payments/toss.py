"""Toss Payments (Core API v1) as a `PaymentGateway`.

Toss has no separate pre-authorisation: the payment widget's authentication is the hold, and the
approval (`POST /v1/payments/confirm`) collects the money. So:

- `authorize` verifies the authenticated payment (`GET /v1/payments/{paymentKey}`): it exists, is
  `IN_PROGRESS` (authenticated, awaiting approval), and its orderId, amount and currency are ours;
- `capture` is the approval; `refund` is a cancel with `cancelAmount`;
- `void` before capture cannot call Toss (there is no cancel for an unapproved payment): it records the
  authentication as abandoned in Redis, so no capture will ever approve it, and Toss expires it
  10 minutes after authentication with no money moved. `void` after capture cancels in full.

Capture and void claim the payment in Redis first (`pay:toss:claim:<paymentKey>`, first writer wins),
so a void racing a capture from another process can never leave an approved payment behind.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx2
import structlog
from redis.asyncio import Redis

from roomgate.config import Settings
from roomgate.domain.money import Money
from roomgate.payments.base import (
    Authorization,
    PaymentDeclined,
    PaymentError,
    PaymentNotFound,
    PaymentProviderError,
    PaymentSource,
    PaymentStatus,
)
from roomgate.payments.http import VendorHttp, basic_auth, json_body
from roomgate.payments.redaction import mask
from roomgate.payments.toss_claims import TossClaims
from roomgate.payments.toss_mapping import AUTHENTICATED, PROVIDER, toss_error, toss_status

log = structlog.get_logger("roomgate.payments")

MAX_CANCEL_REASON = 200
_COLLECTED = ("DONE", "PARTIAL_CANCELED")


class TossGateway:
    name = PROVIDER
    # `confirm` must carry the amount the widget authenticated: no capture of less (PRICE_MISMATCH then)
    partial_capture = False

    def __init__(
        self,
        client: httpx2.AsyncClient,
        redis: Redis,
        *,
        secret_key: str,
        base_url: str,
        timeout_seconds: float,
    ) -> None:
        self._secret = secret_key
        self._claims = TossClaims(redis)
        self._http = VendorHttp(
            client,
            provider=PROVIDER,
            base_url=base_url,
            headers=basic_auth(secret_key),
            timeout_seconds=timeout_seconds,
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, client: httpx2.AsyncClient, redis: Redis, *, secret_key: str
    ) -> TossGateway:
        """Base URL from `TOSS_BASE_URL`; `secret_key` is `Settings.payment_key(toss)`."""
        return cls(
            client,
            redis,
            secret_key=secret_key,
            base_url=settings.toss_base_url,
            timeout_seconds=settings.payment_timeout_seconds,
        )

    async def authorize(self, booking_id: str, amount: Money, source: PaymentSource) -> Authorization:
        """Verify the widget-authenticated payment matches our order; no money moves here."""
        key = source.payment_key
        if not key or not source.order_id:
            raise _declined("authorize needs the widget's paymentKey and orderId", "INVALID_REQUEST")
        payment = await self._get(key, "authorize")
        if payment.get("orderId") != source.order_id:
            raise _declined("authorize: the payment belongs to another order", "ORDER_MISMATCH")
        _check_amount(payment, amount, "authorize")
        status, claim = payment.get("status"), await self._claims.claim_of(key)
        if status == AUTHENTICATED and claim in (None, ("capture", booking_id)):
            # One authentication pays for one booking: a double-submitted checkout must not get it too.
            if await self._claims.bind(key, booking_id) != booking_id:
                raise _declined("authorize: the payment already pays for another booking", "ALREADY_IN_USE")
            await self._claims.remember_booking(booking_id, key)
            return Authorization(PROVIDER, key, amount)
        if status == "DONE" and claim == ("capture", booking_id):  # asked again after our own capture
            return Authorization(PROVIDER, key, amount, PaymentStatus.CAPTURED)
        code = "VOIDED" if claim is not None and claim[0] == "void" else _failure_code(payment)
        raise _declined(f"authorize: payment is not awaiting approval ({code})", code)

    async def capture(
        self, authorization: Authorization, booking_id: str, amount: Money | None = None
    ) -> None:
        """Approve (`confirm`) the payment; approving an already approved one is a no-op. Toss approves
        exactly the amount the guest authenticated, so a smaller `amount` is refused."""
        key = authorization.authorization_id
        if amount is not None and amount != authorization.amount:
            raise _declined(
                "capture: Toss approves only the authenticated amount", "PARTIAL_CAPTURE_UNSUPPORTED"
            )
        if await self._claims.claim(key, "capture", booking_id) == "void":
            raise _declined("capture refused: the authorisation was voided", "VOIDED")
        payment = await self._get(key, "capture")
        if payment.get("status") == "DONE":
            return
        if payment.get("status") != AUTHENTICATED:
            raise _declined(f"capture refused: payment is {payment.get('status')}", _failure_code(payment))
        _check_amount(payment, authorization.amount, "capture")
        body = {"paymentKey": key, "orderId": payment.get("orderId"), "amount": authorization.amount.minor}
        response = await self._http.send(
            "POST",
            "/v1/payments/confirm",
            operation="capture",
            subject=key,
            json=body,
            idempotency_key=f"{booking_id}:capture",
        )
        if response.is_success:
            log.info("payment.captured", provider=PROVIDER, booking_id=booking_id, payment=mask(key))
            return
        error = self._error(response, "capture", key)
        try:
            after = (await self._get(key, "capture")).get("status")
        except PaymentError:
            raise error from None
        if after == "DONE":  # e.g. ALREADY_PROCESSED_PAYMENT: an earlier attempt went through
            return
        if after == AUTHENTICATED:
            # Toss answered, so no approval of ours is in flight: let a void win from now on.
            await self._claims.release(key, "capture", booking_id)
        raise error

    async def void(self, authorization_id: str, booking_id: str) -> None:
        """Abandon an unapproved payment (it expires at Toss), or cancel an approved one in full."""
        claim = await self._claims.claim(authorization_id, "void", booking_id)
        payment = await self._get(authorization_id, "void")
        status = payment.get("status")
        if status == AUTHENTICATED and claim == "void":
            log.info(
                "payment.abandoned", provider=PROVIDER, booking_id=booking_id, payment=mask(authorization_id)
            )
            return
        if status == AUTHENTICATED:
            raise PaymentProviderError(
                "toss: void: an approval of this payment is under way; retry once it settles (<= 10 min)",
                provider=PROVIDER,
                code="CAPTURE_IN_FLIGHT",
            )
        if status in _COLLECTED:
            await self._cancel(authorization_id, booking_id, "void", "booking not completed", None)

    async def refund(self, authorization_id: str, booking_id: str, amount: Money, reason: str) -> None:
        """Cancel `amount` of an approved payment (one refund per booking); fully cancelled is a no-op."""
        payment = await self._get(authorization_id, "refund")
        status = payment.get("status")
        if status == "CANCELED":
            return
        if status not in _COLLECTED:
            raise _declined(
                f"refund refused: nothing was collected (payment is {status})", "NOT_CANCELABLE_PAYMENT"
            )
        if payment.get("currency", "KRW") != amount.currency:
            raise _declined("refund currency differs from the payment's", "CURRENCY_MISMATCH")
        await self._cancel(authorization_id, booking_id, "refund", reason, amount.minor)

    async def get_status(self, authorization_id: str) -> PaymentStatus:
        """The payment's state at Toss; an authentication we abandoned reads as voided."""
        payment = await self._get(authorization_id, "get_status")
        claim = await self._claims.claim_of(authorization_id)
        return toss_status(payment, voided_by_us=claim is not None and claim[0] == "void")

    async def find_by_booking(self, booking_id: str) -> Authorization | None:
        """The payment `authorize` verified for this booking (indexed in Redis), with its current state."""
        key = await self._claims.payment_key_for(booking_id)
        if key is None:
            return None
        try:
            payment = await self._get(key, "find_by_booking")
        except PaymentNotFound:
            return None
        claim = await self._claims.claim_of(key)
        status = toss_status(payment, voided_by_us=claim is not None and claim[0] == "void")
        amount = Money.from_minor(int(payment.get("totalAmount") or 0), str(payment.get("currency") or "KRW"))
        return Authorization(PROVIDER, key, amount, status)

    # -- helpers ---------------------------------------------------------------------------------
    async def _get(self, payment_key: str, operation: str) -> dict[str, Any]:
        response = await self._http.send(
            "GET", f"/v1/payments/{quote(payment_key, safe='')}", operation=operation, subject=payment_key
        )
        if not response.is_success:
            raise self._error(response, operation, payment_key)
        return json_body(response)

    async def _cancel(
        self, key: str, booking_id: str, operation: str, reason: str, amount: int | None
    ) -> None:
        body: dict[str, Any] = {"cancelReason": (reason or operation)[:MAX_CANCEL_REASON]}
        if amount is not None:
            body["cancelAmount"] = amount
        response = await self._http.send(
            "POST",
            f"/v1/payments/{quote(key, safe='')}/cancel",
            operation=operation,
            subject=key,
            json=body,
            idempotency_key=f"{booking_id}:{operation}",
        )
        if response.is_success:
            log.info(
                "payment.canceled",
                provider=PROVIDER,
                booking_id=booking_id,
                operation=operation,
                payment=mask(key),
            )
            return
        error = self._error(response, operation, key)
        if error.code != "ALREADY_CANCELED_PAYMENT":
            raise error

    def _error(self, response: httpx2.Response, operation: str, payment_key: str) -> PaymentError:
        error = toss_error(
            response.status_code,
            json_body(response),
            operation=operation,
            secrets=(self._secret, payment_key),
        )
        log.warning(
            "payment.vendor_error",
            provider=PROVIDER,
            operation=operation,
            code=error.code,
            status=response.status_code,
            payment=mask(payment_key),
        )
        return error


def _failure_code(payment: dict[str, Any]) -> str:
    failure = payment.get("failure")
    if isinstance(failure, dict) and failure.get("code"):
        return str(failure["code"])
    return str(payment.get("status") or "UNKNOWN")


def _check_amount(payment: dict[str, Any], amount: Money, operation: str) -> None:
    if payment.get("totalAmount") != amount.minor or payment.get("currency", "KRW") != amount.currency:
        raise _declined(f"{operation}: the payment's amount differs from the order's", "AMOUNT_MISMATCH")


def _declined(message: str, code: str) -> PaymentDeclined:
    return PaymentDeclined(f"{PROVIDER}: {message}", provider=PROVIDER, code=code)
