"""Run a payment simulator in-process (ASGITransport) or on a real socket (ServerThread) for adapter tests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from roomgate.clock import FakeClock
from roomgate.simulators.server import ServerThread

TRANSPORTS = ["in-process", "socket"]
IN_PROCESS_URL = "http://sim.invalid"  # never resolved: ASGITransport hands requests straight to the app
FIXTURES = Path(__file__).parent / "payments_fixtures"


def fixture(name: str) -> Any:
    """A documented vendor example body (see payments_fixtures/README.md for the sources)."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class Sim:
    """A running simulator: `client` talks to it (adapters and `/_sim` control alike)."""

    client: httpx2.AsyncClient
    base_url: str
    clock: FakeClock
    requests: list[httpx2.Request] = field(default_factory=list)

    async def state(self) -> dict[str, Any]:
        response = await self.client.get(f"{self.base_url}/_sim/state")
        response.raise_for_status()
        return dict(response.json())

    async def faults(self, **faults: Any) -> None:
        response = await self.client.put(f"{self.base_url}/_sim/faults", json=faults)
        response.raise_for_status()

    def sent(self, method: str, path_part: str) -> list[httpx2.Request]:
        """Requests sent so far with this method whose path contains `path_part`."""
        return [r for r in self.requests if r.method == method and path_part in r.url.path]


@asynccontextmanager
async def running(app: Any, transport: str, clock: FakeClock) -> AsyncIterator[Sim]:
    """Serve `app` through `transport`; every request the client sends is recorded."""
    recorded: list[httpx2.Request] = []

    async def record(request: httpx2.Request) -> None:
        recorded.append(request)

    hooks = {"request": [record]}
    if transport == "in-process":
        asgi = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=asgi, event_hooks=hooks) as client:
            yield Sim(client, IN_PROCESS_URL, clock, recorded)
        return
    # A hanging handler (fault `hang`) is cancelled half a second into shutdown instead of blocking it.
    with ServerThread(app, graceful_shutdown_seconds=0.5) as server:
        async with httpx2.AsyncClient(event_hooks=hooks) as client:
            yield Sim(client, server.url, clock, recorded)
