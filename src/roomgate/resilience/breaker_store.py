"""Where breaker state lives: the store interface and the in-process store."""

from __future__ import annotations

from typing import Protocol

from roomgate.resilience.breaker_state import BreakerConfig, BreakerKey, Decision, Op, Snapshot, step


class BreakerStore(Protocol):
    """Applies breaker operations atomically; `RedisBreakerStore` shares them across processes."""

    async def apply(
        self, key: BreakerKey, op: Op, generation: int, now_ms: int, config: BreakerConfig
    ) -> Decision:
        """Run one operation (see `breaker_state.step`) and persist the result."""
        ...

    async def snapshot(self, key: BreakerKey) -> Snapshot | None:
        """The stored state as last written (time not applied), or None if never used."""
        ...

    async def keys(self) -> list[BreakerKey]:
        """Every breaker the store knows."""
        ...


class InMemoryBreakerStore:
    """One process's breakers; each `apply` runs without awaiting, so it is atomic on the event loop."""

    def __init__(self) -> None:
        self._states: dict[BreakerKey, Snapshot] = {}

    async def apply(
        self, key: BreakerKey, op: Op, generation: int, now_ms: int, config: BreakerConfig
    ) -> Decision:
        snapshot, decision = step(self._states.get(key, Snapshot()), op, generation, now_ms, config)
        self._states[key] = snapshot
        return decision

    async def snapshot(self, key: BreakerKey) -> Snapshot | None:
        return self._states.get(key)

    async def keys(self) -> list[BreakerKey]:
        return list(self._states)
