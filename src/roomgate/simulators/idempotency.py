"""Remembered answers per Idempotency-Key, for the payment simulators (Toss and Stripe differ in scope)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from roomgate.clock import Clock


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    status: int
    body: Any
    fingerprint: str  # what the request asked for (Stripe refuses a replay that asks for something else)
    stored_at: float


class IdempotencyStore:
    """Answers kept for `retention_seconds` by the injected clock; keys in flight are tracked too."""

    def __init__(self, clock: Clock, retention_seconds: float) -> None:
        self._clock = clock
        self._retention = retention_seconds
        self._answers: dict[Hashable, StoredAnswer] = {}
        self._in_flight: set[Hashable] = set()

    def lookup(self, scope: Hashable) -> StoredAnswer | None:
        """The stored answer for `scope`, forgetting it once the retention window has passed."""
        answer = self._answers.get(scope)
        if answer is not None and self._clock.now() - answer.stored_at >= self._retention:
            del self._answers[scope]
            return None
        return answer

    def begin(self, scope: Hashable) -> bool:
        """Mark `scope` in flight; False when another request with it is still running."""
        if scope in self._in_flight:
            return False
        self._in_flight.add(scope)
        return True

    def finish(self, scope: Hashable, status: int, body: Any, fingerprint: str) -> None:
        """Store the answer and end the in-flight mark."""
        self._answers[scope] = StoredAnswer(status, body, fingerprint, self._clock.now())
        self._in_flight.discard(scope)

    def abandon(self, scope: Hashable) -> None:
        """End the in-flight mark without storing anything (the endpoint never ran)."""
        self._in_flight.discard(scope)

    def clear(self) -> None:
        self._answers.clear()
        self._in_flight.clear()
