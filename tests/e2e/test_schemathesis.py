"""Schemathesis over the whole API: the embedded app in-process (ASGI; in-process Redis, SQLite) with the
Cloudbeds and Mews simulators on real sockets. Bounded and seeded, so a run is the same every time.

The checks: no 5xx; every status, content type, header and body is the documented one; input the
schema forbids is refused (4xx); an undocumented method is a 405 with `Allow`; the admin routes
refuse a request without the bearer token. Not checked: that every schema-valid input is accepted
(`positive_data_acceptance`): the schema cannot say that a stay must be in the future or that
`payment.amount` must equal the server's price, so those schema-valid requests are rightly 400s.

Run alone: `.venv/bin/python -m pytest -m schemathesis -p no:cacheprovider -q`."""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fakeredis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from roomgate.app import create_app
from roomgate.cache.client import create_redis
from roomgate.config import load_settings
from roomgate.container import build_container
from roomgate.ledger.migrate import upgrade
from roomgate.simulators.registry import create_simulator
from roomgate.simulators.server import ServerThread
from tests.e2e.stack import checkout_body, stay_dates
from tests.fake_keys import cloudbeds_key

pytestmark = [pytest.mark.schemathesis, pytest.mark.slow]

ADMIN_TOKEN = "schemathesis-admin-token"
MAX_EXAMPLES = 60  # per operation and generated mode
MAX_COVERAGE_CASES = 150  # per operation
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    unsupported_method,
    ignored_auth,
]


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / Path('ledger.db')}"
    upgrade(database_url)
    with (
        ServerThread(create_simulator("cloudbeds")) as cloudbeds,
        ServerThread(create_simulator("mews")) as mews,
    ):
        env = {
            "CLOUDBEDS_BASE_URL": f"{cloudbeds.url}/api/v1.3",
            "MEWS_BASE_URL": mews.url,
            "MEWS_CLIENT_TOKEN": "schemathesis-client",
            "PMS_hotel_123_API_KEY": cloudbeds_key("schemathesis_key"),
            "PMS_hotel_555_API_KEY": "schemathesis-mews-token",
            "PMS_hotel_555_VENDOR": "mews",
            "PAYMENT_PROVIDER": "sandbox",
            "ROOMGATE_ADMIN_TOKEN": ADMIN_TOKEN,
            "ROOMGATE_PMS_TIMEOUT_SECONDS": "3",
            "ROOMGATE_RETRY_ATTEMPTS": "0",
        }
        previous = {key: os.environ.get(key) for key in env}
        redis_server = fakeredis.FakeServer()
        os.environ.update(env)
        try:
            app = create_app(
                load_settings(database_url=database_url, redis_url=None),
                # schemathesis may restart the lifespan between tests: one Redis server for them all
                container_factory=lambda s: build_container(s, redis=create_redis(None, server=redis_server)),
            )
            schema = schemathesis.openapi.from_asgi("/openapi.json", app)
            with asgi.get_client(app) as client:
                booked = client.post("/api/booking/checkout", json=checkout_body(*STAY))
            assert booked.status_code == 200, booked.text
            ANCHORS["booking_id"] = booked.json()["bookingId"]
            yield schema
        finally:
            for key, value in previous.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


STAY = stay_dates(offset_days=45)
ANCHORS: dict[str, str] = {}


def _anchored(path: str) -> dict[str, Any]:
    """Real ids and a bookable stay for the path; everything else is still generated."""
    check_in, check_out = (day.isoformat() for day in STAY)
    if path.endswith("/inventory"):
        return {
            "path_parameters": {"hotel_id": "hotel_123", "room_type_id": "room_456"},
            "query": {"vendor": "cloudbeds", "from": check_in, "to": check_out},
        }
    if path.endswith("/availability"):
        return {
            "path_parameters": {"hotel_id": "hotel_555"},
            "query": {"vendor": "mews", "checkIn": check_in, "checkOut": check_out},
        }
    if path == "/api/booking/checkout":
        return {"body": checkout_body(*STAY)}
    if path.startswith("/api/bookings/"):
        return {"path_parameters": {"booking_id": ANCHORS.get("booking_id", "")}}
    return {}


RECORD_TO = os.environ.get("ROOMGATE_SCHEMATHESIS_RECORD")  # a file: one line per request, for reports


def _record(method: str, path: str, mode: str, status: int) -> None:
    if RECORD_TO:
        with open(RECORD_TO, "a", encoding="utf-8") as record:
            record.write(f"{method} {path} {mode} {status}\n")


def _negative_possible(operation: dict[str, Any]) -> bool:
    """Generated invalid input needs something to break: a body, a path or header parameter, or a
    query parameter with a pattern. Optional integer query parameters alone (paging) leave schemathesis
    nothing it can send that a server must refuse, and it reports the operation as unsatisfiable; their
    bounds are covered by the `coverage` cases (boundaries and wrong types)."""
    if operation.get("requestBody"):
        return True
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter.get("in") != "query" or parameter.get("required") or schema.get("type") != "integer":
            return True
    return False


def _cases() -> list[tuple[str, str, str]]:
    # The schema alone (no lifespan, no I/O) names the tests: each operation with valid input, with
    # invalid input where it takes any, and with real ids and dates where it names a hotel or booking.
    document = create_app(load_settings(database_url="sqlite://")).openapi()
    cases = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            cases.append((method.upper(), path, "positive"))
            if _negative_possible(operation):
                cases.append((method.upper(), path, "negative"))
            if _anchored(path):
                cases.append((method.upper(), path, "anchored"))
            cases.append((method.upper(), path, "coverage"))
    return cases


@pytest.mark.parametrize(("method", "path", "mode"), _cases())
def test_the_api_answers_as_documented(api_schema: Any, method: str, path: str, mode: str) -> None:
    operation = api_schema[path][method]
    statuses: Counter[int] = Counter()
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"} if path.startswith("/api/admin") else None
    if mode == "coverage":
        # schemathesis' deterministic coverage cases: boundaries, wrong types (`"children": false`),
        # missing fields, and methods the path does not take (405 + Allow)
        generated = api_schema.iter_coverage_cases(
            operation,
            generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
            generation_config=api_schema.config.generation_for(operation=operation, phase="coverage"),
        )
        for case in itertools.islice(generated, MAX_COVERAGE_CASES):
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            statuses[response.status_code] += 1
            _record(method, path, mode, response.status_code)
        assert statuses
        return
    if mode == "anchored":
        strategy = operation.as_strategy(GenerationMode.POSITIVE, **_anchored(path))
    else:
        strategy = operation.as_strategy(GenerationMode(mode))

    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,  # the same cases every run
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=[Phase.generate],
    )
    def answers_as_documented(case: Any) -> None:
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses[response.status_code] += 1
        _record(method, path, mode, response.status_code)

    answers_as_documented()
    if mode == "anchored":  # the run reached the success answers, whose bodies were checked too
        assert any(200 <= status < 300 for status in statuses), statuses
