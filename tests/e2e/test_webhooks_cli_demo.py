"""`roomgate webhooks subscribe|list|unsubscribe` against the Cloudbeds simulator, and the demo's
in-process loop: its mounted simulator delivers webhooks to the demo's own port."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import httpx2
import pytest

from roomgate.simulators.registry import create_simulator
from roomgate.simulators.server import ServerThread
from tests.e2e.processes import free_port, process_env
from tests.e2e.test_cli import running
from tests.fake_keys import cloudbeds_key

pytestmark = pytest.mark.slow


def cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "roomgate.cli", "webhooks", *args],
        cwd=cwd,
        env=process_env(env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_webhooks_subscribe_list_unsubscribe(tmp_path: Path) -> None:
    with ServerThread(create_simulator("cloudbeds")) as sim:
        env = {
            "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
            "CLOUDBEDS_BASE_URL": f"{sim.url}/api/v1.3",
            "PMS_hotel_123_API_KEY": cloudbeds_key("cli_key"),
            "PMS_hotel_777_API_KEY": "mews-token",
            "PMS_hotel_777_VENDOR": "mews",
            "ROOMGATE_WEBHOOK_PUBLIC_URL": "https://roomgate.example",
            "ROOMGATE_WEBHOOK_URL_TOKEN": "cli-secret-token",
        }
        # when subscribing (twice: the second adds nothing)
        first = cli(["subscribe", "hotel_123"], env, tmp_path)
        again = cli(["subscribe", "hotel_123"], env, tmp_path)
        # then five events point at our endpoint, and the token is never printed
        assert first.returncode == 0, first.stderr
        assert "5 subscription(s)" in first.stdout and "5 subscription(s)" in again.stdout
        assert "reservation/status_changed" in first.stdout
        assert "cli-secret-token" not in first.stdout + first.stderr
        subs = httpx2.get(
            f"{sim.url}/api/v1.3/getWebhooks",
            params={"propertyID": "hotel_123"},
            headers={"x-api-key": cloudbeds_key("x")},
        ).json()["data"]
        assert len(subs) == 5
        assert {s["subscriptionData"]["endpoint"] for s in subs} == {
            "https://roomgate.example/api/webhooks/pms/cloudbeds?token=cli-secret-token"
        }
        # and list / unsubscribe
        assert "5 subscription(s)" in cli(["list", "hotel_123"], env, tmp_path).stdout
        removed = cli(["unsubscribe", "hotel_123"], env, tmp_path)
        assert "removed 5" in removed.stdout
        assert "0 subscription(s)" in cli(["list", "hotel_123"], env, tmp_path).stdout
        # a Mews hotel cannot subscribe by API: a clear message, exit 1
        mews = cli(["subscribe", "hotel_777"], env, tmp_path)
        assert mews.returncode == 1 and "Mews" in mews.stderr


def test_the_demo_delivers_its_simulators_webhooks_to_itself(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(["demo", "--port", str(port)], tmp_path, f"{base}/healthz"):
        start = date.today() + timedelta(days=70)
        end = start + timedelta(days=2)  # (a one-night warm read answers 500 on the base branch; reported)
        query = {"vendor": "cloudbeds", "from": str(start), "to": str(end)}
        inventory = f"{base}/api/hotels/hotel_123/room-types/room_456/inventory"
        before = httpx2.get(inventory, params=query, timeout=10).json()["nights"][0]["available"]
        assert before >= 2
        # when another channel books at the mounted Cloudbeds simulator
        httpx2.post(
            f"{base}/sim/cloudbeds/_sim/properties/hotel_123/reservations",
            json={"roomTypeId": "room_456", "from": str(start), "to": str(end), "quantity": 2},
            timeout=10,
        ).raise_for_status()
        # then the webhook comes back to the demo and its availability answer follows
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            now = httpx2.get(inventory, params=query, timeout=10).json()["nights"][0]["available"]
            if now == before - 2:
                break
            time.sleep(0.1)
        assert now == before - 2
