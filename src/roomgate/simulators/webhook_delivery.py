"""Webhook delivery for the PMS simulators: thin JSON POSTs, like the vendors send, with faults.

`PUT /_sim/webhooks/faults` `{drop, duplicate, reorder, delayMs}`: `drop` and `duplicate` are
probabilities (0..1, from the simulator's seeded RNG), `reorder` holds each event until the next one
and sends the two newest first, `delayMs` waits before sending. A failed POST (error or non-2xx) is
tried again up to `ATTEMPTS` times, a second apart (Cloudbeds reportedly retries; unconfirmed).
`GET /_sim/webhooks/log` lists what was sent.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import httpx2
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

ATTEMPTS = 3
RETRY_SECONDS = 1.0
REORDER_FLUSH_SECONDS = 0.5
LOG_SIZE = 1000


class DeliveryFaults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    drop: float = Field(default=0.0, ge=0.0, le=1.0)
    duplicate: float = Field(default=0.0, ge=0.0, le=1.0)
    reorder: bool = False
    delayMs: int = Field(default=0, ge=0, le=60_000)


class WebhookDelivery:
    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(f"webhooks-{seed}")
        self.faults = DeliveryFaults()
        self.sent: list[dict[str, Any]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._held: list[tuple[str, dict[str, Any]]] = []
        self._flush: asyncio.TimerHandle | None = None

    def reset(self) -> None:
        self.faults = DeliveryFaults()
        self.sent.clear()
        self._held.clear()

    def emit(self, url: str, body: dict[str, Any]) -> None:
        """Send `body` to `url` in the background (the caller's request does not wait for it)."""
        if self.rng.random() < self.faults.drop:
            self._log(url, body, "dropped")
            return
        copies = 2 if self.rng.random() < self.faults.duplicate else 1
        for _ in range(copies):
            if self.faults.reorder:
                self._hold(url, body)
            else:
                self._spawn(url, body)

    def _hold(self, url: str, body: dict[str, Any]) -> None:
        self._held.append((url, body))
        if len(self._held) >= 2:
            held, self._held = self._held, []
            for item in reversed(held):
                self._spawn(*item)
        elif self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(REORDER_FLUSH_SECONDS, self._release)

    def _release(self) -> None:
        self._flush = None
        held, self._held = self._held, []
        for item in held:
            self._spawn(*item)

    def _spawn(self, url: str, body: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self._post(url, body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, url: str, body: dict[str, Any]) -> None:
        if self.faults.delayMs:
            await asyncio.sleep(self.faults.delayMs / 1000)
        outcome = "failed"
        tries = 0
        started = time.monotonic()
        async with httpx2.AsyncClient(timeout=5.0) as http:
            for attempt in range(ATTEMPTS):
                tries += 1
                try:
                    response = await http.post(url, json=body)
                    outcome = str(response.status_code)
                    if response.status_code < 300:
                        break
                except httpx2.HTTPError as exc:
                    outcome = type(exc).__name__
                if attempt + 1 < ATTEMPTS:
                    await asyncio.sleep(RETRY_SECONDS)
        self._log(url, body, outcome, tries, time.monotonic() - started)

    def _log(
        self, url: str, body: dict[str, Any], outcome: str, attempts: int = 0, seconds: float = 0.0
    ) -> None:
        # The URL's query (a secret token) is not logged.
        entry = {"url": url.split("?", 1)[0], "body": body, "outcome": outcome, "attempts": attempts}
        self.sent.append({**entry, "seconds": round(seconds, 3)})
        del self.sent[:-LOG_SIZE]

    async def drain(self) -> None:
        """Wait until every delivery under way has finished (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def router(self) -> APIRouter:
        router = APIRouter(prefix="/_sim/webhooks", tags=["simulator control"])

        @router.put("/faults")
        async def set_faults(faults: DeliveryFaults) -> dict[str, Any]:
            """Make webhook delivery misbehave (`{}` clears it)."""
            self.faults = faults
            return {"ok": True, "faults": faults.model_dump(exclude_defaults=True)}

        @router.get("/log")
        async def log() -> dict[str, Any]:
            """Deliveries made (URL without its query), newest last."""
            return {"deliveries": list(self.sent), "inFlight": len(self._tasks)}

        return router
