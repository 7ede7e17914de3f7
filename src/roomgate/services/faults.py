"""Debug fault points for crash and race tests.

`ROOMGATE_DEBUG_FAULTS="after_hold=sleep:2.0,after_pms_confirm=crash"`; `clock=ahead:<seconds>` runs
the process's clock that far ahead (a worker that finds every lease run out, without waiting for it).

`<point>=pause:<directory>` is a deterministic pause point that works across processes: each run that
reaches the point leaves a `<point>-<unique>.arrived` file in the directory and waits until a
`<point>.go` file exists there (the test opens the gate once the runs it wants are in place), for at
most `PAUSE_DEADLINE_SECONDS`.

Off unless the setting is present; settings refuse it when ROOMGATE_ENV=production.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from roomgate.clock import Clock

# after_pms_create: the PMS made the reservation (maybe tentative) and nothing is recorded or confirmed yet.
# after_price_check: the PMS total was read back and the decision recorded; nothing captured yet.
# webhook_after_claim: a consumer claimed an inbox row and has not acknowledged its stream message.
FAULT_POINTS = (
    "after_hold",
    "after_authorize",
    "after_pms_create",
    "after_pms_confirm",
    "after_price_check",
    "after_capture",
    "webhook_after_claim",
)
# Negative controls only: `hold=skip` runs the saga without the Redis hold, and `hold_check=skip`
# writes holds without their availability check, so a race test can show what the holds prevent.
# `polling_lease=skip` polls without the per-hotel lease, so the one-poller test can show two.
SKIPPABLE = ("hold", "hold_check", "polling_lease")
PAUSE_DEADLINE_SECONDS = 120.0
PAUSE_POLL_SECONDS = 0.01


class FaultSpecError(ValueError):
    pass


class PauseNeverReleased(RuntimeError):
    """A `pause:` point waited past its deadline: the test never opened the gate."""


async def pause_at(directory: Path, point: str) -> None:
    """Announce arrival at `point`, then wait (bounded poll) until the test opens the point's gate."""
    (directory / f"{point}-{uuid.uuid4().hex}.arrived").touch()
    gate = directory / f"{point}.go"
    loop = asyncio.get_running_loop()
    give_up = loop.time() + PAUSE_DEADLINE_SECONDS
    while not gate.exists():
        if loop.time() > give_up:
            raise PauseNeverReleased(f"{point}: {gate.name} did not appear in {PAUSE_DEADLINE_SECONDS:g}s")
        await asyncio.sleep(PAUSE_POLL_SECONDS)


@dataclass(frozen=True)
class FaultPoints:
    actions: dict[str, tuple[str, float]] = field(default_factory=dict)
    pause_dirs: dict[str, str] = field(default_factory=dict)  # point -> directory of its gate

    @classmethod
    def parse(cls, spec: str) -> FaultPoints:
        actions: dict[str, tuple[str, float]] = {}
        pause_dirs: dict[str, str] = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            point, _, action = item.partition("=")
            if point in SKIPPABLE and action == "skip":
                actions[point] = ("skip", 0.0)
                continue
            if point == "clock":
                actions[point] = ("ahead", _ahead_seconds(action))
                continue
            if point not in FAULT_POINTS:
                known = ", ".join(FAULT_POINTS)
                raise FaultSpecError(f"ROOMGATE_DEBUG_FAULTS: unknown point {point!r}; use {known}")
            kind, _, arg = action.partition(":")
            if kind == "crash":
                actions[point] = ("crash", 0.0)
            elif kind == "sleep":
                try:
                    actions[point] = ("sleep", float(arg))
                except ValueError:
                    raise FaultSpecError(
                        f"ROOMGATE_DEBUG_FAULTS: {point}=sleep needs seconds, e.g. sleep:2.0"
                    ) from None
            elif kind == "pause" and arg:
                actions[point] = ("pause", 0.0)
                pause_dirs[point] = arg
            else:
                raise FaultSpecError(
                    f"ROOMGATE_DEBUG_FAULTS: {point} action must be crash, sleep:<seconds>"
                    " or pause:<directory>"
                )
        return cls(actions, pause_dirs)

    def clock(self, base: Clock) -> Clock:
        """`base`, or `base` running ahead by the `clock=ahead:<seconds>` fault."""
        kind, seconds = self.actions.get("clock", ("", 0.0))
        return AheadClock(base, seconds) if kind == "ahead" else base

    def skips(self, step: str) -> bool:
        return self.actions.get(step, ("", 0.0))[0] == "skip"

    async def hit(self, point: str) -> None:
        action = self.actions.get(point)
        if action is None:
            return
        kind, seconds = action
        if kind == "sleep":
            await asyncio.sleep(seconds)
        elif kind == "pause":
            await pause_at(Path(self.pause_dirs[point]), point)
        else:
            os._exit(137)  # abrupt, like a kill -9: no cleanup, no finally blocks


def _ahead_seconds(action: str) -> float:
    kind, _, arg = action.partition(":")
    try:
        if kind == "ahead":
            return float(arg)
    except ValueError:
        pass
    raise FaultSpecError("ROOMGATE_DEBUG_FAULTS: clock=ahead:<seconds>, e.g. clock=ahead:600")


@dataclass(frozen=True)
class AheadClock:
    """Another clock's time plus `seconds` (wall and monotonic alike)."""

    base: Clock
    seconds: float

    def now(self) -> float:
        return self.base.now() + self.seconds

    def monotonic(self) -> float:
        return self.base.monotonic() + self.seconds

    async def sleep(self, seconds: float) -> None:
        await self.base.sleep(seconds)


NO_FAULTS = FaultPoints()
