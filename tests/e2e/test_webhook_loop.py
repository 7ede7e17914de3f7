"""The whole loop over real sockets: another channel books at the simulator → the simulator delivers
its webhook → roomgate's inbox and stream → an in-process consumer → the next availability answer and
checkout are right."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest

from roomgate.app import create_app
from roomgate.cache.client import fresh_in_process_redis
from roomgate.config import load_settings
from roomgate.container import build_container
from roomgate.ledger.migrate import upgrade
from roomgate.simulators.registry import create_simulator
from roomgate.simulators.server import ServerThread
from tests.e2e.stack import ADMIN_TOKEN, HOTEL, KEY, ROOM, checkout_body, stay_dates

TOKEN = "e2e-webhook-token"


@dataclass
class Loop:
    url: str
    sim: str
    client: httpx2.Client

    def admin(self, method: str, path: str) -> httpx2.Response:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        return self.client.request(method, f"{self.url}/api/admin/webhooks{path}", headers=headers)

    def for_sale(
        self, start: Any, end: Any, hotel: str = HOTEL, room: str = ROOM, vendor: str = "cloudbeds"
    ) -> list[int]:
        params = {"vendor": vendor, "from": start.isoformat(), "to": end.isoformat()}
        answer = self.client.get(f"{self.url}/api/hotels/{hotel}/room-types/{room}/inventory", params=params)
        assert answer.status_code == 200, answer.text
        return [night["available"] for night in answer.json()["nights"]]

    def book_elsewhere(self, start: Any, end: Any, hotel: str = HOTEL, room: str = ROOM) -> None:
        body = {"roomTypeId": room, "from": start.isoformat(), "to": end.isoformat(), "quantity": 1}
        self.client.post(f"{self.sim}/_sim/properties/{hotel}/reservations", json=body).raise_for_status()

    def deliveries(self) -> list[dict[str, Any]]:
        return list(self.client.get(f"{self.sim}/_sim/webhooks/log").json()["deliveries"])


def eventually(check: Callable[[], bool], seconds: float = 15.0) -> bool:
    """Wait for a condition another thread brings about (bounded; the assertion says what was awaited)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


@contextlib.contextmanager
def loop(tmp_path: Any, vendor: str = "cloudbeds") -> Iterator[Loop]:
    database_url = f"sqlite:///{tmp_path}/loop.db"
    upgrade(database_url)
    with ServerThread(create_simulator(vendor)) as sim:
        env = {
            "CLOUDBEDS_BASE_URL": f"{sim.url}/api/v1.3",
            "MEWS_BASE_URL": sim.url,
            "MEWS_CLIENT_TOKEN": "e2e-client-token",
            f"PMS_{HOTEL}_API_KEY": KEY,
            f"PMS_{HOTEL}_VENDOR": vendor,
            "ROOMGATE_WEBHOOK_URL_TOKEN": TOKEN,
            "ROOMGATE_ADMIN_TOKEN": ADMIN_TOKEN,
            "PAYMENT_PROVIDER": "sandbox",
        }
        previous = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            settings = load_settings(database_url=database_url)
            app = create_app(
                settings,
                container_factory=lambda s: build_container(s, redis=fresh_in_process_redis()),
                webhook_consumers=1,
            )
            server = ServerThread(app)
            settings.webhook_public_url = server.url  # known once the socket is bound
            with server, httpx2.Client(timeout=30) as client:
                yield Loop(server.url, sim.url, client)
        finally:
            for key, value in previous.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@pytest.mark.slow
