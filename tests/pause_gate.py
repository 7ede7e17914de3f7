"""The test's side of the `<point>=pause:<directory>` fault point (roomgate.services.faults.pause_at).

Runs (in any process) that reach the point leave an `.arrived` file and wait for the gate; the test
waits, with a deadline, until the runs it wants are there, then opens the gate. Nothing waits for time
to pass: every wait is for a condition.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

DEADLINE_SECONDS = 60.0
POLL_SECONDS = 0.01


def wait_until(condition: Callable[[], bool], what: str, deadline_seconds: float = DEADLINE_SECONDS) -> None:
    """Poll `condition` until it holds; fail (never pass) after the deadline."""
    give_up = time.monotonic() + deadline_seconds
    while not condition():
        if time.monotonic() > give_up:
            raise AssertionError(f"never happened within {deadline_seconds:g}s: {what}")
        time.sleep(POLL_SECONDS)


class PauseGate:
    def __init__(self, directory: Path, point: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.point = point

    @property
    def fault(self) -> str:
        """The ROOMGATE_DEBUG_FAULTS item that pauses runs at this gate."""
        return f"{self.point}=pause:{self.directory}"

    def arrived(self) -> int:
        """How many runs have reached the point so far (waiting, or let through)."""
        return len(list(self.directory.glob(f"{self.point}-*.arrived")))

    def wait_arrived(self, count: int) -> None:
        wait_until(lambda: self.arrived() >= count, f"{count} run(s) at {self.point}")

    def open(self) -> None:
        (self.directory / f"{self.point}.go").touch()

    def close(self) -> None:
        (self.directory / f"{self.point}.go").unlink(missing_ok=True)
