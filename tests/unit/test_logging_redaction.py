import json
import logging

import pytest

from roomgate.logging import configure_logging, get_logger, redact
from tests.fake_keys import cloudbeds_key


def test_sensitive_keys_are_masked_at_any_depth() -> None:
    event = {
        "payment": {"cardToken": "tok_visa_1234", "amount": 250000},
        "guestInfo": {"email": "a@b.co"},
        "headers": {"x-api-key": cloudbeds_key("secret"), "Authorization": "Basic abc"},
    }
    masked = redact(event)
    text = json.dumps(masked)
    for secret in ("tok_visa_1234", "a@b.co", cloudbeds_key("secret"), "Basic abc"):
        assert secret not in text
    assert masked["payment"]["amount"] == 250000


def test_secrets_inside_free_text_are_scrubbed_but_dates_survive() -> None:
    text = redact(
        f"key {cloudbeds_key('fake_key_42')} guest hong@example.com +82-10-1234-5678 stay 2025-11-01"
    )
    assert cloudbeds_key("fake") not in text and "hong@example.com" not in text and "1234-5678" not in text
    assert "2025-11-01" in text


def test_log_lines_are_json_and_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    # given JSON logging
    configure_logging("INFO", "json")
    # when something logs a card token and an e-mail
    get_logger("t").info(
        "checkout", cardToken="tok_visa_9999", note="mail hong@example.com", hotel_id="hotel_123"
    )
    logging.getLogger("plain").warning("PAYMENT_API_KEY=test_sk_FAKEredactionProbe000000000")
    # then each line is JSON and neither secret nor contact appears
    out = capsys.readouterr().out.strip().splitlines()
    records = [json.loads(line) for line in out]
    assert records[0]["hotel_id"] == "hotel_123"
    joined = "\n".join(out)
    assert (
        "tok_visa_9999" not in joined
        and "hong@example.com" not in joined
        and "test_sk_FAKEredaction" not in joined
    )
