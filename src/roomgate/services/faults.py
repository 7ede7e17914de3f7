"""Debug fault points for crash and race tests.

`ROOMGATE_DEBUG_FAULTS="after_hold=sleep:2.0,after_pms_confirm=crash"`.

Off unless the setting is present; settings refuse it when ROOMGATE_ENV=production.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field

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


class FaultSpecError(ValueError):
    pass


@dataclass(frozen=True)
class FaultPoints:
    actions: dict[str, tuple[str, float]] = field(default_factory=dict)

    @classmethod
    def parse(cls, spec: str) -> FaultPoints:
        actions: dict[str, tuple[str, float]] = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            point, _, action = item.partition("=")
            if point in SKIPPABLE and action == "skip":
                actions[point] = ("skip", 0.0)
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
            else:
                raise FaultSpecError(
                    f"ROOMGATE_DEBUG_FAULTS: {point} action must be crash or sleep:<seconds>"
                )
        return cls(actions)

    def skips(self, step: str) -> bool:
        return self.actions.get(step, ("", 0.0))[0] == "skip"

    async def hit(self, point: str) -> None:
        action = self.actions.get(point)
        if action is None:
            return
        kind, seconds = action
        if kind == "sleep":
            await asyncio.sleep(seconds)
        else:
            os._exit(137)  # abrupt, like a kill -9: no cleanup, no finally blocks


NO_FAULTS = FaultPoints()
