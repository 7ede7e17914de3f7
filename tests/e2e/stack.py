"""A running roomgate with its vendors: simulators and the app on real sockets (127.0.0.1, port 0)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx2

from roomgate.app import create_app
from roomgate.cache.client import create_redis, fresh_in_process_redis
from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.config import load_settings
from roomgate.container import build_container
from roomgate.ledger.migrate import upgrade
from roomgate.simulators.registry import create_simulator
from roomgate.simulators.server import ServerThread
from tests.fake_keys import cloudbeds_key

HOTEL = "hotel_123"
ROOM = "room_456"
KEY = cloudbeds_key("test_key_0001")
ADMIN_TOKEN = "admin-test-token"


@dataclass
class Stack:
    url: str
    cloudbeds: str
    client: httpx2.Client

    def sim_state(self) -> dict[str, Any]:
        return self.client.get(f"{self.cloudbeds}/_sim/state").json()

    def reservations(self, status: str | None = None) -> list[dict[str, Any]]:
        found = self.sim_state()["reservations"]
        return [r for r in found if status is None or r["status"] == status]

    def set_sim_inventory(self, available: int, start: date, end: date, room: str = ROOM) -> None:
        body = {"roomTypeId": room, "from": start.isoformat(), "to": end.isoformat(), "available": available}
        self.client.put(f"{self.cloudbeds}/_sim/properties/{HOTEL}/inventory", json=body).raise_for_status()

    def faults(self, **faults: Any) -> None:
        self.client.put(f"{self.cloudbeds}/_sim/faults", json=faults).raise_for_status()

    def checkout(self, body: dict[str, Any], key: str | None = None) -> httpx2.Response:
        headers = {"Idempotency-Key": key} if key else {}
        return self.client.post(f"{self.url}/api/booking/checkout", json=body, headers=headers)

    def booking(self, booking_id: str) -> dict[str, Any]:
        return self.client.get(f"{self.url}/api/bookings/{booking_id}").json()

    def availability(self, start: date, end: date) -> dict[str, Any]:
        params = {"vendor": "cloudbeds", "from": start.isoformat(), "to": end.isoformat()}
        return self.client.get(
            f"{self.url}/api/hotels/{HOTEL}/room-types/{ROOM}/inventory", params=params
        ).json()

    def admin(self, method: str, path: str, **kw: Any) -> httpx2.Response:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        return self.client.request(method, f"{self.url}/api/admin{path}", headers=headers, **kw)


def stay_dates(offset_days: int = 40, nights: int = 2) -> tuple[date, date]:
    start = date.today() + timedelta(days=offset_days)
    return start, start + timedelta(days=nights)


def checkout_body(
    start: date,
    end: date,
    *,
    token: str = "tok_visa_1234",
    amount: int | None = None,
    room: str = ROOM,
    price: int = 125000,
) -> dict[str, Any]:
    nights = (end - start).days
    return {
        "vendor": "cloudbeds",
        "hotelId": HOTEL,
        "roomTypeId": room,
        "checkIn": start.isoformat(),
        "checkOut": end.isoformat(),
        "guestInfo": {
            "firstName": "홍",
            "lastName": "길동",
            "email": "hong@example.com",
            "phone": "+82-10-1234-5678",
        },
        "adults": 2,
        "children": 0,
        "payment": {
            "cardToken": token,
            "amount": price * nights if amount is None else amount,
            "currency": "KRW",
        },
    }


@contextlib.contextmanager
def running_stack(
    database_url: str,
    *,
    redis_url: str | None = None,
    env: dict[str, str] | None = None,
    seed: int = 0,
    clock: Clock = SYSTEM_CLOCK,
) -> Iterator[Stack]:
    """Cloudbeds simulator + roomgate (sandbox payments) on real sockets; env applied for the duration.

    `clock` is roomgate's (TTLs, breaker periods, ages); a `FakeClock` lets the test move its time."""
    upgrade(database_url)
    with ServerThread(create_simulator("cloudbeds", seed=seed)) as sim:
        settings_env = {
            "CLOUDBEDS_BASE_URL": f"{sim.url}/api/v1.3",
            f"PMS_{HOTEL}_API_KEY": KEY,
            "PMS_hotel_777_API_KEY": KEY,
            "PAYMENT_PROVIDER": "sandbox",
            "ROOMGATE_ADMIN_TOKEN": ADMIN_TOKEN,
            "ROOMGATE_PMS_TIMEOUT_SECONDS": "3",
            **(env or {}),
        }
        previous = {k: os.environ.get(k) for k in settings_env}
        os.environ.update(settings_env)
        try:
            settings = load_settings(database_url=database_url, redis_url=redis_url)

            def container_factory(s):  # type: ignore[no-untyped-def]
                # Created inside the server's event loop; a fresh in-process Redis per stack.
                redis = create_redis(redis_url) if redis_url else fresh_in_process_redis()
                return build_container(s, redis=redis, clock=clock)

            app = create_app(settings, container_factory=container_factory)
            with ServerThread(app) as srv, httpx2.Client(timeout=30) as client:
                yield Stack(srv.url, sim.url, client)
        finally:
            for key, value in previous.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
