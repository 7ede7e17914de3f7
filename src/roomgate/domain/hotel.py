"""A hotel roomgate sells: which PMS it lives in and how it is kept in sync (pure data, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DEFAULT_POLLING_INTERVAL_SECONDS = 300

HotelSource = Literal["env", "database"]


@dataclass(frozen=True, slots=True)
class HotelConfig:
    """One hotel at exactly one vendor (a hotel never belongs to two PMSs at once)."""

    hotel_id: str
    vendor: str
    enabled: bool = True
    polling_enabled: bool = True
    polling_interval_seconds: int = DEFAULT_POLLING_INTERVAL_SECONDS
    source: HotelSource = "env"
