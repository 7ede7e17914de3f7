"""Stripe's error bodies and PaymentIntent statuses, mapped to the gateway port's vocabulary."""

from __future__ import annotations

from typing import Any

from roomgate.payments.base import (
    PaymentConfigurationError,
    PaymentDeclined,
    PaymentError,
    PaymentNotFound,
    PaymentProviderError,
    PaymentStatus,
)
from roomgate.payments.redaction import scrub

PROVIDER = "stripe"

_STATUSES: dict[str, PaymentStatus] = {
    "requires_capture": PaymentStatus.AUTHORIZED,
    "succeeded": PaymentStatus.CAPTURED,
    "canceled": PaymentStatus.VOIDED,
    "requires_payment_method": PaymentStatus.FAILED,  # the last confirmation was declined
    "requires_confirmation": PaymentStatus.UNKNOWN,
    "requires_action": PaymentStatus.UNKNOWN,
    "processing": PaymentStatus.UNKNOWN,
}


def stripe_error(
    status: int, body: dict[str, Any], *, operation: str, secrets: tuple[str, ...] = ()
) -> PaymentError:
    """The PaymentError for a non-2xx Stripe answer (`{"error": {type, code, decline_code, message}}`)."""
    error = body.get("error")
    error = error if isinstance(error, dict) else {}
    kind = str(error.get("type") or "")
    code = str(error.get("decline_code") or error.get("code") or kind or f"http_{status}")
    message = scrub(str(error.get("message") or ""), *secrets)
    text = f"{PROVIDER}: {operation} failed: {code} (HTTP {status})" + (f": {message}" if message else "")
    cls: type[PaymentError]
    if status in (401, 403):
        cls = PaymentConfigurationError
    elif status == 404:
        cls = PaymentNotFound
    elif status in (409, 429) or status >= 500 or kind == "api_error":
        # 409: another request with this Idempotency-Key is still running; retrying later is safe.
        cls = PaymentProviderError
    else:
        # 402 card_error, and 400s: invalid_request_error (e.g. unexpected state), idempotency_error.
        cls = PaymentDeclined
    return cls(text, provider=PROVIDER, code=code)


def stripe_status(intent: dict[str, Any]) -> PaymentStatus:
    """Map a PaymentIntent; with `latest_charge` expanded, a fully refunded charge reads as refunded."""
    status = str(intent.get("status") or "")
    if status == "succeeded" and fully_refunded(intent):
        return PaymentStatus.REFUNDED
    return _STATUSES.get(status, PaymentStatus.UNKNOWN)


def fully_refunded(intent: dict[str, Any]) -> bool:
    """True when the (expanded) latest charge has been refunded in full."""
    charge = intent.get("latest_charge")
    return isinstance(charge, dict) and bool(charge.get("refunded"))