@pytest.mark.parametrize("delivered", [True, False], ids=["webhook", "negative-control-dropped"])
def test_another_channel_books_the_last_room_and_the_next_guest_is_refused_before_payment(
    tmp_path: Any, delivered: bool
) -> None:
    with loop(tmp_path) as rg:
        # given the last room of a stay is on sale, and roomgate subscribed to the hotel's events
        start, end = stay_dates(offset_days=45)
        rg.client.put(
            f"{rg.sim}/_sim/properties/{HOTEL}/inventory",
            json={"roomTypeId": ROOM, "from": str(start), "to": str(end), "available": 1},
        ).raise_for_status()
        assert rg.for_sale(start, end) == [1, 1]
        subscribed = rg.admin("POST", f"/subscriptions/{HOTEL}")
        assert subscribed.status_code == 200, subscribed.text
        assert len(subscribed.json()["subscriptions"]) == 5
        assert all("token" not in s["endpoint"] for s in subscribed.json()["subscriptions"])
        if not delivered:
            rg.client.put(f"{rg.sim}/_sim/webhooks/faults", json={"drop": 1.0}).raise_for_status()
        # when another channel books it
        rg.book_elsewhere(start, end)
        assert eventually(lambda: len(rg.deliveries()) == 1)
        if not delivered:
            # then without the webhook the cache keeps offering the room (what webhooks are for)
            assert rg.deliveries()[0]["outcome"] == "dropped"
            assert rg.for_sale(start, end) == [1, 1]
            return
        # then the next availability answer shows it sold out
        assert rg.deliveries()[0]["outcome"] == "200"
        assert eventually(lambda: rg.for_sale(start, end) == [0, 0]), rg.for_sale(start, end)
        # and a checkout is refused with 재고 부족 before any payment
        refused = rg.client.post(f"{rg.url}/api/booking/checkout", json=checkout_body(start, end))
        assert refused.status_code == 409
        assert refused.json()["errorCode"] == "INVENTORY_UNAVAILABLE"
        assert "재고 부족" in refused.json()["error"]
        inbox = rg.admin("GET", "/inbox").json()
        assert inbox["inbox"] == {"processed": 1}


@pytest.mark.slow
def test_duplicated_and_reordered_deliveries_are_processed_once_each(tmp_path: Any) -> None:
    with loop(tmp_path) as rg:
        # given every delivery is sent twice and pairs arrive newest first
        start, end = stay_dates(offset_days=46)
        assert rg.admin("POST", f"/subscriptions/{HOTEL}").status_code == 200
        rg.client.put(
            f"{rg.sim}/_sim/webhooks/faults", json={"duplicate": 1.0, "reorder": True}
        ).raise_for_status()
        # when two other-channel bookings happen
        rg.book_elsewhere(start, end)
        rg.book_elsewhere(start, end)
        assert eventually(lambda: len(rg.deliveries()) == 4)
        # then roomgate stored and processed two events, and the cache shows both bookings
        assert eventually(lambda: rg.admin("GET", "/inbox").json()["inbox"] == {"processed": 2})
        assert eventually(lambda: rg.for_sale(start, end) == [3, 3])
        # and unsubscribing removes roomgate's subscriptions
        assert rg.admin("DELETE", f"/subscriptions/{HOTEL}").json()["removed"] == 5
        assert rg.admin("GET", f"/subscriptions/{HOTEL}").json()["subscriptions"] == []


@pytest.mark.slow
def test_the_mews_simulator_delivers_general_webhooks(tmp_path: Any) -> None:
    with loop(tmp_path, vendor="mews") as rg:
        # given roomgate's URL (with its token) is the integration's General Webhook URL
        start, end = stay_dates(offset_days=47)
        before = rg.for_sale(start, end, vendor="mews")
        url = f"{rg.url}/api/webhooks/pms/mews?token={TOKEN}"
        rg.client.put(f"{rg.sim}/_sim/webhooks", json={"url": url}).raise_for_status()
        # when another channel books
        rg.book_elsewhere(start, end)
        # then the ServiceOrderUpdated event reaches the cache
        assert eventually(lambda: rg.for_sale(start, end, vendor="mews") == [n - 1 for n in before])
        assert rg.deliveries()[0]["outcome"] == "200"
