"""The app across a Redis restart and while Redis is down (a private `redis-server`, SIGKILL).

- Restarted empty: the first request on each pooled connection answers 200 (it used to be a 500
  "Connection closed by server" from the degraded-mode check).
- Down: availability is answered from the PMS (`source: pms`, nothing cached) through a per-process
  breaker; checkouts are refused with 503 SERVICE_DEGRADED before any side effect; /readyz is 503
  naming redis. Back: everything works again, with no restart.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import date
from typing import Any

import httpx2
import pytest

from roomgate.simulators.registry import create_simulator
from roomgate.simulators.server import ServerThread
from tests.e2e.processes import run_worker_once
from tests.e2e.stack import HOTEL, KEY, ROOM, Stack, checkout_body, running_stack, stay_dates
from tests.pause_gate import PauseGate
from tests.private_redis import PrivateRedis, private_redis

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.timeout(300)]

PARALLEL = 8


@pytest.fixture
def server() -> Iterator[PrivateRedis]:
    with private_redis() as redis_server:
        yield redis_server


def _guest(i: int) -> dict[str, str]:
    return {"firstName": f"G{i}", "lastName": "Kim", "email": f"g{i}@example.com"}


def _inventory(stack: Stack, start: date, end: date) -> httpx2.Response:
    params = {"vendor": "cloudbeds", "from": start.isoformat(), "to": end.isoformat()}
    return httpx2.get(
        f"{stack.url}/api/hotels/{HOTEL}/room-types/{ROOM}/inventory", params=params, timeout=30
    )


def _stay(stack: Stack, start: date, end: date) -> httpx2.Response:
    params = {"vendor": "cloudbeds", "checkIn": start.isoformat(), "checkOut": end.isoformat()}
    return httpx2.get(f"{stack.url}/api/hotels/{HOTEL}/availability", params=params, timeout=30)


def _parallel_inventory(stack: Stack, offsets: list[int]) -> list[httpx2.Response]:
    """Concurrent reads (separate HTTP connections), so the server uses several Redis connections."""
    with ThreadPoolExecutor(len(offsets)) as pool:
        return list(pool.map(lambda offset: _inventory(stack, *stay_dates(offset, 2)), offsets))


def _error(response: httpx2.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert body["success"] is False
    return body


def _parallel_checkouts(stack: Stack, offsets: list[int]) -> list[httpx2.Response]:
    """Concurrent checkouts of distinct stays (each with rooms to spare)."""
    bodies = [checkout_body(*stay_dates(offset, 1)) | {"guestInfo": _guest(offset)} for offset in offsets]
    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(
            pool.map(lambda b: httpx2.post(f"{stack.url}/api/booking/checkout", json=b, timeout=60), bodies)
        )


def test_after_a_restart_the_first_request_on_every_pooled_connection_answers_200(
    sqlite_ledger_url: str, server: PrivateRedis
) -> None:
    with running_stack(sqlite_ledger_url, redis_url=server.url) as stack:
        # given a server whose Redis pool holds several connections
        warm = _parallel_inventory(stack, [30 + 3 * i for i in range(PARALLEL)])
        warm += _parallel_checkouts(stack, [30 + 3 * i for i in range(PARALLEL)])
        assert [r.status_code for r in warm] == [200] * 2 * PARALLEL, [r.text for r in warm]
        # when Redis is killed and starts again, empty
        server.restart_empty()
        # then the next requests, as many at once as before, all answer 200: checkouts (degraded
        # check, hold, sandbox payment, PMS, capture) and reads (refilled from the PMS)
        after = _parallel_checkouts(stack, [31 + 3 * i for i in range(PARALLEL)])
        after += _parallel_inventory(stack, [31 + 3 * i for i in range(PARALLEL)])
        assert [r.status_code for r in after] == [200] * 2 * PARALLEL, [r.text for r in after]
        assert len(stack.reservations("confirmed")) == 2 * PARALLEL


def test_while_redis_is_down_reads_come_from_the_pms_checkouts_are_refused_and_all_recovers(
    sqlite_ledger_url: str, server: PrivateRedis
) -> None:
    with running_stack(sqlite_ledger_url, redis_url=server.url) as stack:
        start, end = stay_dates(45, 2)
        assert _inventory(stack, start, end).json()["source"] == "pms"
        assert _inventory(stack, start, end).json()["source"] == "cache"
        # given Redis is gone
        server.kill()

        # then availability is answered from the PMS, nothing cached
        inventory = _inventory(stack, start, end)
        assert inventory.status_code == 200, inventory.text
        assert inventory.json()["source"] == "pms"
        assert [n["available"] for n in inventory.json()["nights"]] == [5, 5]
        stay = _stay(stack, start, end)
        assert stay.status_code == 200, stay.text
        assert stay.json()["source"] == "pms"
        assert ROOM in {option["roomTypeId"] for option in stay.json()["roomTypes"]}

        # and a checkout is refused before any side effect, in the spec's shape
        reservations_before = len(stack.reservations())
        refused = stack.checkout(checkout_body(start, end) | {"guestInfo": _guest(2)}, key="outage-1")
        assert refused.status_code == 503
        body = _error(refused)
        assert body["errorCode"] == "SERVICE_DEGRADED"
        assert "Redis" in body["error"]
        assert len(stack.reservations()) == reservations_before

        # and readiness names Redis
        ready = httpx2.get(f"{stack.url}/readyz", timeout=30)
        assert ready.status_code == 503
        assert ready.json()["checks"]["redis"].startswith("error")
        assert ready.json()["checks"]["database"] == "ok"

        # when Redis comes back (empty), with no restart of the server
        server.start()
        # then everything works again; the refused key was freed, so the same request now books
        assert httpx2.get(f"{stack.url}/readyz", timeout=30).status_code == 200
        booked = stack.checkout(checkout_body(start, end) | {"guestInfo": _guest(2)}, key="outage-1")
        assert booked.status_code == 200, booked.text
        assert len(stack.reservations("confirmed")) == 1
        again = _inventory(stack, start, end)
        assert again.status_code == 200
        assert [n["available"] for n in again.json()["nights"]] == [4, 4]


def test_while_redis_is_down_a_failing_pms_is_a_503_and_the_breaker_still_stops_calls(
    sqlite_ledger_url: str, server: PrivateRedis
) -> None:
    env = {"ROOMGATE_RETRY_ATTEMPTS": "0", "ROOMGATE_BREAKER_FAILURE_THRESHOLD": "3"}
    with running_stack(sqlite_ledger_url, redis_url=server.url, env=env) as stack:
        start, end = stay_dates(50, 2)
        # given Redis is down and the PMS fails every call
        server.kill()
        stack.faults(status=500)
        # when availability is asked again and again
        answers = [_inventory(stack, start, end) for _ in range(6)]
        # then each answer is a clear 503 in the spec's shape, never a 500
        assert {r.status_code for r in answers} == {503}
        assert {_error(r)["errorCode"] for r in answers} == {"PMS_UNAVAILABLE"}
        # and the in-process breaker opened after 3 failures: later requests no longer reach the PMS
        calls_open = sum(stack.sim_state()["calls"].values())
        more = [_inventory(stack, start, end) for _ in range(3)]
        assert {r.status_code for r in more} == {503}
        assert sum(stack.sim_state()["calls"].values()) == calls_open


def _hold_taken(server: PrivateRedis) -> bool:
    import redis

    client = redis.Redis.from_url(server.url)
    try:
        return bool(client.keys(f"hold:{{{HOTEL}}}:*"))
    except redis.RedisError:
        return False
    finally:
        client.close()


def _wait_for(condition: Any, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.mark.parametrize(
    ("provider", "expected"),
    [("stripe", "confirmed"), ("sandbox", "failed")],  # the sandbox keeps its payments in Redis
)
def test_a_saga_in_flight_when_redis_dies_ends_in_an_allowed_state(
    tmp_path: Any, server: PrivateRedis, provider: str, expected: str
) -> None:
    db_url = f"sqlite:///{tmp_path}/inflight.db"
    gate = PauseGate(tmp_path / "gate", "after_hold")
    with ServerThread(create_simulator("stripe")) as stripe, ExitStack() as stack:
        env = {
            "PAYMENT_PROVIDER": provider,
            "PAYMENT_API_KEY": "sk_test_inflight",
            "STRIPE_BASE_URL": stripe.url,
            "ROOMGATE_RECOVERY_AFTER_SECONDS": "600",
            # the saga pauses after its hold until the test opens the gate: Redis dies while it waits there
            "ROOMGATE_DEBUG_FAULTS": gate.fault,
        }
        app = stack.enter_context(running_stack(db_url, redis_url=server.url, env=env))
        start, end = stay_dates(60, 2)
        token = "pm_card_visa" if provider == "stripe" else "tok_visa_1234"
        with ThreadPoolExecutor(1) as pool:
            # given a checkout that has taken its hold
            pending = pool.submit(app.checkout, checkout_body(start, end, token=token))
            gate.wait_arrived(1)
            assert _hold_taken(server)
            # when Redis dies under it, and then the saga goes on
            server.kill()
            gate.open()
            answer = pending.result(timeout=60)
        # then the guest gets an answer (no hang, no 500)
        assert answer.status_code in {200, 402}, answer.text
        booking_id = answer.headers.get("X-Booking-Id") or answer.json()["bookingId"]
        # and once Redis is back, recovery settles whatever was left open
        server.start()
        worker_env = {
            "DATABASE_URL": db_url,
            "REDIS_URL": server.url,
            "CLOUDBEDS_BASE_URL": f"{app.cloudbeds}/api/v1.3",
            f"PMS_{HOTEL}_API_KEY": KEY,
            **{k: v for k, v in env.items() if k != "ROOMGATE_DEBUG_FAULTS"},
        }

        rounds = itertools.count(1)

        def settled() -> bool:
            # each round 601 s later than the last (the worker's clock runs ahead): leases have run out
            ahead = {"ROOMGATE_DEBUG_FAULTS": f"clock=ahead:{601 * next(rounds)}"}
            result = run_worker_once({**worker_env, **ahead})
            assert "recovery:" in result.stdout, (
                result.stdout + result.stderr
            )  # a round ran (1: some deferred)
            return app.booking(booking_id)["status"] in {"confirmed", "failed"}

        assert _wait_for(settled, seconds=60)
        booking = app.booking(booking_id)
        live = [r for r in app.reservations("confirmed") if r["externalId"] == booking_id]
        intents = httpx2.get(f"{stripe.url}/_sim/state", timeout=10).json()["payment_intents"]
    assert booking["status"] == expected
    if expected == "confirmed":
        assert answer.status_code == 200
        assert len(live) == 1
        assert [i["status"] for i in intents] == ["succeeded"]
    else:
        assert answer.status_code == 402  # the sandbox could not reach its payment store
        assert live == []
        assert intents == []
