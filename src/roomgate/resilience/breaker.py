"""Circuit breaker per (vendor, hotel): refuses calls to a PMS that keeps failing.

Which outcomes count: only vendor-side failures (`PMSError.vendor_side`: timeouts, 5xx, connection
errors, 429) count as failures. Any other `PMSError` means the vendor answered (sold out, bad
request, not found, and authentication errors too: a revoked key is the hotel's configuration
problem, not an outage, and opening the breaker would only hide it), so it counts as a success.
An exception that is not a `PMSError` (a bug, a cancelled task) or a refusal before the call
(rate limiter) is neutral: the call's slot is released and nothing is counted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog

from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.pms.errors import PMSError, PMSUnavailable
from roomgate.resilience.breaker_state import (
    BreakerConfig,
    BreakerKey,
    BreakerState,
    Decision,
    Op,
    settle_time,
)
from roomgate.resilience.breaker_store import BreakerStore
from roomgate.resilience.metrics import BREAKER_STATE, BREAKER_TRANSITIONS

T = TypeVar("T")
StateListener = Callable[[BreakerKey, BreakerState, BreakerState], Awaitable[None]]

log = structlog.get_logger(__name__)


class BreakerBusy(PMSError):
    """Refused locally, before any vendor call: the breaker's failure budget is taken by calls in flight.

    Retryable: a moment later those calls have settled and the breaker is either closed again or open.
    """

    vendor_side = False
    retryable = True


@dataclass(frozen=True, slots=True)
class BreakerStatus:
    vendor: str
    hotel_id: str
    state: BreakerState
    failures: int
    opened_at: float | None  # epoch seconds of the last opening
    retry_at: float | None  # epoch seconds when an OPEN breaker admits its first probe

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for the admin status endpoint."""
        return {
            "vendor": self.vendor,
            "hotelId": self.hotel_id,
            "state": self.state.value,
            "failures": self.failures,
            "openedAt": self.opened_at,
            "retryAt": self.retry_at,
        }


def classify(error: BaseException | None) -> Op:
    """How a call's outcome counts for the breaker (see the module docstring)."""
    if error is None:
        return Op.SUCCESS
    if isinstance(error, PMSError):
        return Op.FAILURE if error.vendor_side else Op.SUCCESS
    return Op.RELEASE


class CircuitBreaker:
    def __init__(
        self, store: BreakerStore, config: BreakerConfig | None = None, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self.store = store
        self.config = config or BreakerConfig()
        self._clock = clock
        self._listeners: list[StateListener] = []

    def on_state_change(self, listener: StateListener) -> None:
        """Call `listener(key, before, after)` after every transition this process makes happen."""
        self._listeners.append(listener)

    async def call(
        self,
        key: BreakerKey,
        operation: Callable[[], Awaitable[T]],
        *,
        before: Callable[[], Awaitable[object]] | None = None,
    ) -> T:
        """Run `operation` if admitted; `before` runs after admission (its failures count for nothing)."""
        generation = await self._admit(key)
        try:
            if before is not None:
                await before()
        except BaseException:
            await self._apply(key, Op.RELEASE, generation)
            raise
        try:
            result = await operation()
        except BaseException as error:
            await self._apply(key, classify(error), generation)
            raise
        await self._apply(key, Op.SUCCESS, generation)
        return result

    async def state(self, key: BreakerKey) -> BreakerState:
        """The state now (an expired OPEN reads as HALF_OPEN), without changing anything."""
        return (await self.status(key)).state

    async def status(self, key: BreakerKey) -> BreakerStatus:
        """State plus the numbers an operator wants to see."""
        stored = await self.store.snapshot(key)
        if stored is None:
            return BreakerStatus(key.vendor, key.hotel_id, BreakerState.CLOSED, 0, None, None)
        now = settle_time(stored, self._now_ms(), self.config)
        opened_at = now.opened_at_ms / 1000 if now.opened_at_ms else None
        retry_at = (now.opened_at_ms + self.config.open_ms) / 1000 if now.state is BreakerState.OPEN else None
        return BreakerStatus(key.vendor, key.hotel_id, now.state, now.failures, opened_at, retry_at)

    async def all_states(self) -> list[BreakerStatus]:
        """Every known breaker, sorted by hotel then vendor (admin status endpoint)."""
        keys = sorted(await self.store.keys(), key=lambda k: (k.hotel_id, k.vendor))
        return [await self.status(key) for key in keys]

    async def _admit(self, key: BreakerKey) -> int:
        decision = await self._apply(key, Op.ADMIT, 0)
        if decision.allowed:
            return decision.generation
        if decision.after is BreakerState.CLOSED:
            raise BreakerBusy("waiting for calls in flight", vendor=key.vendor, hotel_id=key.hotel_id)
        seconds = decision.retry_after_ms / 1000
        message = (
            f"circuit {decision.after.value}; next probe in {seconds:.0f}s"
            if seconds
            else (f"circuit {decision.after.value}; a probe is in flight")
        )
        raise PMSUnavailable(message, vendor=key.vendor, hotel_id=key.hotel_id, status=503)

    async def _apply(self, key: BreakerKey, op: Op, generation: int) -> Decision:
        decision = await self.store.apply(key, op, generation, self._now_ms(), self.config)
        BREAKER_STATE.labels(vendor=key.vendor, hotel=key.hotel_id).set(decision.after.gauge_value)
        if decision.changed:
            await self._announce(key, decision)
        return decision

    async def _announce(self, key: BreakerKey, decision: Decision) -> None:
        BREAKER_TRANSITIONS.labels(
            vendor=key.vendor,
            hotel=key.hotel_id,
            from_state=decision.before.value,
            to_state=decision.after.value,
        ).inc()
        log.warning(
            "breaker_transition",
            vendor=key.vendor,
            hotel_id=key.hotel_id,
            before=decision.before.value,
            after=decision.after.value,
        )
        for listener in self._listeners:
            try:
                await listener(key, decision.before, decision.after)
            except Exception:  # a failing follower (degraded mode, alerts) never breaks the call
                log.exception("breaker_listener_failed", vendor=key.vendor, hotel_id=key.hotel_id)

    def _now_ms(self) -> int:
        return round(self._clock.now() * 1000)
