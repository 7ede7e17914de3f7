"""Mews simulator answers and connector requests match the field tables of the Mews docs."""

from __future__ import annotations

import json
from datetime import date

import pytest

from roomgate.pms.errors import PMSSoldOut
from roomgate.pms.types import GuestInfo, ReservationRequest
from tests.contract.pms import mews_doc_check as docs
from tests.contract.pms.harness import MEWS_ACCESS_TOKEN, MEWS_CLIENT_TOKEN, Exchange, SimHarness

GUEST = GuestInfo("Ada", "Lee", "ada@example.com", "+82-10-1234-5678", "KR")
API = "/api/connector/v1/"


async def run_every_operation(mews: SimHarness) -> list[Exchange]:
    connector = mews.mews()
    await connector.get_hotel_details()
    await connector.get_room_types()
    await connector.get_inventory(None, date(2026, 3, 1), date(2026, 3, 3))
    await connector.get_rates(None, date(2026, 3, 1), date(2026, 3, 3), 2, 0)
    held = await connector.create_reservation(
        ReservationRequest(
            "bk_docs", "room_458", date(2026, 3, 1), date(2026, 3, 3), 2, 1, GUEST, hold_seconds=180
        )
    )
    await connector.confirm_reservation(held.reservation_id)
    await mews.control("PUT", "/_sim/properties/hotel_123/price-adjustment", {"amount": "2000"})
    await connector.get_reservation_total(held.reservation_id)
    await connector.find_reservation_by_external_id("bk_docs")
    await connector.cancel_reservation(held.reservation_id)
    await mews.control(
        "PUT",
        "/_sim/properties/hotel_123/inventory",
        {"roomTypeId": "room_457", "from": "2026-03-01", "to": "2026-03-02", "available": 0},
    )
    with pytest.raises(PMSSoldOut):
        await connector.create_reservation(
            ReservationRequest("bk_full", "room_457", date(2026, 3, 1), date(2026, 3, 2), 1, 0, GUEST)
        )
    return mews.recorder.vendor_calls()


def operation_of(exchange: Exchange) -> str:
    return exchange.request.url.path.split(API, 1)[1]


async def test_every_answer_has_the_documented_fields_and_no_others(mews: SimHarness) -> None:
    # given
    exchanges = await run_every_operation(mews)
    # when
    problems = {
        f"{operation_of(e)} #{i}": docs.answer_problems(
            operation_of(e), e.response.status_code, e.response.json()
        )
        for i, e in enumerate(exchanges)
    }
    # then every operation the connector uses was seen and conforms
    assert {operation_of(e) for e in exchanges} == set(docs.WALKS)
    assert {name: found for name, found in problems.items() if found} == {}


async def test_every_request_is_an_authenticated_json_post(mews: SimHarness) -> None:
    # given
    exchanges = await run_every_operation(mews)
    # when
    bodies = [(operation_of(e), e.request.method, json.loads(e.request.content)) for e in exchanges]
    # then
    for operation, method, body in bodies:
        assert method == "POST", operation
        assert (body["ClientToken"], body["AccessToken"]) == (MEWS_CLIENT_TOKEN, MEWS_ACCESS_TOKEN), operation
        assert body["Client"], operation
        if operation.endswith("getAll") or operation.endswith("2023-06-06"):
            assert 1 <= body["Limitation"]["Count"] <= 1000, operation
    cancel = next(body for operation, _, body in bodies if operation == "reservations/cancel")
    assert cancel["Notes"]


def test_the_checker_flags_missing_and_undocumented_fields() -> None:
    # given (negative control for the checker)
    answer = {"ReservationIds": None, "Extra": 1}
    # when
    problems = docs.answer_problems("reservations/cancel", 200, answer)
    # then
    assert problems == [
        "$.ReservationIds: required by the docs (reservations/cancel response)",
        "$.Extra: not documented for reservations/cancel response",
    ]
