"""The API describes itself truthfully: typed answers, the 400s it really sends (never a 422), the admin
bearer scheme, /docs and /redoc from local files, strict types where the schema says so, 405 + Allow."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from tests.e2e.stack import ADMIN_TOKEN, Stack, checkout_body, running_stack, stay_dates


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(f"sqlite:///{tmp_path_factory.mktemp('describe')}/describe.db") as s:
        yield s


@pytest.fixture(scope="module")
def document(stack: Stack) -> dict[str, Any]:
    return stack.client.get(f"{stack.url}/openapi.json").json()  # type: ignore[no-any-return]


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, item in document["paths"].items() for m, op in item.items()]


def test_no_route_documents_the_422_the_server_never_sends(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        assert "422" not in operation["responses"], (method, path)
        if operation.get("parameters") or operation.get("requestBody"):
            error = operation["responses"]["400"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorOut"}, (method, path)
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_every_route_documents_a_typed_success_and_its_errors(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok.get("$ref", "").startswith("#/components/schemas/"), (method, path, ok)
    inventory = document["paths"]["/api/hotels/{hotel_id}/room-types/{room_type_id}/inventory"]["get"]
    assert inventory["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/InventoryOut"
    }
    checkout = document["paths"]["/api/booking/checkout"]["post"]["responses"]
    assert {"400", "402", "404", "409", "500", "502", "503"} <= set(checkout)


def test_every_answer_documents_its_request_id_and_a_checkout_its_booking(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            assert response["headers"]["x-request-id"]["required"] is True, (method, path, status)
    checkout = document["paths"]["/api/booking/checkout"]["post"]["responses"]
    assert all("X-Booking-Id" in response["headers"] for response in checkout.values())


def test_admin_routes_declare_the_bearer_scheme(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes == {
        "adminToken": {
            "type": "http",
            "scheme": "bearer",
            "description": schemes["adminToken"]["description"],
        }
    }
    for method, path, operation in _operations(document):
        expected = [{"adminToken": []}] if path.startswith("/api/admin") else None
        assert operation.get("security") == expected, (method, path)


def test_a_401_names_the_bearer_scheme(stack: Stack) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {ADMIN_TOKEN}"}):
        response = stack.client.get(f"{stack.url}/api/admin/status", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["errorCode"] == "UNAUTHORIZED"
    assert stack.admin("GET", "/status").status_code == 200


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_everything_from_this_server(stack: Stack, page: str) -> None:
    html = stack.client.get(f"{stack.url}{page}").text
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    urls += re.findall(r"""url:\s*["']([^"']+)["']""", html)
    urls += re.findall(r"""spec-url=["']([^"']+)["']""", html)
    assert urls, html
    assert "http" not in html  # no absolute URL anywhere: the page works without internet
    assert "//" not in " ".join(urls), urls  # no scheme, no CDN: relative to this server only
    assert "/openapi.json" in urls
    for url in urls:
        response = stack.client.get(f"{stack.url}{url}")
        assert response.status_code == 200, url
        assert len(response.content) > 100, url


def test_swagger_ui_asset_is_a_version_that_renders_openapi_3_1(
    stack: Stack, document: dict[str, Any]
) -> None:
    assert document["openapi"].startswith("3.1")
    bundle = stack.client.get(f"{stack.url}/_docs/swagger-ui-bundle.js").text
    assert re.search(r'"5\.\d+\.\d+"', bundle), "Swagger UI 5 is the first to render OpenAPI 3.1"


def _checkout(stack: Stack, **changes: Any) -> Any:
    body = checkout_body(*stay_dates(offset_days=90))
    for key, value in changes.items():
        if key.startswith("payment_"):
            body["payment"][key.removeprefix("payment_")] = value
        else:
            body[key] = value
    return stack.checkout(body)


@pytest.mark.parametrize(
    "change",
    [
        {"children": False},
        {"adults": True},
        {"children": 0.0},
        {"vendor": ""},
        {"payment_paymentKey": ""},
        {"checkIn": ""},
    ],
    ids=str,
)
def test_types_the_schema_forbids_are_refused(stack: Stack, change: dict[str, Any]) -> None:
    # given nothing booked yet
    before = stack.sim_state()["calls"].get("postReservation", 0)
    # when
    response = _checkout(stack, **change)
    # then
    assert response.status_code == 400, response.text
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert "X-Booking-Id" not in response.headers
    assert stack.sim_state()["calls"].get("postReservation", 0) == before


def test_the_schema_forbids_what_the_server_refuses(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    checkout = schemas["CheckoutIn"]["properties"]
    assert checkout["children"]["type"] == "integer" and checkout["adults"]["type"] == "integer"
    assert checkout["vendor"]["enum"] == ["cloudbeds", "mews"]
    payment_key = schemas["PaymentIn"]["properties"]["paymentKey"]["anyOf"][0]
    assert payment_key["minLength"] == 1
    assert schemas["DegradedIn"]["properties"]["enabled"]["type"] == "boolean"
    assert (
        checkout["checkIn"]["pattern"] == checkout["checkOut"]["pattern"] == r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
    )
    inventory = document["paths"]["/api/hotels/{hotel_id}/room-types/{room_type_id}/inventory"]["get"]
    for parameter in inventory["parameters"]:
        if parameter["name"] in {"from", "to"}:
            assert parameter["schema"]["pattern"] == checkout["checkIn"]["pattern"]
        if parameter["name"] == "vendor":
            assert parameter["schema"]["enum"] == ["cloudbeds", "mews"]


def test_the_checkout_example_is_a_stay_in_the_future(document: dict[str, Any]) -> None:
    example = document["components"]["schemas"]["CheckoutIn"]["example"]
    assert date.fromisoformat(example["checkIn"]) > date.today() + timedelta(days=7)


@pytest.mark.parametrize("field", ["from", "to"])
def test_an_empty_date_query_is_refused_as_the_schema_says(stack: Stack, field: str) -> None:
    params = {"vendor": "cloudbeds", "from": "2030-01-01", "to": "2030-01-03", field: ""}
    response = stack.client.get(
        f"{stack.url}/api/hotels/hotel_123/room-types/room_456/inventory", params=params
    )
    assert response.status_code == 400 and field in response.json()["error"]


@pytest.mark.parametrize("enabled", [0, 1, "true", None])
def test_admin_degraded_accepts_only_a_json_boolean(stack: Stack, enabled: Any) -> None:
    response = stack.admin("POST", "/degraded", json={"enabled": enabled})
    assert response.status_code == 400, response.text
    assert stack.admin("GET", "/status").json()["degraded"] == {"global": None, "hotels": {}}


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/booking/checkout", "POST"),
        ("GET", "/api/booking/checkout", "POST"),
        ("PUT", "/api/bookings/bk_1", "GET"),
        ("POST", "/healthz", "GET"),
    ],
)
def test_a_405_says_which_methods_the_path_takes(stack: Stack, method: str, path: str, allowed: str) -> None:
    response = stack.client.request(method, f"{stack.url}{path}")
    assert response.status_code == 405
    assert allowed in response.headers["Allow"]
    assert response.json()["success"] is False
