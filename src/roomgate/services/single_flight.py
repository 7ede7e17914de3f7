"""Per-process single flight: concurrent calls with the same key share one in-flight run."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """`run(key, fn)` starts `fn` once per key; callers arriving meanwhile await the same result."""

    def __init__(self) -> None:
        self._inflight: dict[Hashable, asyncio.Task[T]] = {}
        self.shared = 0  # calls that awaited a run another caller had started

    def in_flight(self, key: Hashable) -> bool:
        """A run for `key` is under way."""
        return key in self._inflight

    async def run(self, key: Hashable, fn: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """The result (or exception) of the one run for `key`, starting it if none is under way."""
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(fn())
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        else:
            self.shared += 1
        # shield: one caller giving up (cancelled) must not cancel the run the others wait for
        return await asyncio.shield(task)

    def _finished(self, key: Hashable, task: asyncio.Task[T]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()  # mark as retrieved even when every waiter has gone
