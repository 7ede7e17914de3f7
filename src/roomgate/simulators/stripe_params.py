"""Stripe's form parameters (`metadata[k]=v`, `expand[]=x`) and the validation errors they raise."""

from __future__ import annotations

import re
from typing import Any

from roomgate.simulators.base import Answer
from roomgate.simulators.stripe_objects import stripe_error

_NESTED = re.compile(r"([A-Za-z0-9_]+)\[([^\]]*)\]")


class InvalidRequest(Exception):
    """A parameter failed validation or names no object: answered, never stored under an Idempotency-Key."""

    def __init__(
        self, message: str, *, param: str | None = None, code: str = "parameter_invalid", status: int = 400
    ) -> None:
        super().__init__(message)
        self.answer: Answer = (status, stripe_error("invalid_request_error", message, code=code, param=param))


def decode_params(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Flat form pairs to Stripe's shapes: `a[b]=c` → dict, `a[]=c` / `a[0]=c` → list."""
    params: dict[str, Any] = {}
    for name, value in pairs:
        match = _NESTED.fullmatch(name)
        if match is None:
            params[name] = value
            continue
        base, sub = match.groups()
        container = params.setdefault(base, [] if sub == "" or sub.isdigit() else {})
        if isinstance(container, list) and (sub == "" or sub.isdigit()):
            container.append(value)
        elif isinstance(container, dict) and not (sub == "" or sub.isdigit()):
            container[sub] = value
        else:
            raise InvalidRequest(f"Invalid array/hash mix for parameter {base}.", param=base)
    return params


def int_param(params: dict[str, Any], name: str, *, required: bool = False) -> int | None:
    """A positive integer parameter, or None when optional and absent."""
    raw = params.get(name)
    if raw is None:
        if required:
            raise InvalidRequest(f"Missing required param: {name}.", param=name, code="parameter_missing")
        return None
    if not isinstance(raw, str) or not raw.isdigit() or int(raw) <= 0:
        raise InvalidRequest(
            f"Invalid positive integer: {name}", param=name, code="parameter_invalid_integer"
        )
    return int(raw)


def choice_param(
    params: dict[str, Any], name: str, choices: tuple[str, ...], default: str | None
) -> str | None:
    """A parameter that must be one of `choices`."""
    raw = params.get(name, default)
    if raw is not None and raw not in choices:
        raise InvalidRequest(f"Invalid {name}: must be one of {', '.join(choices)}", param=name)
    return raw if raw is None else str(raw)


def list_param(params: dict[str, Any], name: str) -> list[str]:
    raw = params.get(name) or []
    return [str(item) for item in raw] if isinstance(raw, list) else [str(raw)]
