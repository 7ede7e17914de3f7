"""A stored PMS webhook as the consumers see it, and the states of its inbox row."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class InboxStatus(StrEnum):
    RECEIVED = "received"  # stored, enqueued (or about to be)
    PROCESSING = "processing"  # claimed by a consumer until `locked_until`
    RETRY = "retry"  # failed; tried again from `next_attempt_at`
    PROCESSED = "processed"
    DEAD = "dead"  # failed `max_attempts` times: an operator looks at it


@dataclass(frozen=True, slots=True)
class InboxEntry:
    row_id: int
    vendor: str
    event_id: str
    event_type: str
    hotel_id: str | None
    payload: dict[str, Any]
    attempts: int
