"""PMS outage end to end: the breaker opens, reads come from last-known-good data, checkouts are refused
with the spec's degraded-mode message, and everything recovers when the PMS returns."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from roomgate.clock import FakeClock
from roomgate.pms.cloudbeds import CloudbedsConnector
from tests.e2e.stack import ADMIN_TOKEN, HOTEL, Stack, checkout_body, running_stack, stay_dates


@pytest.fixture
def clock() -> FakeClock:
    """roomgate's time, moved by the test (starting now, so `stay_dates` are bookable)."""
    return FakeClock(time.time())


@pytest.fixture
def stack(tmp_path: Path, clock: FakeClock) -> Iterator[Stack]:
    env = {
        "ROOMGATE_BREAKER_OPEN_SECONDS": "1",
        "ROOMGATE_RETRY_ATTEMPTS": "0",
        "ROOMGATE_INV_TTL_SECONDS": "1",
        "ROOMGATE_RATE_TTL_SECONDS": "1",
        "ROOMGATE_TTL_JITTER_RATIO": "0",
    }
    with running_stack(f"sqlite:///{tmp_path}/degraded.db", env=env, clock=clock) as s:
        yield s


def test_outage_serves_cache_refuses_checkout_and_recovers(stack: Stack, clock: FakeClock) -> None:
    def _expire_fresh_cache() -> None:
        clock.advance(1.2)  # past the 1 s fresh TTL, so the next read must go to the PMS

    start, end = stay_dates(offset_days=70)
    # given availability read once while the PMS was healthy
    assert stack.availability(start, end)["source"] == "pms"
    # when the PMS starts failing with 500s
    stack.faults(status=500)
    _expire_fresh_cache()
    calls_before = sum(stack.sim_state()["calls"].values())
    answers = [stack.availability(start, end) for _ in range(8)]
    # then every read is answered from last-known-good data, with its age
    assert all(a["success"] and a["source"] == "cache" for a in answers)
    assert all(a["ageSeconds"] >= 1 for a in answers)
    assert [n["available"] for n in answers[-1]["nights"]] == [5, 5]
    # and the breaker opened after 5 failed calls: the PMS saw no more than that (each call a rate read
    # of `inventory_and_rates_requests` getRatePlans side by side: the party's extra-guest charges)
    per_call = CloudbedsConnector.inventory_and_rates_requests
    assert sum(stack.sim_state()["calls"].values()) - calls_before == 5 * per_call
    status = stack.admin("GET", "/status").json()
    assert [b["state"] for b in status["breakers"] if b["hotelId"] == HOTEL] == ["OPEN"]
    # and checkouts are refused with the spec's message while degraded
    refused = stack.checkout(checkout_body(start, end))
    assert refused.status_code == 503
    assert refused.json()["errorCode"] == "SERVICE_DEGRADED"
    assert refused.json()["error"].startswith("Degraded Mode: 현재 예약이 불가능합니다. (")
    # when the PMS comes back and the open period has passed
    stack.faults()
    clock.advance(1.1)
    for _ in range(3):  # half-open probes: 2 successes close the breaker
        stack.availability(start, end)
        _expire_fresh_cache()
    # then the breaker is closed, degraded mode ended by itself and a checkout succeeds
    status = stack.admin("GET", "/status").json()
    assert [b["state"] for b in status["breakers"] if b["hotelId"] == HOTEL] == ["CLOSED"]
    booked = stack.checkout(checkout_body(start, end))
    assert booked.status_code == 200, booked.text


def test_nothing_cached_and_pms_down_is_a_clear_503(stack: Stack) -> None:
    stack.faults(status=503)
    start, end = stay_dates(offset_days=71)
    response = stack.client.get(
        f"{stack.url}/api/hotels/{HOTEL}/availability",
        params={"vendor": "cloudbeds", "checkIn": start.isoformat(), "checkOut": end.isoformat()},
    )
    assert response.status_code == 503
    assert response.json()["success"] is False and response.json()["errorCode"] == "PMS_UNAVAILABLE"


def test_admin_switches_degraded_mode_and_needs_the_token(stack: Stack) -> None:
    start, end = stay_dates(offset_days=72)
    unauthenticated = stack.client.post(f"{stack.url}/api/admin/degraded", json={"enabled": True})
    assert unauthenticated.status_code == 401 and unauthenticated.json()["errorCode"] == "UNAUTHORIZED"
    wrong = stack.client.get(f"{stack.url}/api/admin/status", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    on = stack.admin("POST", "/degraded", json={"enabled": True, "reason": "PMS API 다운", "hotelId": HOTEL})
    assert on.status_code == 200
    refused = stack.checkout(checkout_body(start, end))
    assert refused.json()["error"] == "Degraded Mode: 현재 예약이 불가능합니다. (PMS API 다운)"
    assert stack.availability(start, end)["success"] is True  # reads keep working
    stack.admin("POST", "/degraded", json={"enabled": False, "hotelId": HOTEL})
    assert stack.checkout(checkout_body(start, end)).status_code == 200
    assert ADMIN_TOKEN not in str(stack.admin("GET", "/status").json())
