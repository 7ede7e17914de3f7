"""What every simulator shares: fault injection, per-endpoint call counts and the `/_sim/` routes.

Faults (`PUT /_sim/faults`, `{}` clears them):
  latencyMs      delay before answering
  errorRate      probability (0..1) that a call fails; with no `status`, the failure is a 500
  status         HTTP status to answer with (every call when errorRate is 0)
  hang           never answer (the client's timeout fires)
  pause          hold each call before the vendor acts until `POST /_sim/release` (a deterministic
                 "the vendor carries the request out late": the client may give up meanwhile)
  retryAfter     seconds, sent as `Retry-After` on a 429/503
  businessError  answer HTTP 200 with the vendor's "success: false"-style error carrying this text
  endpoints      restrict the faults to these endpoint names (default: all)
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

HANG_SECONDS = 600.0


class Faults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    latencyMs: int = Field(default=0, ge=0, le=120_000)
    errorRate: float = Field(default=0.0, ge=0.0, le=1.0)
    status: int | None = Field(default=None, ge=400, le=599)
    hang: bool = False
    pause: bool = False
    retryAfter: int | None = Field(default=None, ge=0, le=3600)
    businessError: str | None = None
    endpoints: list[str] | None = None

    def applies_to(self, endpoint: str) -> bool:
        return self.endpoints is None or endpoint in self.endpoints


# A vendor answer before it becomes a Response: (HTTP status, JSON body).
Answer = tuple[int, dict[str, Any]]
ErrorResponder = Callable[[int, int | None], Response]
BusinessErrorResponder = Callable[[str], Response]


class SimCore:
    """Fault state, seeded randomness and call counting for one simulator instance."""

    def __init__(
        self,
        *,
        error_response: ErrorResponder,
        business_error_response: BusinessErrorResponder,
        seed: int = 0,
    ) -> None:
        self._error_response = error_response
        self._business_error_response = business_error_response
        self.seed = seed
        self.rng = random.Random(seed)
        self.faults = Faults()
        self.calls: Counter[str] = Counter()
        self.paused = 0  # calls waiting at a `pause` fault
        self._release = asyncio.Event()

    def reset(self) -> None:
        self.rng = random.Random(self.seed)
        self.faults = Faults()
        self.calls.clear()
        self.release()

    def release(self) -> None:
        """Let every call waiting at a `pause` fault go on; later calls pause again while it is set."""
        self._release.set()
        self._release = asyncio.Event()

    async def enter(self, endpoint: str) -> Response | None:
        """Count the call and apply faults; a returned response replaces the real answer."""
        self.calls[endpoint] += 1
        faults = self.faults
        if not faults.applies_to(endpoint):
            return None
        if faults.latencyMs:
            await asyncio.sleep(faults.latencyMs / 1000)
        if faults.hang:
            await asyncio.sleep(HANG_SECONDS)
        if faults.pause:
            self.paused += 1
            try:
                await asyncio.wait_for(self._release.wait(), HANG_SECONDS)
            finally:
                self.paused -= 1
        failing = faults.status is not None or faults.errorRate > 0 or faults.businessError is not None
        if not failing:
            return None
        if faults.errorRate > 0 and self.rng.random() >= faults.errorRate:
            return None
        if faults.businessError is not None:
            return self._business_error_response(faults.businessError)
        return self._error_response(faults.status or 500, faults.retryAfter)

    def control_router(
        self,
        *,
        on_reset: Callable[[], None],
        state: Callable[[], dict[str, Any]],
    ) -> APIRouter:
        """`POST /_sim/reset`, `PUT /_sim/faults`, `GET /_sim/state` (vendor adds its own routes)."""
        router = APIRouter(prefix="/_sim", tags=["simulator control"])

        @router.post("/reset")
        async def reset() -> dict[str, Any]:
            """Forget reservations, faults and counts; re-seed the demo data."""
            self.reset()
            on_reset()
            return {"ok": True}

        @router.put("/faults")
        async def set_faults(faults: Faults) -> dict[str, Any]:
            """Replace the active faults (`{}` clears them)."""
            self.faults = faults
            return {"ok": True, "faults": faults.model_dump(exclude_defaults=True)}

        @router.post("/release")
        async def release() -> dict[str, Any]:
            """Let the calls held by a `pause` fault go on."""
            waiting = self.paused
            self.release()
            return {"ok": True, "released": waiting}

        @router.get("/state")
        async def get_state() -> dict[str, Any]:
            """Reservations/payments and call counts per endpoint."""
            return {
                **state(),
                "calls": dict(self.calls),
                "paused": self.paused,
                "faults": self.faults.model_dump(exclude_defaults=True),
            }

        return router


async def run_faulted(core: SimCore, endpoint: str, handler: Callable[[], Awaitable[Response]]) -> Response:
    """Apply faults for `endpoint`, then run the real handler."""
    injected = await core.enter(endpoint)
    if injected is not None:
        return injected
    return await handler()
