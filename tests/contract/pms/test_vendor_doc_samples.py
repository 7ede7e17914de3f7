"""The vendors' documented payloads, served at the network edge (MockTransport), read by the connectors."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx2
import pytest

from roomgate.clock import FakeClock
from roomgate.domain.money import Money
from roomgate.pms.cloudbeds import CloudbedsConnector
from roomgate.pms.errors import PMSAuthenticationError, PMSBadRequest, PMSSoldOut
from roomgate.pms.mews import MewsConnector
from roomgate.pms.types import GuestInfo, ReservationRequest, ReservationStatus
from tests.fake_keys import cloudbeds_key

FIXTURES = Path(__file__).parent / "fixtures"
CLOUDBEDS = json.loads((FIXTURES / "cloudbeds-doc-samples.json").read_text(encoding="utf-8"))
MEWS = json.loads((FIXTURES / "mews-doc-examples.json").read_text(encoding="utf-8"))
Handler = Callable[[httpx2.Request], httpx2.Response]


def serve(answers: dict[str, Any], seen: list[httpx2.Request], status: int = 200) -> Handler:
    """Answer each request with the sample named by the last path segments."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        path = request.url.path
        name = (
            path.split("/api/connector/v1/", 1)[-1].replace("/", "-")
            if "connector" in path
            else path.rsplit("/", 1)[-1]
        )
        return httpx2.Response(status, json=answers[name])

    return handler


async def cloudbeds(
    answers: dict[str, Any], seen: list[httpx2.Request], status: int = 200
) -> CloudbedsConnector:
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(serve(answers, seen, status)))
    return CloudbedsConnector(
        hotel_id="123",
        api_key=cloudbeds_key("sample"),
        http=http,
        base_url="https://api.cloudbeds.com/api/v1.3",
        timeout=5.0,
        clock=FakeClock(),
    )


async def test_cloudbeds_sends_the_documented_post_reservation_form_and_reads_the_sample_answer() -> None:
    # given the documented sample answer
    seen: list[httpx2.Request] = []
    connector = await cloudbeds({"postReservation": CLOUDBEDS["postReservation"]}, seen)
    request = ReservationRequest(
        "OUR-BOOKING-42",
        "555",
        date(2026, 7, 1),
        date(2026, 7, 3),
        2,
        0,
        GuestInfo("Ada", "Lee", "ada@example.com", "", "KR", "04524"),
        total=Money.of("360", "USD"),
        rate_plan_id="9001",
    )
    # when
    created = await connector.create_reservation(request)
    # then the form is exactly the documented sample request (order aside), PHP brackets and all
    sent = seen[0]
    assert (sent.method, sent.url.path) == ("POST", "/api/v1.3/postReservation")
    assert sent.headers["x-api-key"] == cloudbeds_key("sample")
    assert sorted(parse_qsl(sent.content.decode())) == sorted(parse_qsl(CLOUDBEDS["postReservationRequest"]))
    assert (created.reservation_id, created.status) == ("6954439751495", ReservationStatus.CONFIRMED)
    assert created.total == Money(Decimal("360.00"), "USD")
    assert (created.check_in, created.check_out, created.room_type_id) == (
        date(2026, 7, 1),
        date(2026, 7, 3),
        "555",
    )


async def test_cloudbeds_reads_the_documented_reservation_shape() -> None:
    # given
    seen: list[httpx2.Request] = []
    connector = await cloudbeds(
        {k: CLOUDBEDS[k] for k in ("getReservation", "getHotelDetails", "getHotels")}, seen
    )
    # when
    reservation = await connector.get_reservation("6954439751495")
    hotel = await connector.get_hotel_details()
    # then decimals stay exact (360.5 never passes through float)
    assert reservation.status is ReservationStatus.TENTATIVE and reservation.raw_status == "not_confirmed"
    assert (reservation.external_id, reservation.room_type_id) == ("OUR-BOOKING-42", "555")
    assert reservation.total == Money(Decimal("360.50"), "USD")
    assert (hotel.name, hotel.currency, hotel.timezone, hotel.city) == (
        "Sample Hotel",
        "USD",
        "America/Chicago",
        "Austin",
    )
    assert dict(seen[0].url.params) == {"propertyID": "123", "reservationID": "6954439751495"}


@pytest.mark.parametrize("body", CLOUDBEDS["unauthorized"])
async def test_cloudbeds_401_bodies_are_authentication_errors(body: dict[str, str]) -> None:
    # given
    connector = await cloudbeds({"getRoomTypes": body}, [], status=401)
    # when / then
    with pytest.raises(PMSAuthenticationError):
        await connector.get_room_types()


@pytest.mark.parametrize("message", CLOUDBEDS["authMessages"])
async def test_cloudbeds_documented_http_200_auth_failures_are_authentication_errors(message: str) -> None:
    # given
    connector = await cloudbeds({"getRoomTypes": {"success": False, "message": message}}, [])
    # when / then
    with pytest.raises(PMSAuthenticationError):
        await connector.get_room_types()


