"""Retry with exponential backoff and jitter (spec: 3 retries, 500 ms → 1 s → 2 s), under a deadline.

Only errors marked `retryable` are retried, never `PMSUnavailable` (an open breaker). A vendor's
`Retry-After` is honoured: the wait is never shorter than it. The deadline bounds the whole
sequence: no sleep or attempt starts that would end past it (one attempt in progress is bounded by
the connector's own HTTP timeout). Sleeping goes through the injected clock.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import structlog

from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.pms.errors import PMSError, PMSRateLimited, PMSUnavailable

if TYPE_CHECKING:
    from roomgate.config import Settings

T = TypeVar("T")

log = structlog.get_logger(__name__)


def is_retryable(error: BaseException) -> bool:
    """A `PMSError` marked retryable, and not a refusal by our own circuit breaker."""
    return isinstance(error, PMSError) and error.retryable and not isinstance(error, PMSUnavailable)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    retries: int = 3
    base_delay_ms: int = 500
    deadline_seconds: float = 8.0
    jitter_ratio: float = 0.25  # each wait is its nominal value plus up to this fraction of it

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """`retry_attempts`, `retry_base_delay_ms`, `retry_deadline_seconds`."""
        return cls(
            retries=settings.retry_attempts,
            base_delay_ms=settings.retry_base_delay_ms,
            deadline_seconds=settings.retry_deadline_seconds,
        )

    def backoff_seconds(self, retry_index: int, rng: random.Random) -> float:
        """Nominal `base · 2^i` plus jitter in [0, jitter_ratio · nominal], so callers don't retry in step."""
        nominal = self.base_delay_ms * (2**retry_index) / 1000
        return float(nominal * (1 + rng.uniform(0, self.jitter_ratio)))

    def delay_seconds(self, retry_index: int, error: BaseException, rng: random.Random) -> float:
        """The backoff, or the vendor's `Retry-After` when that is longer."""
        delay = self.backoff_seconds(retry_index, rng)
        if isinstance(error, PMSRateLimited) and error.retry_after is not None:
            delay = max(delay, error.retry_after)
        return delay

    async def run(
        self,
        operation: Callable[[], Awaitable[T]],
        *,
        clock: Clock = SYSTEM_CLOCK,
        rng: random.Random | None = None,
        retry_if: Callable[[BaseException], bool] = is_retryable,
    ) -> T:
        """Call `operation` until it succeeds, fails for good, runs out of retries or of time."""
        rng = rng or random.Random()
        deadline = clock.monotonic() + self.deadline_seconds
        retry_index = 0
        while True:
            try:
                return await operation()
            except Exception as error:
                if retry_index >= self.retries or not retry_if(error):
                    raise
                delay = self.delay_seconds(retry_index, error, rng)
                if clock.monotonic() + delay >= deadline:
                    raise
                log.info(
                    "pms_retry", attempt=retry_index + 2, delay_s=round(delay, 3), error=type(error).__name__
                )
                await clock.sleep(delay)
                retry_index += 1
