"""A roomgate container on a migrated SQLite ledger and a given Redis, the Cloudbeds simulator on a real
socket, and the app reached in process (ASGI) — for webhook intake, queue and effect tests."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx2
import pytest
import redis.asyncio as aioredis

from roomgate.app import create_app
from roomgate.clock import FakeClock
from roomgate.config import load_settings
from roomgate.container import Container, build_container
from roomgate.ledger.migrate import upgrade
from roomgate.simulators.registry import create_simulator
from roomgate.simulators.server import ServerThread
from tests.fake_keys import cloudbeds_key

HOTEL = "hotel_123"
ROOM = "room_456"
KEY = cloudbeds_key("test_key_0001")
SECRET = "whsec_world_0001"
TOKEN = "world-url-token"
ADMIN = "admin-world-token"


@dataclass
class RecordedAlerts:
    sent: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    async def alert(self, kind: str, key: str, message: str, **details: str | int | float | None) -> None:
        self.sent.append((kind, key, dict(details)))


@dataclass
class World:
    container: Container
    http: httpx2.AsyncClient
    sim: httpx2.AsyncClient
    sim_url: str
    clock: FakeClock
    alerts: RecordedAlerts
    sim_app: Any = None

    @property
    def redis(self) -> aioredis.Redis:
        return self.container.redis

    def spec_event(self, **fields: Any) -> dict[str, Any]:
        return {
            "eventId": f"evt_{uuid.uuid4().hex[:12]}",
            "type": "inventory_update",
            "hotelId": HOTEL,
            "occurredAt": "2026-12-01T10:00:00Z",
            **fields,
        }

    async def post_signed(self, event: dict[str, Any], *, secret: str = SECRET) -> httpx2.Response:
        body = json.dumps(event).encode()
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return await self.http.post(
            "/api/webhooks/pms/cloudbeds",
            content=body,
            headers={"x-pms-signature": signature, "content-type": "application/json"},
        )

    async def post_native(self, vendor: str, body: dict[str, Any], token: str = TOKEN) -> httpx2.Response:
        return await self.http.post(f"/api/webhooks/pms/{vendor}", params={"token": token}, json=body)

    async def drain(self, *, rounds: int = 100) -> list[str]:
        """Consume until the stream has nothing new (one consumer, no take-over)."""
        consumer = self.container.webhook_consumer("drain")
        outcomes: list[str] = []
        for _ in range(rounds):
            got = await consumer.run_once(block_ms=0, take_over=False)
            if not got:
                return outcomes
            outcomes += [str(o) for o in got]
        return outcomes

    async def set_pms_inventory(self, available: int, start: date, end: date, room: str = ROOM) -> None:
        body = {"roomTypeId": room, "from": start.isoformat(), "to": end.isoformat(), "available": available}
        (await self.sim.put(f"/_sim/properties/{HOTEL}/inventory", json=body)).raise_for_status()

    async def cached_available(self, start: date, end: date, room: str = ROOM) -> list[int | None]:
        nights = [start + timedelta(days=i) for i in range((end - start).days)]
        rows = await self.container.inventory.get_range(HOTEL, room, nights)
        return [n.available for n in rows]


def checkout_body(start: date, end: date, *, price: int = 125000) -> dict[str, Any]:
    return {
        "vendor": "cloudbeds",
        "hotelId": HOTEL,
        "roomTypeId": ROOM,
        "checkIn": start.isoformat(),
        "checkOut": end.isoformat(),
        "guestInfo": {
            "firstName": "홍",
            "lastName": "길동",
            "email": "hong@example.com",
            "phone": "+82-10-1",
        },
        "adults": 2,
        "children": 0,
        "payment": {"cardToken": "tok_visa_1234", "amount": price * (end - start).days, "currency": "KRW"},
    }


def stay(offset_days: int = 40, nights: int = 2) -> tuple[date, date]:
    start = date.today() + timedelta(days=offset_days)
    return start, start + timedelta(days=nights)


@contextlib.asynccontextmanager
async def webhook_world(
    redis: aioredis.Redis, tmp_dir: str, monkeypatch: pytest.MonkeyPatch, **settings: Any
) -> AsyncIterator[World]:
    database_url = f"sqlite:///{tmp_dir}/ledger-{uuid.uuid4().hex[:6]}.db"
    upgrade(database_url)
    sim_app = create_simulator("cloudbeds")
    with ServerThread(sim_app) as simulator:
        for name, value in {
            "CLOUDBEDS_BASE_URL": f"{simulator.url}/api/v1.3",
            f"PMS_{HOTEL}_API_KEY": KEY,
            "PMS_hotel_777_API_KEY": KEY,
            "PMS_WEBHOOK_SECRET": SECRET,
            "ROOMGATE_WEBHOOK_URL_TOKEN": TOKEN,
            "ROOMGATE_ADMIN_TOKEN": ADMIN,
            "ROOMGATE_CLOUDBEDS_RATE_LIMIT": "1000",
            "PAYMENT_PROVIDER": "sandbox",
        }.items():
            monkeypatch.setenv(name, value)
        config = load_settings(database_url=database_url, **settings)
        clock = FakeClock(start=time.time())
        container = build_container(config, clock=clock, redis=redis)
        alerts = RecordedAlerts()
        container.alerts = alerts
        container.webhook_processor.alerts = alerts
        container.hotel_cancellation.alerts = alerts
        app = create_app(config)
        app.state.container = container
        await container.start()
        await container.webhook_stream.ensure_group()
        transport = httpx2.ASGITransport(app=app)
        try:
            async with (
                httpx2.AsyncClient(transport=transport, base_url="http://roomgate") as http,
                httpx2.AsyncClient(base_url=simulator.url, timeout=10) as sim,
            ):
                yield World(container, http, sim, simulator.url, clock, alerts, sim_app)
        finally:
            await container.http.aclose()
            await container.engine.dispose()
