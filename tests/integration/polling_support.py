"""A polling world: the Cloudbeds simulator on a real socket sharing the test's fake clock, and any
number of roomgate containers ("workers") sharing one Redis and one migrated SQLite ledger."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx2
import redis.asyncio as aioredis

from roomgate.clock import FakeClock
from roomgate.config import load_settings
from roomgate.container import Container, build_container
from roomgate.ledger.migrate import upgrade
from roomgate.services.faults import NO_FAULTS, FaultPoints
from roomgate.services.polling import PollingSync
from roomgate.simulators.registry import create_simulator
from roomgate.simulators.server import ServerThread
from tests.fake_keys import cloudbeds_key

HOTEL = "hotel_123"
ROOM = "room_456"
KEY = cloudbeds_key("polling_test_key")
START = 1_796_083_200.0  # 2026-12-01T00:00:00Z


@dataclass
class PollingWorld:
    clock: FakeClock
    sim_url: str
    database_url: str
    redis_url: str
    env: dict[str, str]
    containers: list[Container] = field(default_factory=list)

    @property
    def today(self) -> date:
        return datetime.fromtimestamp(self.clock.now(), UTC).date()

    def container(self, hotels: Any = None, **overrides: Any) -> Container:
        settings = load_settings(database_url=self.database_url, redis_url=self.redis_url, **overrides)
        redis = aioredis.from_url(self.redis_url)
        container = build_container(settings, clock=self.clock, redis=redis, hotels=hotels)
        self.containers.append(container)
        return container

    def poller(
        self,
        container: Container,
        *,
        before_poll: Callable[[str], Awaitable[None]] | None = None,
        faults: FaultPoints = NO_FAULTS,
    ) -> PollingSync:
        """The container's poller with a pause point and/or fault points (same ports otherwise)."""
        base = container.polling
        return PollingSync(
            hotels=base.hotels,
            states=base.states,
            lease=base.lease,
            connectors=base.connectors,
            refresh=base.refresh,
            alerts=base.alerts,
            clock=base.clock,
            config=base.config,
            faults=faults,
            before_poll=before_poll,
        )

    async def sim(self, method: str, path: str, body: Any = None) -> Any:
        async with httpx2.AsyncClient(base_url=self.sim_url, timeout=10) as client:
            response = await client.request(method, path, json=body)
            response.raise_for_status()
            return response.json()

    async def set_available(self, available: int, start: date, end: date, room: str = ROOM) -> None:
        body = {"roomTypeId": room, "from": start.isoformat(), "to": end.isoformat(), "available": available}
        await self.sim("PUT", f"/_sim/properties/{HOTEL}/inventory", body)

    async def sim_calls(self, method: str | None = None) -> int:
        calls = (await self.sim("GET", "/_sim/state"))["calls"]
        return int(calls.get(method, 0)) if method else sum(calls.values())

    async def cached(self, container: Container, night: date, room: str = ROOM) -> int | None:
        """The fresh cached PMS count of one night (None when not freshly cached)."""
        return (await container.inventory.get(HOTEL, room, night)).available

    def advance_past_interval(self, seconds: float = 300 * 1.11) -> None:
        self.clock.advance(seconds)


@contextlib.asynccontextmanager
async def polling_world(
    tmp_path: Any,
    redis_url: str,
    monkeypatch: Any,
    env: dict[str, str] | None = None,
    *,
    vendor: str = "cloudbeds",
) -> AsyncIterator[PollingWorld]:
    """Both demo hotels at `vendor` (`cloudbeds` or `mews`), its simulator on the fake clock."""
    database_url = f"sqlite:///{tmp_path}/polling-{id(tmp_path)}.db"
    upgrade(database_url)
    clock = FakeClock(START)
    with ServerThread(create_simulator(vendor, clock=clock)) as sim:
        vendor_env = (
            {"CLOUDBEDS_BASE_URL": f"{sim.url}/api/v1.3"}
            if vendor == "cloudbeds"
            else {
                "MEWS_BASE_URL": sim.url,
                "MEWS_CLIENT_TOKEN": "client-token-polling",
                f"PMS_{HOTEL}_VENDOR": "mews",
                "PMS_hotel_777_VENDOR": "mews",
            }
        )
        values = {
            **vendor_env,
            f"PMS_{HOTEL}_API_KEY": KEY,
            "PMS_hotel_777_API_KEY": KEY,
            "ROOMGATE_PMS_TIMEOUT_SECONDS": "5",
            **(env or {}),
        }
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        world = PollingWorld(clock, sim.url, database_url, redis_url, values)
        try:
            yield world
        finally:
            for container in world.containers:
                await container.aclose()


class AlertReceiver:
    """A tiny HTTP server on a free 127.0.0.1 port that records the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/alerts"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @contextlib.contextmanager
    def running(self) -> Iterator[AlertReceiver]:
        self._thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


def nights_from(start: date, count: int) -> tuple[date, date]:
    return start, start + timedelta(days=count)
