"""Form encoding with PHP-style bracket arrays, as Cloudbeds expects (`rooms[0][roomTypeID]=...`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def php_form(fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Flatten nested mappings and lists into ordered `(name, value)` pairs; `None` values are left out."""
    pairs: list[tuple[str, str]] = []
    for name, value in fields.items():
        _flatten(name, value, pairs)
    return pairs


def _flatten(name: str, value: Any, pairs: list[tuple[str, str]]) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flatten(f"{name}[{key}]", item, pairs)
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        for index, item in enumerate(value):
            _flatten(f"{name}[{index}]", item, pairs)
    elif isinstance(value, bool):
        pairs.append((name, "true" if value else "false"))
    else:
        pairs.append((name, str(value)))
