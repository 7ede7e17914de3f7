"""The vendors' own documented example bodies parse into the port's errors and statuses."""

from __future__ import annotations

from roomgate.payments.base import PaymentDeclined, PaymentNotFound, PaymentStatus
from roomgate.payments.stripe_mapping import stripe_error
from roomgate.payments.toss import _failure_code
from roomgate.payments.toss_mapping import toss_error, toss_status
from tests.contract.payments_harness import fixture


def test_toss_documented_not_found_error() -> None:
    error = toss_error(404, fixture("toss_error_not_found.json"), operation="get_status")

    assert isinstance(error, PaymentNotFound)
    assert error.code == "NOT_FOUND_PAYMENT"
    assert "존재하지 않는 결제 입니다." in str(error)


def test_toss_documented_failed_payment_reads_as_failed_with_its_failure_code() -> None:
    payment = fixture("toss_payment_aborted.json")
    assert toss_status(payment) is PaymentStatus.FAILED
    # the decline we raise carries the vendor's failure code, not the bare status
    assert _failure_code(payment) == "COMMON_ERROR"


def test_toss_documented_expired_payment_reads_as_voided() -> None:
    # an authentication nobody approved: no money moved
    assert toss_status(fixture("toss_payment_expired.json")) is PaymentStatus.VOIDED


def test_toss_documented_webhook_payload_carries_a_payment_we_can_read() -> None:
    event = fixture("toss_webhook_status_changed.json")
    assert toss_status(event["data"]) is PaymentStatus.CAPTURED


def test_stripe_documented_card_decline() -> None:
    error = stripe_error(402, fixture("stripe_error_card_declined.json"), operation="authorize")

    assert isinstance(error, PaymentDeclined)
    assert error.code == "insufficient_funds"
    assert "Your card has insufficient funds." in str(error)


def test_stripe_documented_idempotency_error() -> None:
    error = stripe_error(400, fixture("stripe_error_idempotency.json"), operation="authorize")

    assert isinstance(error, PaymentDeclined)
    assert error.code == "idempotency_error"
    assert not error.retryable
