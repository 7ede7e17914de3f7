"""The request middleware over a real socket: request ids in logs and responses, HTTP metrics."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
import structlog
from prometheus_client import REGISTRY

from roomgate.app import create_app
from roomgate.config import load_settings
from roomgate.ledger.migrate import upgrade
from roomgate.simulators.server import ServerThread

SEEN: list[dict[str, Any]] = []


async def probe(scope: Any, receive: Any, send: Any) -> None:
    """A mounted ASGI app that records the log context it runs in."""
    SEEN.append(structlog.contextvars.get_contextvars())
    headers = [(b"content-type", b"text/plain"), (b"x-request-id", b"from-the-app")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def server(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("REDIS_URL", raising=False)
    url = f"sqlite:///{tmp_path}/app.db"
    upgrade(url)
    with ServerThread(create_app(load_settings(database_url=url), mounts={"/probe": probe})) as srv:
        yield srv.url


def requests_total(route: str, status: str) -> float:
    labels = {"method": "GET", "route": route, "status": status}
    return REGISTRY.get_sample_value("roomgate_http_requests_total", labels) or 0.0


def test_a_callers_request_id_is_in_the_log_context_and_echoed_once(server: str) -> None:
    # given
    SEEN.clear()
    # when
    response = httpx2.get(f"{server}/probe/x", headers={"x-request-id": "req-42"})
    # then the app's own x-request-id is replaced, not doubled
    assert response.status_code == 200
    assert response.headers.get_list("x-request-id") == ["req-42"]
    assert SEEN == [{"request_id": "req-42"}]


def test_without_one_each_request_gets_a_new_id(server: str) -> None:
    # when
    first = httpx2.get(f"{server}/healthz").headers["x-request-id"]
    second = httpx2.get(f"{server}/healthz").headers["x-request-id"]
    # then
    assert re.fullmatch(r"[0-9a-f]{16}", first) and re.fullmatch(r"[0-9a-f]{16}", second)
    assert first != second


def test_requests_are_counted_by_route_template_and_status(server: str) -> None:
    # given
    route = "/api/hotels/{hotel_id}/availability"
    before = (requests_total(route, "400"), requests_total("unmatched", "404"))
    # when a bad availability query and an unknown path arrive
    bad = httpx2.get(f"{server}/api/hotels/hotel_123/availability", params={"vendor": "cloudbeds"})
    unknown = httpx2.get(f"{server}/no/such/path")
    # then
    assert (bad.status_code, unknown.status_code) == (400, 404)
    assert "x-request-id" in bad.headers and "x-request-id" in unknown.headers
    assert requests_total(route, "400") == before[0] + 1
    assert requests_total("unmatched", "404") == before[1] + 1
