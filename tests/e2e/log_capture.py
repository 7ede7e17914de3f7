"""The product's own JSON log lines as a test reads them (stdout, through `configure_logging`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from roomgate.logging import configure_logging


@contextmanager
def product_logging() -> Iterator[None]:
    """Log as `roomgate serve` does (JSON lines on stdout: read them with capsys); pytest's own
    handlers come back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("INFO", "json")
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]
