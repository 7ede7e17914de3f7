"""Build any simulator by vendor name (CLI `roomgate simulate`, the demo, tests)."""

from __future__ import annotations

import importlib
from typing import Any

SIMULATORS = ("cloudbeds", "mews", "toss", "stripe")


def create_simulator(vendor: str, *, seed: int = 0, api_key: str | None = None, clock: Any = None) -> Any:
    """The vendor's simulator as an ASGI app; `api_key` restricts which key/secret it accepts."""
    if vendor not in SIMULATORS:
        raise ValueError(f"unknown simulator {vendor!r}; choose one of {', '.join(SIMULATORS)}")
    module = importlib.import_module(f"roomgate.simulators.{vendor}")
    key_arg = "api_key" if vendor in {"cloudbeds", "mews"} else "secret_key"
    return module.create_app(seed=seed, clock=clock, **{key_arg: api_key})
