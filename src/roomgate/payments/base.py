"""The payment gateway port the checkout saga depends on."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from roomgate.domain.money import Money


class PaymentStatus(StrEnum):
    AUTHORIZED = "authorized"  # money held, not collected
    CAPTURED = "captured"
    VOIDED = "voided"  # authorisation released, no money moved
    REFUNDED = "refunded"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class PaymentSource:
    """What the client sent in `payment`: the spec's `cardToken` plus provider-specific fields."""

    card_token: str | None = None
    payment_key: str | None = None  # Toss: from the widget's payment authentication
    order_id: str | None = None  # Toss: merchant order id the widget used
    extra: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # card tokens never reach a log through repr()
        return "PaymentSource(<redacted>)"


@dataclass(frozen=True, slots=True)
class Authorization:
    provider: str
    authorization_id: str  # Toss paymentKey, Stripe PaymentIntent id, sandbox id
    amount: Money
    status: PaymentStatus = PaymentStatus.AUTHORIZED


class PaymentError(Exception):
    """Base class; `retryable` marks transient provider failures, `code` the provider's code."""

    retryable = False

    def __init__(self, message: str, *, provider: str = "", code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.code = code


class PaymentDeclined(PaymentError):
    """The card or the provider refused (insufficient funds, invalid card, amount mismatch, ...)."""


class PaymentTimeout(PaymentError):
    """No answer in time: the outcome is unknown; check `get_status` before acting again."""

    retryable = True


class PaymentProviderError(PaymentError):
    """5xx or connection failure at the provider."""

    retryable = True


class PaymentNotFound(PaymentError):
    """The provider knows no such payment."""


class PaymentConfigurationError(PaymentError):
    """The provider refused our credentials or account setup (401/403): fix configuration, don't retry."""


class PaymentProviderUnusable(PaymentConfigurationError):
    """No gateway can act for this payment here: the booking recorded no provider, or the one it
    recorded is unknown or not configured in this deployment. An operator must settle it."""


class PaymentGateway(Protocol):
    """Amounts are `Money`; adapters convert to the provider's integer minor units.

    Every call is idempotent given the same `booking_id`/`authorization_id`: adapters send
    deterministic idempotency keys (`{booking_id}:{operation}`) where the provider supports them,
    and void/refund check the payment's state before acting, so compensations can run twice.
    """

    name: str

    async def authorize(self, booking_id: str, amount: Money, source: PaymentSource) -> Authorization: ...

    async def capture(
        self, authorization: Authorization, booking_id: str, amount: Money | None = None
    ) -> None:
        """Collect the authorised amount, or `amount` (less than authorised) where the provider can
        (`partial_capture`); a provider that cannot refuses a smaller amount with `PaymentDeclined`."""
        ...

    async def void(self, authorization_id: str, booking_id: str) -> None: ...

    async def refund(self, authorization_id: str, booking_id: str, amount: Money, reason: str) -> None: ...

    async def get_status(self, authorization_id: str) -> PaymentStatus: ...

    async def find_by_booking(self, booking_id: str) -> Authorization | None:
        """The authorisation made for `booking_id`, if any — recovery uses it after a crash or a timeout
        left the authorisation id unrecorded."""
        ...


def supports_partial_capture(gateway: PaymentGateway) -> bool:
    """Can the gateway capture less than it authorised? (A class attribute `partial_capture`, default no.)"""
    return bool(getattr(gateway, "partial_capture", False))
