"""Which secret keys each payment provider issues, and which of them an environment may use.

Live keys move real money, so they are accepted only with `ROOMGATE_ENV=production`; test keys
move none, so production refuses them. Pure functions on strings: settings validation uses them
before anything else is built, and never echoes a key.
"""

from __future__ import annotations

from typing import Literal

KeyKind = Literal["test", "live"]

# Toss: API secret keys (`test_sk_`/`live_sk_`) and payment-widget secret keys (`test_gsk_`/`live_gsk_`).
# Stripe: secret keys (`sk_test_`/`sk_live_`) and restricted keys (`rk_test_`/`rk_live_`).
_PREFIXES: dict[str, dict[KeyKind, tuple[str, ...]]] = {
    "toss": {"test": ("test_sk_", "test_gsk_"), "live": ("live_sk_", "live_gsk_")},
    "stripe": {"test": ("sk_test_", "rk_test_"), "live": ("sk_live_", "rk_live_")},
}
_LABELS = {"toss": "Toss", "stripe": "Stripe"}


def key_kind(provider: str, key: str) -> KeyKind | None:
    """`test` or `live` for a key the provider issues, None for anything else (another provider's key)."""
    for kind, prefixes in _PREFIXES.get(provider, {}).items():
        if key.startswith(prefixes):
            return kind
    return None


def key_problem(provider: str, key: str, *, production: bool) -> str | None:
    """Why `key` may not be used for `provider` in this environment, or None if it may."""
    if provider not in _PREFIXES:
        return None
    wanted: KeyKind = "live" if production else "test"
    expected = " or ".join(f"{p}…" for p in _PREFIXES[provider][wanted])
    label = _LABELS[provider]
    kind = key_kind(provider, key)
    if kind is None:
        return f"not a {label} secret key (expected {expected})"
    if kind == wanted:
        return None
    if production:
        return f"a {label} test key is refused when ROOMGATE_ENV=production (expected {expected})"
    return f"a {label} live key is refused unless ROOMGATE_ENV=production (expected {expected})"
