"""Cache lifetimes in milliseconds, with jitter so a hotel's keys don't all expire together."""

from __future__ import annotations

import random


def jittered_ms(seconds: float, ratio: float, rng: random.Random) -> int:
    """`seconds` ± up to `ratio` of itself, in whole milliseconds (at least 1)."""
    spread = seconds * ratio
    return max(1, round((seconds + rng.uniform(-spread, spread)) * 1000))


def to_ms(seconds: float) -> int:
    """Epoch or duration seconds as whole milliseconds (what the Lua scripts take)."""
    return round(seconds * 1000)