async def test_cloudbeds_cancel_counts_an_already_cancelled_refusal_as_done() -> None:
    # given a vendor that refuses to cancel twice
    def answers(status: str) -> dict[str, Any]:
        return {
            "putReservation": {"success": False, "message": "Reservation is already canceled"},
            "getReservation": {
                "success": True,
                "data": {**CLOUDBEDS["getReservation"]["data"], "status": status},
            },
            "getHotelDetails": CLOUDBEDS["getHotelDetails"],
            "getHotels": CLOUDBEDS["getHotels"],
        }

    # when the reservation is in fact canceled, then the refusal counts as done, after looking
    seen: list[httpx2.Request] = []
    await (await cloudbeds(answers("canceled"), seen)).cancel_reservation("6954439751495")
    paths = [r.url.path.rsplit("/", 1)[-1] for r in seen]
    assert paths[0] == "putReservation" and "getReservation" in paths
    # and when it is still confirmed, the same refusal is an error (negative control)
    with pytest.raises(PMSBadRequest):
        await (await cloudbeds(answers("confirmed"), [])).cancel_reservation("6954439751495")


def mews_connector(answers: dict[str, Any], seen: list[httpx2.Request], status: int = 200) -> MewsConnector:
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(serve(answers, seen, status)))
    return MewsConnector(
        hotel_id="hotel_doc",
        access_token="C66EF7B2-access",
        client_token="E0D439EE-client",
        http=http,
        base_url="https://api.mews-demo.com",
        timeout=5.0,
        clock=FakeClock(),
    )


async def test_mews_reads_the_documented_configuration_availability_and_pricing() -> None:
    # given every documented example answer
    seen: list[httpx2.Request] = []
    connector = mews_connector(MEWS, seen)
    # when
    hotel = await connector.get_hotel_details()
    inventory = await connector.get_inventory(None, date(2017, 1, 2), date(2017, 1, 5))
    rates = await connector.get_rates(None, date(2022, 1, 2), date(2022, 1, 5), 2, 0)
    # then Budapest (UTC+1) local dates, GBP default currency, EUR prices from the example
    assert (hotel.name, hotel.currency, hotel.timezone, hotel.city) == (
        "Connector API Hotel",
        "GBP",
        "Europe/Budapest",
        "Prague",
    )
    first = [
        (n.date, n.available) for n in inventory if n.room_type_id == "773d5e42-de1e-43a0-9ce6-f940faf2303f"
    ]
    assert first == [(date(2017, 1, 2), 6), (date(2017, 1, 3), 7), (date(2017, 1, 4), 5)]
    assert [(r.date, r.price) for r in rates] == [
        (date(2022, 1, 2), Money.of("100", "EUR")),
        (date(2022, 1, 3), Money.of("100", "EUR")),
    ]
    availability = json.loads([r for r in seen if r.url.path.endswith("getAvailability")][0].content)
    assert availability["FirstTimeUnitStartUtc"] == "2017-01-01T23:00:00Z"
    assert availability["LastTimeUnitStartUtc"] == "2017-01-03T23:00:00Z"


async def test_mews_reads_the_documented_add_and_get_all_answers() -> None:
    # given
    seen: list[httpx2.Request] = []
    connector = mews_connector(MEWS, seen)
    request = ReservationRequest(
        "bk_doc",
        "0a5da171-3663-4496-a61e-35ecbd78b9b1",
        date(2016, 2, 20),
        date(2016, 2, 22),
        2,
        0,
        GuestInfo("Thea", "Carbone", "thea@example.com"),
        hold_seconds=180,
    )
    # when
    created = await connector.create_reservation(request)
    found = await connector.find_reservation_by_external_id("TW48ZP")
    # then
    assert (created.reservation_id, created.confirmation_number) == (
        "bfee2c44-1f84-4326-a862-5289598f6e2d",
        "52",
    )
    assert created.status is ReservationStatus.OTHER and created.raw_status == "Processed"
    assert (created.check_in, created.check_out) == (date(2016, 2, 20), date(2016, 2, 22))
    assert found is not None and found.status is ReservationStatus.CONFIRMED
    assert (found.reservation_id, found.check_in, found.check_out) == (
        "0f515589-99b4-423d-b83a-b237009f0509",
        date(2023, 4, 23),
        date(2023, 4, 25),
    )
    add = json.loads([r for r in seen if r.url.path.endswith("reservations/add")][0].content)
    sent = add["Reservations"][0]
    assert (sent["State"], sent["ChannelNumber"], sent["Identifier"]) == ("Optional", "bk_doc", "bk_doc")
    assert sent["StartUtc"] == "2016-02-20T14:00:00Z"  # local midnight (UTC+1) + StartOffset 15 h
    assert sent["EndUtc"] == "2016-02-22T11:00:00Z"  # local midnight + EndOffset 12 h


async def test_mews_error_bodies_are_read_by_status_and_message() -> None:
    # given the documented error object on a 403
    error = {
        "Message": "No availability for the requested category.",
        "RequestId": "1f7f6c12",
        "Details": None,
    }
    connector = mews_connector({"configuration-get": error}, [], status=403)
    # when / then
    with pytest.raises(PMSSoldOut) as raised:
        await connector.get_hotel_details()
    assert "No availability" in str(raised.value) and raised.value.status == 403
