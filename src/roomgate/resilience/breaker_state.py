"""The circuit breaker's state machine as a pure function, shared by the stores.

`cache/lua/breaker.lua` is the same machine for Redis; tests run both on the same operation
sequences, so they cannot drift apart.

Rules (all counters belong to one *generation*; every state change starts a new one, and an
outcome reported for an older generation is ignored, so a slow call admitted before the breaker
opened can neither close it nor re-open it):
- CLOSED admits calls. Once a vendor-side failure has been seen, it admits a call only while
  `failures + calls in flight < failure_threshold` (the failure budget): concurrent processes then
  cannot overshoot the threshold, and a dead PMS costs exactly `failure_threshold` failed calls.
  A call refused by the budget gets a retryable `BreakerBusy`, not a vendor call.
- `failure_threshold` consecutive failures open it; a success resets the count.
- OPEN refuses everything for `open_ms`, then (lazily, on the next operation) becomes HALF_OPEN.
- HALF_OPEN admits `half_open_probes` calls at a time; `success_threshold` successes close it,
  one failure re-opens it.
- A call that never reports (its process died) is forgotten `lost_call_ms` after the last admission.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from roomgate.config import Settings


class BreakerState(StrEnum):
    CLOSED = "CLOSED"
    OPEN = "OPEN"
    HALF_OPEN = "HALF_OPEN"

    @property
    def gauge_value(self) -> int:
        return {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}[self]


class Op(StrEnum):
    ADMIT = "admit"
    SUCCESS = "success"  # the vendor answered (even with "sold out" or "not found")
    FAILURE = "failure"  # a vendor-side failure: timeout, 5xx, connection error, 429
    RELEASE = "release"  # the call never reached the vendor (cancelled, local refusal)


@dataclass(frozen=True, slots=True)
class BreakerKey:
    vendor: str
    hotel_id: str

    @property
    def redis_key(self) -> str:
        """`breaker:{hotel_123}:cloudbeds` — the hotel's hash tag keeps it on the hotel's shard."""
        return f"breaker:{{{self.hotel_id}}}:{self.vendor}"

    @classmethod
    def from_redis_key(cls, key: str) -> BreakerKey | None:
        prefix, _, rest = key.partition(":{")
        hotel_id, sep, vendor = rest.rpartition("}:")
        if prefix != "breaker" or not sep or not hotel_id or not vendor:
            return None
        return cls(vendor=vendor, hotel_id=hotel_id)


@dataclass(frozen=True, slots=True)
class BreakerConfig:
    failure_threshold: int = 5
    success_threshold: int = 2
    open_ms: int = 60_000
    half_open_probes: int = 1
    lost_call_ms: int = 30_000

    @classmethod
    def from_settings(cls, settings: Settings) -> BreakerConfig:
        """Thresholds from settings; a call is presumed lost after twice the PMS timeout."""
        return cls(
            failure_threshold=settings.breaker_failure_threshold,
            success_threshold=settings.breaker_success_threshold,
            open_ms=int(settings.breaker_open_seconds * 1000),
            lost_call_ms=int(settings.pms_timeout_seconds * 2000),
        )


@dataclass(frozen=True, slots=True)
class Snapshot:
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    successes: int = 0
    in_flight: int = 0
    opened_at_ms: int = 0
    deadline_ms: int = 0  # unsettled calls admitted before this are presumed lost after it
    generation: int = 0


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    generation: int
    before: BreakerState
    after: BreakerState
    retry_after_ms: int = 0

    @property
    def changed(self) -> bool:
        return self.before is not self.after


def _new_generation(s: Snapshot, state: BreakerState, now_ms: int) -> Snapshot:
    opened = now_ms if state is BreakerState.OPEN else s.opened_at_ms
    return Snapshot(state=state, opened_at_ms=opened, generation=s.generation + 1)


def settle_time(s: Snapshot, now_ms: int, config: BreakerConfig) -> Snapshot:
    """Apply what time alone does: OPEN expires into HALF_OPEN, lost calls are forgotten."""
    if s.state is BreakerState.OPEN and now_ms >= s.opened_at_ms + config.open_ms:
        s = _new_generation(s, BreakerState.HALF_OPEN, now_ms)
    if s.in_flight > 0 and now_ms >= s.deadline_ms:
        s = replace(s, in_flight=0)
    return s


def step(
    s: Snapshot, op: Op, generation: int, now_ms: int, config: BreakerConfig
) -> tuple[Snapshot, Decision]:
    """One atomic breaker operation; `generation` is the admission's (ignored for ADMIT)."""
    before = s.state
    s = settle_time(s, now_ms, config)
    allowed, retry_after = True, 0
    if op is Op.ADMIT:
        s, allowed, retry_after = _admit(s, now_ms, config)
    elif generation == s.generation and s.state is not BreakerState.OPEN:
        s = _settle(s, op, now_ms, config)
    return s, Decision(allowed, s.generation, before, s.state, retry_after)


def _admit(s: Snapshot, now_ms: int, config: BreakerConfig) -> tuple[Snapshot, bool, int]:
    if s.state is BreakerState.OPEN:
        return s, False, s.opened_at_ms + config.open_ms - now_ms
    if s.state is BreakerState.HALF_OPEN:
        room = s.in_flight < config.half_open_probes
    else:
        room = s.failures == 0 or s.failures + s.in_flight < config.failure_threshold
    if not room:
        return s, False, 0
    return replace(s, in_flight=s.in_flight + 1, deadline_ms=now_ms + config.lost_call_ms), True, 0


def _settle(s: Snapshot, op: Op, now_ms: int, config: BreakerConfig) -> Snapshot:
    s = replace(s, in_flight=max(s.in_flight - 1, 0))
    if op is Op.RELEASE:
        return s
    if s.state is BreakerState.HALF_OPEN:
        if op is Op.FAILURE:
            return _new_generation(s, BreakerState.OPEN, now_ms)
        s = replace(s, successes=s.successes + 1)
        return (
            _new_generation(s, BreakerState.CLOSED, now_ms) if s.successes >= config.success_threshold else s
        )
    if op is Op.SUCCESS:
        return replace(s, failures=0)
    s = replace(s, failures=s.failures + 1)
    return _new_generation(s, BreakerState.OPEN, now_ms) if s.failures >= config.failure_threshold else s
