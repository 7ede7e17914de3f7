"""Idempotency-Key claims: what a request learns when it asks to own a key (the store is an adapter)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class ClaimOutcome(StrEnum):
    NEW = "new"  # this request owns the key: do the work, then `complete`
    REPLAY = "replay"  # finished before with the same body: answer with the stored response
    BODY_MISMATCH = "body_mismatch"  # same key, different body
    IN_FLIGHT = "in_flight"  # the first request with this key is still running


@dataclass(frozen=True, slots=True)
class Claim:
    outcome: ClaimOutcome
    status_code: int | None = None
    body: dict[str, Any] | None = None
    booking_id: str | None = None
    # NEW only: this claim's fencing token (its lease end, whole seconds), for `forget`.
    token: datetime | None = None


def request_fingerprint(payload: Any) -> str:
    """A stable hash of a JSON-able request body (key order does not matter)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
