"""A payment gateway with no network: payments live in Redis, test card tokens trigger each failure.

| cardToken                | effect                                                                  |
|--------------------------|-------------------------------------------------------------------------|
| `tok_decline`            | authorize → PaymentDeclined `card_declined`; nothing is held            |
| `tok_insufficient_funds` | authorize → PaymentDeclined `insufficient_funds`; nothing is held       |
| `tok_provider_error`     | authorize → PaymentProviderError `processing_error`; nothing is held    |
| `tok_timeout`            | authorize holds the money, then raises PaymentTimeout; authorizing the  |
|                          | same booking again returns that authorisation (recovery voids it)       |
| `tok_capture_fail`       | capture → PaymentDeclined `capture_declined`; the hold stays (void it)  |
| `tok_capture_timeout`    | capture collects, then raises PaymentTimeout; get_status says captured  |
| `tok_void_error`         | the first void → PaymentProviderError; the next void succeeds           |
| anything else            | succeeds (e.g. `tok_visa_1234`); no token at all → `missing_token`      |

The authorisation id is derived from the booking id, so authorizing one booking twice returns the
same authorisation (with a different amount: PaymentDeclined `idempotency_mismatch`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from roomgate.domain.money import Money
from roomgate.payments.base import (
    Authorization,
    PaymentDeclined,
    PaymentError,
    PaymentNotFound,
    PaymentProviderError,
    PaymentSource,
    PaymentStatus,
    PaymentTimeout,
)
from roomgate.payments.sandbox_store import TTL_SECONDS, SandboxStore

PROVIDER = "sandbox"
_ATTEMPTS = 10  # compare-and-set retries; only concurrent callers on one payment ever need more than one

_AUTHORIZE_FAILURES: dict[str, type[PaymentError]] = {
    "tok_decline": PaymentDeclined,
    "tok_insufficient_funds": PaymentDeclined,
    "tok_provider_error": PaymentProviderError,
}
_FAILURE_CODES = {
    "tok_decline": "card_declined",
    "tok_insufficient_funds": "insufficient_funds",
    "tok_provider_error": "processing_error",
}
BEHAVIOURS = frozenset({"tok_timeout", "tok_capture_fail", "tok_capture_timeout", "tok_void_error"})


class SandboxGateway:
    name = PROVIDER
    partial_capture = True

    def __init__(
        self,
        redis: Redis,
        *,
        race_hook: Callable[[], Awaitable[None]] | None = None,
        skip_guard: bool = False,
    ) -> None:
        """`race_hook` runs between reading a payment and writing it, `skip_guard` drops the
        compare-and-set guard: debug hooks that let a race test widen the window and prove it sees
        the lost update it guards against (never set them in production)."""
        self._store = SandboxStore(redis)
        self._race_hook = race_hook
        self._skip_guard = skip_guard

    async def authorize(self, booking_id: str, amount: Money, source: PaymentSource) -> Authorization:
        """Hold `amount` for the booking, or return the hold made earlier for it."""
        token = source.card_token or ""
        if not token:
            raise PaymentDeclined(
                "sandbox: authorize needs a card token", provider=PROVIDER, code="missing_token"
            )
        if token in _AUTHORIZE_FAILURES:
            raise _AUTHORIZE_FAILURES[token](
                f"sandbox: authorize failed ({_FAILURE_CODES[token]})",
                provider=PROVIDER,
                code=_FAILURE_CODES[token],
            )
        if amount.minor <= 0:
            raise PaymentDeclined(
                "sandbox: amount must be positive", provider=PROVIDER, code="invalid_amount"
            )
        payment_id = _payment_id(booking_id)
        fields = {
            "booking_id": booking_id,
            "amount": str(amount.minor),
            "currency": amount.currency,
            "status": PaymentStatus.AUTHORIZED.value,
            "behaviour": token if token in BEHAVIOURS else "",
            "captured": "0",
            "refunded": "0",
        }
        for _ in range(_ATTEMPTS):
            record = await self._store.load(payment_id)
            if record:
                return _existing_authorization(payment_id, record, amount)
            if await self._cas(payment_id, {"status": ""}, fields, ttl_seconds=TTL_SECONDS):
                if token == "tok_timeout":  # authorised, but the answer is "lost"
                    raise PaymentTimeout(
                        "sandbox: authorize timed out; outcome unknown", provider=PROVIDER, code="timeout"
                    )
                return Authorization(PROVIDER, payment_id, amount)
        raise _contended("authorize")

    async def capture(
        self, authorization: Authorization, booking_id: str, amount: Money | None = None
    ) -> None:
        """Collect the held amount, or `amount` of it (the rest is released); capturing twice is a no-op."""
        payment_id = authorization.authorization_id
        for _ in range(_ATTEMPTS):
            record = await self._load(payment_id)
            status = record["status"]
            if status in (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED):
                return
            if status != PaymentStatus.AUTHORIZED:
                raise PaymentDeclined(
                    f"sandbox: capture refused: payment is {status}",
                    provider=PROVIDER,
                    code=f"payment_{status}",
                )
            if record.get("behaviour") == "tok_capture_fail":
                raise PaymentDeclined("sandbox: capture declined", provider=PROVIDER, code="capture_declined")
            captured = record["amount"]
            if amount is not None:
                if amount.currency != record["currency"] or not 0 < amount.minor <= int(record["amount"]):
                    raise PaymentDeclined(
                        "sandbox: capture amount exceeds what was authorised",
                        provider=PROVIDER,
                        code="amount_too_large",
                    )
                captured = str(amount.minor)
            changes = {"status": PaymentStatus.CAPTURED.value, "captured": captured}
            if await self._cas(payment_id, {"status": status}, changes):
                if record.get("behaviour") == "tok_capture_timeout":
                    raise PaymentTimeout(
                        "sandbox: capture timed out; outcome unknown", provider=PROVIDER, code="timeout"
                    )
                return
        raise _contended("capture")

    async def void(self, authorization_id: str, booking_id: str) -> None:
        """Release the hold before capture, refund in full after it; voiding twice is a no-op."""
        for _ in range(_ATTEMPTS):
            record = await self._load(authorization_id)
            status = record["status"]
            if status in (PaymentStatus.VOIDED, PaymentStatus.REFUNDED):
                return
            if record.get("behaviour") == "tok_void_error" and not record.get("void_error_served"):
                if await self._cas(authorization_id, {"void_error_served": ""}, {"void_error_served": "1"}):
                    raise PaymentProviderError(
                        "sandbox: void failed (processing_error)", provider=PROVIDER, code="processing_error"
                    )
                continue
            if status == PaymentStatus.CAPTURED:
                expected = {"status": status, "refunded": record["refunded"]}
                changes = {"status": PaymentStatus.REFUNDED.value, "refunded": record["captured"]}
            else:
                expected, changes = {"status": status}, {"status": PaymentStatus.VOIDED.value}
            if await self._cas(authorization_id, expected, changes):
                return
        raise _contended("void")

    async def refund(self, authorization_id: str, booking_id: str, amount: Money, reason: str) -> None:
        """Refund part or all of the collected amount, once per booking; repeating it is a no-op."""
        marker = f"refund:{booking_id}"
        for _ in range(_ATTEMPTS):
            record = await self._load(authorization_id)
            if marker in record:
                if record[marker] != str(amount.minor):
                    raise PaymentDeclined(
                        "sandbox: this booking was refunded with another amount",
                        provider=PROVIDER,
                        code="idempotency_mismatch",
                    )
                return
            status = record["status"]
            if status == PaymentStatus.REFUNDED:
                return
            if status != PaymentStatus.CAPTURED:
                raise PaymentDeclined(
                    f"sandbox: refund refused: nothing was collected (payment is {status})",
                    provider=PROVIDER,
                    code="payment_not_captured",
                )
            captured, refunded = int(record["captured"]), int(record["refunded"])
            if (
                amount.currency != record["currency"]
                or amount.minor <= 0
                or amount.minor > captured - refunded
            ):
                raise PaymentDeclined(
                    "sandbox: refund amount exceeds what is refundable",
                    provider=PROVIDER,
                    code="amount_too_large",
                )
            new_refunded = refunded + amount.minor
            new_status = PaymentStatus.REFUNDED if new_refunded == captured else PaymentStatus.CAPTURED
            expected = {"status": status, "refunded": str(refunded), marker: ""}
            changes = {"status": new_status.value, "refunded": str(new_refunded), marker: str(amount.minor)}
            if await self._cas(authorization_id, expected, changes):
                return
        raise _contended("refund")

    async def get_status(self, authorization_id: str) -> PaymentStatus:
        """The payment's recorded state."""
        return PaymentStatus((await self._load(authorization_id))["status"])

    async def find_by_booking(self, booking_id: str) -> Authorization | None:
        """The booking's payment, whatever its state, or None if it was never authorised."""
        payment_id = _payment_id(booking_id)
        record = await self._store.load(payment_id)
        if not record.get("status"):
            return None
        amount = Money.from_minor(int(record["amount"]), record["currency"])
        return Authorization(PROVIDER, payment_id, amount, PaymentStatus(record["status"]))

    async def _cas(
        self, payment_id: str, expected: dict[str, str], changes: dict[str, str], *, ttl_seconds: int = 0
    ) -> bool:
        if self._race_hook is not None:
            await self._race_hook()
        guard = {} if self._skip_guard else expected
        return await self._store.compare_and_set(payment_id, guard, changes, ttl_seconds=ttl_seconds)

    async def _load(self, payment_id: str) -> dict[str, str]:
        record = await self._store.load(payment_id)
        if not record.get("status"):
            raise PaymentNotFound("sandbox: no such payment", provider=PROVIDER, code="resource_missing")
        return record


def _payment_id(booking_id: str) -> str:
    return "sbx_" + hashlib.sha256(booking_id.encode()).hexdigest()[:24]


def _existing_authorization(payment_id: str, record: dict[str, str], amount: Money) -> Authorization:
    if record.get("amount") != str(amount.minor) or record.get("currency") != amount.currency:
        raise PaymentDeclined(
            "sandbox: this booking was authorised with another amount",
            provider=PROVIDER,
            code="idempotency_mismatch",
        )
    status = PaymentStatus(record["status"])
    if status in (PaymentStatus.VOIDED, PaymentStatus.REFUNDED):
        raise PaymentDeclined(
            f"sandbox: the booking's authorisation is {status}", provider=PROVIDER, code=f"payment_{status}"
        )
    return Authorization(PROVIDER, payment_id, amount, status)


def _contended(operation: str) -> PaymentProviderError:
    return PaymentProviderError(
        f"sandbox: {operation}: payment changed concurrently; retry", provider=PROVIDER, code="contended"
    )
