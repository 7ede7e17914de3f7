"""The app over real HTTP: health, readiness, metrics, docs and the error shape for bad input."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest

from roomgate.app import create_app
from roomgate.config import load_settings
from roomgate.ledger.migrate import upgrade
from roomgate.simulators.server import ServerThread


@pytest.fixture
def server(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("REDIS_URL", raising=False)
    url = f"sqlite:///{tmp_path}/app.db"
    upgrade(url)
    app = create_app(load_settings(database_url=url))
    with ServerThread(app) as srv:
        yield srv.url


def test_health_ready_metrics_and_docs(server: str) -> None:
    assert httpx2.get(f"{server}/healthz").json() == {"status": "ok"}
    ready = httpx2.get(f"{server}/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "redis": "ok"}
    assert "roomgate_http_requests_total" in httpx2.get(f"{server}/metrics").text
    assert httpx2.get(f"{server}/docs").status_code == 200
    assert "/healthz" in httpx2.get(f"{server}/openapi.json").json()["paths"]


def test_unknown_path_uses_the_spec_error_shape(server: str) -> None:
    response = httpx2.get(f"{server}/api/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "찾을 수 없습니다", "errorCode": "NOT_FOUND"}


def test_readyz_reports_an_unreachable_database(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("REDIS_URL", raising=False)
    settings = load_settings(database_url="postgresql://nobody@127.0.0.1:1/none")
    with ServerThread(create_app(settings)) as srv:
        response = httpx2.get(f"{srv.url}/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("error")
