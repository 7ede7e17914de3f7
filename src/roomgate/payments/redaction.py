"""Keep secrets, card tokens and payment keys out of logs and exception messages."""

from __future__ import annotations

import re

# Vendor secrets and card/payment-method tokens, wherever a vendor message echoes them back.
_SENSITIVE = re.compile(
    r"\b(?:(?:test|live)_g?sk_|(?:sk|rk|pk)_(?:test|live)_|tok_|pm_|card_|src_)[A-Za-z0-9_*]+"
)


def mask(value: str | None) -> str:
    """A loggable stand-in for an identifier: its last four characters only (`…Xy9Z`)."""
    if not value:
        return "<none>"
    return "…" + value[-4:] if len(value) > 8 else "…"


def scrub(text: str, *secrets: str | None) -> str:
    """Remove the given values and anything that looks like a vendor secret or card token."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    return _SENSITIVE.sub("<redacted>", text)
