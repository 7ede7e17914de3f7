"""Vendor error bodies and statuses map onto the gateway port's errors and statuses; secrets are scrubbed."""

from __future__ import annotations

import pytest

from roomgate.payments.base import (
    PaymentConfigurationError,
    PaymentDeclined,
    PaymentError,
    PaymentNotFound,
    PaymentProviderError,
    PaymentStatus,
)
from roomgate.payments.redaction import mask, scrub
from roomgate.payments.stripe_mapping import stripe_error, stripe_status
from roomgate.payments.toss_mapping import toss_error, toss_status


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, "ALREADY_PROCESSED_PAYMENT", PaymentDeclined),
        (400, "INVALID_REQUEST", PaymentDeclined),
        (400, "BELOW_MINIMUM_AMOUNT", PaymentDeclined),
        (403, "REJECT_CARD_PAYMENT", PaymentDeclined),
        (403, "NOT_CANCELABLE_AMOUNT", PaymentDeclined),
        (404, "NOT_FOUND_PAYMENT_SESSION", PaymentDeclined),  # expired authentication / other order
        (404, "NOT_FOUND_PAYMENT", PaymentNotFound),
        (401, "UNAUTHORIZED_KEY", PaymentConfigurationError),
        (400, "INVALID_API_KEY", PaymentConfigurationError),
        (400, "PROVIDER_ERROR", PaymentProviderError),  # a 400 that means "try again later"
        (500, "FAILED_INTERNAL_SYSTEM_PROCESSING", PaymentProviderError),
        (503, "", PaymentProviderError),
        (429, "TOO_MANY_REQUESTS", PaymentProviderError),
    ],
)
def test_toss_error_codes_map_to_port_errors(status: int, code: str, expected: type[PaymentError]) -> None:
    # given a Toss `{code, message}` error body
    body = {"code": code, "message": "메시지"} if code else {}

    # when it is mapped
    error = toss_error(status, body, operation="capture")

    # then the class, retryability and code follow the table
    assert type(error) is expected
    assert error.provider == "toss"
    assert error.code == (code or "HTTP_503")
    assert error.retryable is (expected is PaymentProviderError)


@pytest.mark.parametrize(
    ("status", "payment_status", "voided_by_us", "expected"),
    [
        (200, "IN_PROGRESS", False, PaymentStatus.AUTHORIZED),
        (200, "IN_PROGRESS", True, PaymentStatus.VOIDED),
        (200, "DONE", False, PaymentStatus.CAPTURED),
        (200, "PARTIAL_CANCELED", False, PaymentStatus.CAPTURED),
        (200, "CANCELED", False, PaymentStatus.REFUNDED),
        (200, "EXPIRED", False, PaymentStatus.VOIDED),
        (200, "ABORTED", False, PaymentStatus.FAILED),
        (200, "READY", False, PaymentStatus.UNKNOWN),
        (200, "SOMETHING_NEW", False, PaymentStatus.UNKNOWN),
    ],
)
def test_toss_statuses_map_to_payment_status(
    status: int, payment_status: str, voided_by_us: bool, expected: PaymentStatus
) -> None:
    assert toss_status({"status": payment_status}, voided_by_us=voided_by_us) is expected


@pytest.mark.parametrize(
    ("status", "error", "expected", "code"),
    [
        (
            402,
            {"type": "card_error", "code": "card_declined", "decline_code": "generic_decline"},
            PaymentDeclined,
            "generic_decline",
        ),
        (402, {"type": "card_error", "code": "expired_card"}, PaymentDeclined, "expired_card"),
        (
            400,
            {"type": "invalid_request_error", "code": "payment_intent_unexpected_state"},
            PaymentDeclined,
            "payment_intent_unexpected_state",
        ),
        (400, {"type": "idempotency_error"}, PaymentDeclined, "idempotency_error"),
        (
            409,
            {"type": "idempotency_error", "code": "idempotency_key_in_use"},
            PaymentProviderError,
            "idempotency_key_in_use",
        ),
        (401, {"type": "invalid_request_error"}, PaymentConfigurationError, "invalid_request_error"),
        (
            403,
            {"type": "invalid_request_error", "code": "secret_key_required"},
            PaymentConfigurationError,
            "secret_key_required",
        ),
        (
            404,
            {"type": "invalid_request_error", "code": "resource_missing"},
            PaymentNotFound,
            "resource_missing",
        ),
        (429, {"type": "invalid_request_error", "code": "rate_limit"}, PaymentProviderError, "rate_limit"),
        (500, {"type": "api_error"}, PaymentProviderError, "api_error"),
        (502, {}, PaymentProviderError, "http_502"),
    ],
)
def test_stripe_error_bodies_map_to_port_errors(
    status: int, error: dict[str, str], expected: type[PaymentError], code: str
) -> None:
    # given a Stripe `{"error": {...}}` body
    # when it is mapped
    mapped = stripe_error(
        status, {"error": {**error, "message": "m"}} if error else {}, operation="authorize"
    )

    # then
    assert type(mapped) is expected
    assert mapped.code == code
    assert mapped.provider == "stripe"


@pytest.mark.parametrize(
    ("intent", "expected"),
    [
        ({"status": "requires_capture"}, PaymentStatus.AUTHORIZED),
        ({"status": "succeeded", "latest_charge": "ch_1"}, PaymentStatus.CAPTURED),
        (
            {"status": "succeeded", "latest_charge": {"refunded": False, "amount_refunded": 10}},
            PaymentStatus.CAPTURED,
        ),
        ({"status": "succeeded", "latest_charge": {"refunded": True}}, PaymentStatus.REFUNDED),
        ({"status": "canceled"}, PaymentStatus.VOIDED),
        ({"status": "requires_payment_method"}, PaymentStatus.FAILED),
        ({"status": "requires_action"}, PaymentStatus.UNKNOWN),
        ({"status": "processing"}, PaymentStatus.UNKNOWN),
    ],
)
def test_stripe_intent_statuses_map_to_payment_status(
    intent: dict[str, object], expected: PaymentStatus
) -> None:
    assert stripe_status(intent) is expected


def test_scrub_removes_given_values_and_anything_shaped_like_a_secret_or_token() -> None:
    # given a vendor message echoing a key, a card token and a payment method
    text = (
        "Invalid API Key provided: sk_test_********************abcd; No such PaymentMethod: 'pm_card_bogus'; "
        "token tok_visa_1234; key test_sk_FAKEredactionProbe000000000; paymentKey tgen_2026ABCDEF"
    )

    # when it is scrubbed with the payment key named explicitly
    cleaned = scrub(text, "tgen_2026ABCDEF")

    # then none of them survive, and the rest of the message does
    for leaked in ("sk_test_", "abcd", "pm_card_bogus", "tok_visa_1234", "test_sk_", "tgen_2026ABCDEF"):
        assert leaked not in cleaned
    assert "No such PaymentMethod" in cleaned


def test_mask_keeps_only_the_last_four_characters() -> None:
    assert mask("tgen_20261125abcdWXYZ") == "…WXYZ"
    assert mask("short") == "…"
    assert mask(None) == "<none>"


def test_error_messages_never_carry_the_secret_even_when_the_vendor_echoes_it() -> None:
    # given a vendor message that repeats our secret verbatim
    secret = "test_sk_FAKEredactionProbe000000000"
    body = {"code": "INVALID_API_KEY", "message": f"잘못된 시크릿키 연동 정보 입니다: {secret}"}

    # when
    error = toss_error(400, body, operation="authorize", secrets=(secret,))

    # then
    assert secret not in str(error)
    assert "INVALID_API_KEY" in str(error)
