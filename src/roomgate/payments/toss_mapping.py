"""Toss Payments' error codes and payment statuses, mapped to the gateway port's vocabulary."""

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

PROVIDER = "toss"

# Widget authentication done, approval (confirm) pending: Toss's stand-in for a pre-authorisation.
AUTHENTICATED = "IN_PROGRESS"

# "Temporary error, try again later" codes; the rest of the 4xx family are refusals.
RETRYABLE_CODES = frozenset(
    {
        "PROVIDER_ERROR",
        "FAILED_INTERNAL_SYSTEM_PROCESSING",
        "FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING",
        "FAILED_CARD_COMPANY_RESPONSE",
        "COMMON_ERROR",
        "UNKNOWN_PAYMENT_ERROR",
    }
)
CONFIGURATION_CODES = frozenset({"UNAUTHORIZED_KEY", "INVALID_API_KEY", "INCORRECT_BASIC_AUTH_FORMAT"})
NOT_FOUND_CODES = frozenset({"NOT_FOUND_PAYMENT", "NOT_FOUND"})

_STATUSES: dict[str, PaymentStatus] = {
    "READY": PaymentStatus.UNKNOWN,  # the customer has not authenticated yet
    AUTHENTICATED: PaymentStatus.AUTHORIZED,
    "WAITING_FOR_DEPOSIT": PaymentStatus.UNKNOWN,  # virtual accounts: not our flow
    "DONE": PaymentStatus.CAPTURED,
    "PARTIAL_CANCELED": PaymentStatus.CAPTURED,  # part of the money is still collected
    "CANCELED": PaymentStatus.REFUNDED,
    "EXPIRED": PaymentStatus.VOIDED,  # the authentication lapsed: nothing was ever collected
    "ABORTED": PaymentStatus.FAILED,
}


def toss_error(
    status: int, body: dict[str, Any], *, operation: str, secrets: tuple[str, ...] = ()
) -> PaymentError:
    """The PaymentError for a non-2xx Toss answer (`{code, message}` body, Korean message)."""
    code = str(body.get("code") or f"HTTP_{status}")
    message = scrub(str(body.get("message") or ""), *secrets)
    text = f"{PROVIDER}: {operation} failed: {code} (HTTP {status})" + (f": {message}" if message else "")
    cls: type[PaymentError]
    if status == 401 or code in CONFIGURATION_CODES:
        cls = PaymentConfigurationError
    elif code in NOT_FOUND_CODES:
        cls = PaymentNotFound
    elif status >= 500 or status == 429 or code in RETRYABLE_CODES:
        cls = PaymentProviderError
    else:
        # Includes 404 NOT_FOUND_PAYMENT_SESSION: the authentication expired or the order differs.
        cls = PaymentDeclined
    return cls(text, provider=PROVIDER, code=code)


def toss_status(payment: dict[str, Any], *, voided_by_us: bool = False) -> PaymentStatus:
    """Map a Payment object's `status`; an authentication we abandoned counts as voided."""
    status = str(payment.get("status") or "")
    if status == AUTHENTICATED and voided_by_us:
        return PaymentStatus.VOIDED
    return _STATUSES.get(status, PaymentStatus.UNKNOWN)
