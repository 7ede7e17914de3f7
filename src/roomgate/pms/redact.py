"""Vendor error text made safe for exception messages: no keys, e-mails, phone or card numbers."""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_MESSAGE_CHARS = 200

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# International or Korean-style phone numbers: a plus, or digit groups joined by dashes/spaces.
_PHONE = re.compile(r"\+\d[\d\s().-]{6,}\d|\b\d{2,4}[-\s]\d{3,4}[-\s]\d{4}\b")
_LONG_DIGITS = re.compile(r"\b\d{13,19}\b")
_TOKEN = re.compile(r"\bcbat_[A-Za-z0-9_-]+")


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _mask_card(match: re.Match[str]) -> str:
    # Reservation ids are long digit runs too; only card-number-looking ones (Luhn-valid) are masked.
    return "[number]" if _luhn_valid(match.group(0)) else match.group(0)


def safe_text(text: object, secrets: Iterable[str | None] = ()) -> str:
    """`text` with the given secrets, tokens, e-mails, phones and card numbers masked, and shortened."""
    result = str(text)
    for secret in secrets:
        if secret:
            result = result.replace(secret, "[secret]")
    result = _TOKEN.sub("[secret]", result)
    result = _EMAIL.sub("[email]", result)
    result = _PHONE.sub("[phone]", result)
    result = _LONG_DIGITS.sub(_mask_card, result)
    if len(result) > MAX_MESSAGE_CHARS:
        result = result[: MAX_MESSAGE_CHARS - 1] + "…"
    return result
