"""PHP-bracket form encoding and the scrubbing of vendor text before it reaches an exception."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import unquote, urlencode

from roomgate.pms.phpform import php_form
from roomgate.pms.redact import MAX_MESSAGE_CHARS, safe_text
from roomgate.simulators.cloudbeds_views import decode_php_form
from tests.fake_keys import cloudbeds_key


def test_nested_lists_become_indexed_bracket_names() -> None:
    # given
    fields = {
        "rooms": [{"roomTypeID": "555", "quantity": 1}],
        "adults": [{"roomTypeID": "555", "quantity": 2}],
    }
    # when
    pairs = php_form(fields)
    # then
    assert pairs == [
        ("rooms[0][roomTypeID]", "555"),
        ("rooms[0][quantity]", "1"),
        ("adults[0][roomTypeID]", "555"),
        ("adults[0][quantity]", "2"),
    ]


def test_none_is_left_out_booleans_are_words_and_decimals_keep_their_digits() -> None:
    # given / when
    pairs = php_form({"guestPhone": None, "sendEmailConfirmation": False, "rate": Decimal("180.50"), "n": 0})
    # then
    assert pairs == [("sendEmailConfirmation", "false"), ("rate", "180.50"), ("n", "0")]


def test_the_simulator_reads_back_what_the_connector_writes() -> None:
    # given two independent implementations (connector encoder, simulator decoder)
    fields = {"a": "x y&z", "rooms": [{"roomTypeID": "1"}, {"roomTypeID": "2", "roomRateID": "r"}]}
    # when
    decoded = decode_php_form(urlencode(php_form(fields)).encode())
    # then
    assert decoded == fields
    assert "rooms[1][roomRateID]=r" in unquote(urlencode(php_form(fields)))


def test_secrets_emails_phones_and_card_numbers_are_masked() -> None:
    # given
    text = (
        f"key {cloudbeds_key('FAKE_redaction_abc123')} and secret-123 for ada@example.com, +82-10-1234-5678 / 010-1234-5678, "
        "card 4111111111111111, reservation 6954439751495"
    )
    # when
    safe = safe_text(text, secrets=["secret-123", None])
    # then
    for leaked in (
        cloudbeds_key("FAKE_redaction_abc123"),
        "secret-123",
        "ada@example.com",
        "1234-5678",
        "4111111111111111",
    ):
        assert leaked not in safe
    assert "6954439751495" in safe  # not Luhn-valid: a reservation id, kept for support
    assert safe.count("[phone]") == 2 and "[email]" in safe and "[number]" in safe


def test_long_vendor_messages_are_shortened() -> None:
    # given / when
    safe = safe_text("x" * 1000)
    # then
    assert len(safe) == MAX_MESSAGE_CHARS and safe.endswith("…")
