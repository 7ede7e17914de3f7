"""The Stripe simulator's objects (PaymentIntent, Charge, Refund), test cards and error bodies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

AUTHORIZATION_WINDOW_SECONDS = 7 * 24 * 3600  # uncaptured card holds lapse after 7 days
CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)

# Stripe's test PaymentMethods: succeed, need 3-D Secure, or decline as documented.
SUCCEEDING_CARDS = frozenset(
    {
        "pm_card_visa",
        "pm_card_visa_debit",
        "pm_card_mastercard",
        "pm_card_amex",
        "pm_card_jcb",
        "pm_card_unionpay",
    }
)
AUTHENTICATION_CARDS = frozenset({"pm_card_authenticationRequired", "pm_card_threeDSecure2Required"})
_DECLINED = "Your card was declined."
DECLINING_CARDS: dict[str, tuple[str, str | None, str]] = {  # code, decline_code, message
    "pm_card_chargeDeclined": ("card_declined", "generic_decline", _DECLINED),
    "pm_card_chargeDeclinedInsufficientFunds": ("card_declined", "insufficient_funds", _DECLINED),
    "pm_card_chargeDeclinedLostCard": ("card_declined", "lost_card", _DECLINED),
    "pm_card_chargeDeclinedStolenCard": ("card_declined", "stolen_card", _DECLINED),
    "pm_card_chargeDeclinedFraudulent": ("card_declined", "fraudulent", _DECLINED),
    "pm_card_chargeDeclinedExpiredCard": ("expired_card", "expired_card", "Your card has expired."),
    "pm_card_chargeDeclinedIncorrectCvc": (
        "incorrect_cvc",
        "incorrect_cvc",
        "Your card's security code is incorrect.",
    ),
    "pm_card_chargeDeclinedProcessingError": (
        "processing_error",
        "processing_error",
        "An error occurred while processing.",
    ),
}


def stripe_error(kind: str, message: str, *, code: str | None = None, **extra: Any) -> dict[str, Any]:
    """`{"error": {type, code, message, doc_url, ...}}` as Stripe sends it."""
    body: dict[str, Any] = {"type": kind, "message": message}
    if code is not None:
        body["code"] = code
        body["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    body.update({key: value for key, value in extra.items() if value is not None})
    return {"error": body}


@dataclass
class Charge:
    id: str
    payment_intent: str
    amount: int
    currency: str
    created: int
    amount_captured: int = 0
    amount_refunded: int = 0
    captured: bool = False

    @property
    def refunded(self) -> bool:
        """Fully refunded: what was captured, or for a released hold the whole authorised amount."""
        refundable = self.amount_captured if self.captured else self.amount
        return self.amount_refunded > 0 and self.amount_refunded >= refundable

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "charge",
            "amount": self.amount,
            "amount_captured": self.amount_captured,
            "amount_refunded": self.amount_refunded,
            "captured": self.captured,
            "created": self.created,
            "currency": self.currency,
            "livemode": False,
            "paid": True,
            "payment_intent": self.payment_intent,
            "refunded": self.refunded,
            "status": "succeeded",
        }


@dataclass
class PaymentIntent:
    id: str
    amount: int
    currency: str
    capture_method: str
    created: int
    payment_method: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    status: str = "requires_payment_method"
    amount_capturable: int = 0
    amount_received: int = 0
    charge: Charge | None = None
    canceled_at: int | None = None
    cancellation_reason: str | None = None
    last_payment_error: dict[str, Any] | None = None

    def refresh(self, now: float) -> None:
        """A hold nobody captured within the authorisation window is released."""
        if self.status == "requires_capture" and now - self.created >= AUTHORIZATION_WINDOW_SECONDS:
            self.cancel(int(now), "automatic")

    def cancel(self, now: int, reason: str | None) -> None:
        self.status, self.canceled_at, self.cancellation_reason = "canceled", now, reason
        if self.charge is not None and not self.charge.captured:
            self.charge.amount_refunded = self.charge.amount  # Stripe refunds the uncaptured charge
        self.amount_capturable = 0

    def to_json(self, *, expand_charge: bool = False) -> dict[str, Any]:
        charge: Any = None
        if self.charge is not None:
            charge = self.charge.to_json() if expand_charge else self.charge.id
        return {
            "id": self.id,
            "object": "payment_intent",
            "amount": self.amount,
            "amount_capturable": self.amount_capturable,
            "amount_received": self.amount_received,
            "canceled_at": self.canceled_at,
            "cancellation_reason": self.cancellation_reason,
            "capture_method": self.capture_method,
            "client_secret": f"{self.id}_secret_sim",
            "confirmation_method": "automatic",
            "created": self.created,
            "currency": self.currency,
            "last_payment_error": self.last_payment_error,
            "latest_charge": charge,
            "livemode": False,
            "metadata": dict(self.metadata),
            "payment_method": self.payment_method,
            "payment_method_types": ["card"],
            "status": self.status,
        }

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "amount": self.amount,
            "currency": self.currency,
            "amount_received": self.amount_received,
            "amount_refunded": self.charge.amount_refunded if self.charge else 0,
            "metadata": dict(self.metadata),
        }


@dataclass
class Refund:
    id: str
    amount: int
    charge: str
    payment_intent: str
    currency: str
    created: int
    reason: str | None
    metadata: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "refund",
            "amount": self.amount,
            "charge": self.charge,
            "created": self.created,
            "currency": self.currency,
            "metadata": dict(self.metadata),
            "payment_intent": self.payment_intent,
            "reason": self.reason,
            "status": "succeeded",
        }
