"""A 500, should one still happen: the spec's body, the request id in the answer and in its one log line
(with the traceback, once), counted in the HTTP metrics; simulators mounted beside the product are not."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from prometheus_client import REGISTRY

from roomgate.app import create_app
from roomgate.cache.client import fresh_in_process_redis
from roomgate.config import Settings, load_settings
from roomgate.container import Container, build_container
from roomgate.ledger.migrate import upgrade
from roomgate.simulators.registry import create_simulator
from roomgate.simulators.server import ServerThread
from tests.e2e.log_capture import json_lines, product_logging
from tests.fake_keys import cloudbeds_key

BOOKING_ROUTE = "/api/bookings/{booking_id}"


class LedgerExploded(RuntimeError):
    pass


def broken_container(settings: Settings) -> Container:
    """A bug behind one route: reading a booking raises something no handler knows."""
    container = build_container(settings, redis=fresh_in_process_redis())

    async def get(booking_id: str) -> Any:
        raise LedgerExploded(f"ledger exploded reading {booking_id}")

    container.bookings.get = get  # type: ignore[method-assign]
    return container


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.delenv("REDIS_URL", raising=False)
    url = f"sqlite:///{tmp_path}/app.db"
    upgrade(url)
    app = create_app(
        load_settings(database_url=url),
        container_factory=broken_container,
        mounts={"/sim/cloudbeds": create_simulator("cloudbeds")},
    )
    with ServerThread(app) as srv:
        yield srv.url


def requests_total(**labels: str) -> float:
    return REGISTRY.get_sample_value("roomgate_http_requests_total", labels) or 0.0


def all_requests() -> float:
    return sum(
        sample.value
        for family in REGISTRY.collect()
        if family.name == "roomgate_http_requests"
        for sample in family.samples
        if sample.name.endswith("_total")
    )


def test_a_500_carries_the_callers_request_id_logs_it_once_and_is_counted(
    server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # given
    before = requests_total(method="GET", route=BOOKING_ROUTE, status="500")
    # when
    with product_logging():
        response = httpx2.get(f"{server}/api/bookings/bk_x", headers={"X-Request-Id": "client-req-7"})
    # then the answer is the spec's, with the caller's id
    assert response.status_code == 500
    assert response.json() == {"success": False, "error": "서버 내부 오류", "errorCode": "INTERNAL_ERROR"}
    assert response.headers.get_list("x-request-id") == ["client-req-7"]
    # one log line says what happened, with the id and the traceback; nothing logs it again
    output = capsys.readouterr().out
    errors = [line for line in json_lines(output) if line.get("level") == "error"]
    assert len(errors) == 1, output
    assert errors[0]["event"] == "unhandled_error" and errors[0]["request_id"] == "client-req-7"
    assert errors[0]["error"] == "LedgerExploded" and "Traceback" in errors[0]["exception"]
    assert output.count("Traceback") == 1
    assert "Exception in ASGI application" not in output
    # and it is counted like any other answer
    assert requests_total(method="GET", route=BOOKING_ROUTE, status="500") == before + 1


@pytest.mark.parametrize(
    "sent",
    ["x" * 65, "has space", "<script>", "semi;colon", "", "日本"],
    ids=["too long", "space", "markup", "semicolon", "empty", "non-ascii"],
)
def test_an_unfit_client_request_id_is_replaced(server: str, sent: str) -> None:
    response = httpx2.get(f"{server}/healthz", headers=[(b"x-request-id", sent.encode("utf-8"))])
    assert response.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["x-request-id"])


@pytest.mark.parametrize("sent", ["abc-123", "7f3e.9a:01", "A" * 64])
def test_a_fit_client_request_id_is_honoured(server: str, sent: str) -> None:
    assert httpx2.get(f"{server}/healthz", headers={"x-request-id": sent}).headers["x-request-id"] == sent


def test_simulator_requests_are_not_the_products_http_metrics(server: str) -> None:
    # given
    before = all_requests()
    # when the mounted simulator is used
    state = httpx2.get(f"{server}/sim/cloudbeds/_sim/state")
    details = httpx2.get(
        f"{server}/sim/cloudbeds/api/v1.3/getHotelDetails",
        params={"propertyID": "hotel_123"},
        headers={"x-api-key": cloudbeds_key("anything")},
    )
    # then they answered (with a request id) but nothing was counted
    assert state.status_code == details.status_code == 200 and "x-request-id" in state.headers
    assert all_requests() == before
    # negative control: a product request is counted
    httpx2.get(f"{server}/healthz")
    assert all_requests() == before + 1
