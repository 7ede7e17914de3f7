"""What the Cloudbeds connector sends and the simulator answers both conform to the vendor's OpenAPI file."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import parse_qsl

import pytest

from roomgate.pms.errors import PMSSoldOut
from roomgate.pms.types import GuestInfo, ReservationRequest
from tests.conftest import service_missing
from tests.contract.pms import openapi_check as oas
from tests.contract.pms.harness import CLOUDBEDS_KEY, Exchange, SimHarness

GUEST = GuestInfo("Ada", "Lee", "ada@example.com", "+82-10-1234-5678", "KR", "04524")


async def run_every_operation(cloudbeds: SimHarness) -> list[Exchange]:
    """Drive the connector through every Cloudbeds method it uses, including a business refusal."""
    seoul, busan = cloudbeds.cloudbeds(), cloudbeds.cloudbeds(hotel_id="hotel_777")
    await seoul.get_hotel_details()
    await seoul.get_room_types()
    await seoul.get_taxes()
    await seoul.get_inventory(["room_456"], date(2026, 3, 1), date(2026, 3, 3))
    await seoul.get_rates(None, date(2026, 3, 1), date(2026, 3, 3), 2, 1)
    created = await seoul.create_reservation(
        ReservationRequest(
            "bk_oas",
            "room_458",
            date(2026, 3, 1),
            date(2026, 3, 3),
            2,
            1,
            GUEST,
            rate_plan_id="rate_room_458",
        )
    )
    await seoul.find_reservation_by_external_id("bk_oas")
    await seoul.cancel_reservation(created.reservation_id)
    pending = await busan.create_reservation(
        ReservationRequest("bk_oas_2", "room_771", date(2026, 3, 1), date(2026, 3, 2), 1, 0, GUEST)
    )
    await busan.confirm_reservation(pending.reservation_id)
    await cloudbeds.control(
        "PUT",
        "/_sim/properties/hotel_777/inventory",
        {"roomTypeId": "room_772", "from": "2026-03-01", "to": "2026-03-02", "available": 0},
    )
    with pytest.raises(PMSSoldOut):
        await busan.create_reservation(
            ReservationRequest("bk_oas_3", "room_772", date(2026, 3, 1), date(2026, 3, 2), 1, 0, GUEST)
        )
    subscription = await seoul.subscribe_webhook(
        "reservation", "created", "https://rg.example/api/webhooks/pms/cloudbeds"
    )
    await seoul.list_webhooks()
    await seoul.unsubscribe_webhook(subscription)
    return cloudbeds.recorder.vendor_calls()


def method_of(exchange: Exchange) -> str:
    return exchange.request.url.path.rsplit("/", 1)[-1]


async def test_the_checked_in_spec_subset_matches_the_vendor_file() -> None:
    # given
    if not oas.FULL_SPEC.is_file():
        service_missing("the vendor OpenAPI file", str(oas.FULL_SPEC), "is not present (../shared/)")
    # when
    fresh = oas.subset(oas.load(oas.FULL_SPEC))
    # then
    assert fresh == oas.spec()


async def test_every_simulator_answer_conforms_to_the_spec(cloudbeds: SimHarness) -> None:
    # given
    exchanges = await run_every_operation(cloudbeds)
    # when
    problems = {
        f"{method_of(e)} #{i}": oas.validate(
            oas.response_schema(method_of(e)), json.loads(e.response.content)
        )
        for i, e in enumerate(exchanges)
    }
    # then every method was exercised and no answer departs from its schema
    assert {method_of(e) for e in exchanges} == set(oas.USED_METHODS)
    assert {name: found for name, found in problems.items() if found} == {}


async def test_every_request_uses_declared_parameters_and_encodings(cloudbeds: SimHarness) -> None:
    # given
    exchanges = await run_every_operation(cloudbeds)
    problems: list[str] = []
    # when
    for exchange in exchanges:
        method, request = method_of(exchange), exchange.request
        operation = oas.operation(method)
        if request.headers.get("x-api-key") != CLOUDBEDS_KEY:
            problems.append(f"{method}: no x-api-key header")
        if request.method.lower() != operation["verb"]:
            problems.append(f"{method}: sent {request.method}, spec says {operation['verb']}")
        if operation["verb"] in ("get", "delete"):
            declared = oas.query_parameters(method)
            sent = dict(request.url.params)
            problems += [
                f"{method}: undeclared query parameter {name}" for name in sent if name not in declared
            ]
            problems += [
                f"{method}: missing required {name}"
                for name, p in declared.items()
                if p.get("required") and name not in sent
            ]
        else:
            if request.headers.get("content-type") != "application/x-www-form-urlencoded":
                problems.append(f"{method}: not form-encoded")
            problems += form_problems(method, request.content.decode())
    # then
    assert problems == []


def form_problems(method: str, body: str) -> list[str]:
    """Each form name `root[i][key]` must name a declared property (and item property)."""
    schema = oas.form_schema(method)["properties"]
    problems = []
    for name, _ in parse_qsl(body, keep_blank_values=True):
        root, _, rest = name.partition("[")
        if root not in schema:
            problems.append(f"{method}: undeclared form field {root}")
        elif rest:
            key = rest.split("][")[-1].rstrip("]")
            items = oas.resolve(schema[root]).get("items", {}).get("properties", {})
            if key not in items:
                problems.append(f"{method}: undeclared field {name}")
    return problems


def test_the_checker_rejects_undeclared_fields_and_wrong_types() -> None:
    # given answers that break the getRoomTypes schema (negative control for the checker itself)
    schema = oas.response_schema("getRoomTypes")
    # when
    wrong_type = oas.validate(schema, {"success": True, "data": [{"roomTypeID": 456}]})
    undeclared = oas.validate(schema, {"success": True, "data": [{"roomTypeID": "456", "units": 3}]})
    not_nullable = oas.validate(schema, {"success": None})
    # then
    assert wrong_type == ["$.data[0].roomTypeID: int 456 is not string"]
    assert undeclared == ["$.data[0].units: not declared in the schema"]
    assert not_nullable == ["$.success: null but not nullable"]


def test_the_checker_accepts_the_documented_post_reservation_sample() -> None:
    # given the sample answer of vendor-apis.md §1.5 (values illustrative, shape from the schema)
    sample = {
        "success": True,
        "reservationID": "6954439751495",
        "status": "confirmed",
        "guestID": "123",
        "guestFirstName": "Ada",
        "guestLastName": "Lee",
        "guestEmail": "ada@example.com",
        "startDate": "2026-07-01",
        "endDate": "2026-07-03",
        "dateCreated": "2026-06-20 10:00:00",
        "grandTotal": 360.0,
        "unassigned": [
            {
                "subReservationID": "1",
                "roomTypeName": "Double",
                "roomTypeID": "555",
                "adults": 2,
                "children": 0,
                "dailyRates": [{"date": "2026-07-01", "rate": 180}],
                "roomTotal": 360,
            }
        ],
    }
    # when / then
    assert oas.validate(oas.response_schema("postReservation"), sample) == []
