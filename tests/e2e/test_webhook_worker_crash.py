"""A `roomgate worker` killed (like kill -9) after claiming a webhook event: the next worker takes its
stream message over with XAUTOCLAIM and processes the event once. Real processes, real Redis."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import httpx2
import pytest

from roomgate.ledger.migrate import upgrade
from roomgate.simulators.registry import create_simulator
from roomgate.simulators.server import ServerThread
from tests.conftest import REDIS_TEST_URL
from tests.e2e.processes import run_worker_once, serve
from tests.e2e.stack import ADMIN_TOKEN, HOTEL, KEY, ROOM, stay_dates

pytestmark = [pytest.mark.slow, pytest.mark.redis]

SECRET = "crash-test-secret"


def signed(event: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"x-pms-signature": signature, "content-type": "application/json"}


def test_a_worker_killed_mid_event_is_taken_over_and_the_event_processed_once(
    tmp_path: Path, real_redis: object
) -> None:
    database_url = f"sqlite:///{tmp_path}/crash.db"
    upgrade(database_url)
    with ServerThread(create_simulator("cloudbeds")) as sim:
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_TEST_URL,
            "CLOUDBEDS_BASE_URL": f"{sim.url}/api/v1.3",
            f"PMS_{HOTEL}_API_KEY": KEY,
            "PMS_WEBHOOK_SECRET": SECRET,
            "ROOMGATE_ADMIN_TOKEN": ADMIN_TOKEN,
            # A tiny lease: by the time a second worker process has started, the first one's is over.
            "ROOMGATE_WEBHOOK_LEASE_SECONDS": "0.05",
        }
        start, end = stay_dates(offset_days=52)
        with serve(env) as (url, _proc):
            # given an event in the inbox and the stream, and the PMS closed those nights
            body, headers = signed(
                {
                    "eventId": "evt_crash_1",
                    "type": "inventory_update",
                    "hotelId": HOTEL,
                    "roomTypeId": ROOM,
                    "from": str(start),
                    "to": str(end),
                    "occurredAt": "2026-12-01T10:00:00Z",
                }
            )
            assert (
                httpx2.post(f"{url}/api/webhooks/pms/cloudbeds", content=body, headers=headers).status_code
                == 200
            )
            httpx2.put(
                f"{sim.url}/_sim/properties/{HOTEL}/inventory",
                json={"roomTypeId": ROOM, "from": str(start), "to": str(end), "available": 0},
            ).raise_for_status()
            inbox = f"{url}/api/admin/webhooks/inbox"
            auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            # when a worker claims it and is killed before finishing
            crashed = run_worker_once({**env, "ROOMGATE_DEBUG_FAULTS": "webhook_after_claim=crash"})
            assert crashed.returncode == 137
            assert httpx2.get(inbox, headers=auth).json() == {
                "success": True,
                "inbox": {"processing": 1},
                "streamPending": 1,
            }
            # then the next worker takes the message over and processes the event, once
            survivor = run_worker_once(env)
            assert survivor.returncode == 0, survivor.stdout + survivor.stderr
            assert "webhooks: 1 handled" in survivor.stdout
            assert httpx2.get(inbox, headers=auth).json() == {
                "success": True,
                "inbox": {"processed": 1},
                "streamPending": 0,
            }
            nights = httpx2.get(
                f"{url}/api/hotels/{HOTEL}/room-types/{ROOM}/inventory",
                params={"vendor": "cloudbeds", "from": str(start), "to": str(end)},
            ).json()["nights"]
            assert [n["available"] for n in nights] == [0, 0]
            # and a third worker finds nothing left to do
            assert "webhooks: 0 handled" in run_worker_once(env).stdout
