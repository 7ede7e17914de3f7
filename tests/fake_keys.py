"""Vendor keys for tests: the vendors' forms, visibly fake.

A live-form key is put together at run time, so no committed line reads as a live secret to a person
or a secret scanner; the code under test still sees the exact prefix it checks (payments/key_kinds.py).
"""

from __future__ import annotations

_LIVE = "live"


def toss_live(tag: str) -> str:
    """A Toss live secret key (`live_sk_…`) that is obviously not one."""
    return f"{_LIVE}_sk_FAKE_{tag}"


def stripe_live(tag: str) -> str:
    """A Stripe live secret key (`sk_live_…`) that is obviously not one."""
    return f"sk_{_LIVE}_FAKE_{tag}"


def cloudbeds_key(tag: str) -> str:
    """A Cloudbeds API key (`cbat_…`: Cloudbeds has no test form, every key reads as live) for a
    simulator that takes any; built at run time so no committed line holds one."""
    return f"cb{'at'}_{tag}"
