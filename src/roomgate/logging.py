"""Structured JSON logs (structlog) with a redaction step: no secrets, card tokens or guest contacts."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

REDACTED = "[redacted]"

# Keys whose values are never logged, compared case-insensitively with `-` and `_` removed.
_SENSITIVE_KEYS = {
    "apikey",
    "xapikey",
    "authorization",
    "secret",
    "secretkey",
    "password",
    "token",
    "accesstoken",
    "clienttoken",
    "cardtoken",
    "card",
    "cardnumber",
    "paymentkey",
    "paymentmethod",
    "email",
    "guestemail",
    "phone",
    "guestphone",
    "firstname",
    "lastname",
    "guestfirstname",
    "guestlastname",
    "guestinfo",
    "guest",
    "cookie",
    "adminToken".lower(),
    "paymentapikey",
    "webhooksecret",
    "signature",
    "xpmssignature",
}
# Values that look like secrets or contact details anywhere in a message.
_PATTERNS = [
    (
        re.compile(
            r"\b(cbat|sk_live|sk_test|live_sk|test_sk|live_gsk|test_gsk|whsec|tok|pm)_[A-Za-z0-9_]{4,}"
        ),
        "[token]",
    ),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[email]"),
    (re.compile(r"\+\d{1,3}[\s-]?\d{1,4}[\s-]?\d{3,4}[\s-]?\d{4}\b"), "[phone]"),
    (re.compile(r"\b01[016789]-?\d{3,4}-?\d{4}\b"), "[phone]"),
]


def _normalise(key: str) -> str:
    return key.lower().replace("-", "").replace("_", "")


def scrub_text(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact(value: Any, key: str | None = None) -> Any:
    """Recursively mask sensitive keys and token/e-mail/phone-looking strings."""
    if key is not None and _normalise(key) in _SENSITIVE_KEYS:
        return REDACTED
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value


def redaction_processor(
    _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key in {"timestamp", "level", "logger"}:
            continue
        event_dict[key] = redact(event_dict[key], key)
    return event_dict


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """JSON to stdout for structlog and stdlib (uvicorn, sqlalchemy) alike, redacted."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redaction_processor,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=use_colour(sys.stdout))
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(foreign_pre_chain=shared, processor=renderer))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "httpx", "httpx2", "httpcore", "httpcore2", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def use_colour(stream: Any) -> bool:
    """ANSI colours only for a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
