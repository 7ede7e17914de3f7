"""Answers that do not mislead: payment states in the booking view, `X-Booking-Id` only for a booking
that exists, one vendor per hotel, a PMS that refuses is not "unavailable", and the metrics that count
what happened (checkouts, refusals, cancellations)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from tests.e2e.log_capture import json_lines, product_logging
from tests.e2e.stack import HOTEL, ROOM, Stack, checkout_body, running_stack, stay_dates
from tests.fake_keys import cloudbeds_key

MEWS_HOTEL = "hotel_777"  # configured as a Mews hotel below; the Cloudbeds simulator knows it too


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {
        f"PMS_{MEWS_HOTEL}_VENDOR": "mews",
        "PMS_hotel_999_API_KEY": cloudbeds_key("test_key_0001"),  # configured here, unknown to the PMS
    }
    with running_stack(f"sqlite:///{tmp_path_factory.mktemp('truthful')}/truthful.db", env=env) as s:
        yield s


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# -- the booking view ------------------------------------------------------------------------


@pytest.mark.parametrize(("cause", "offset"), [("capture declined", 60), ("sold at the PMS", 63)])
def test_a_booking_that_failed_after_its_payment_was_voided_says_voided(
    stack: Stack, cause: str, offset: int
) -> None:
    # given capture is declined, or the PMS sold the rooms elsewhere: the saga voids the pre-authorisation
    start, end = stay_dates(offset_days=offset)
    token = "tok_capture_fail" if cause == "capture declined" else "tok_visa_1234"
    if cause == "sold at the PMS":
        assert stack.availability(start, end)["nights"][0]["available"] == 5
        stack.set_sim_inventory(0, start, end)
    # when
    response = stack.checkout(checkout_body(start, end, token=token))
    # then
    assert response.status_code == 502, response.text
    booking = stack.booking(response.headers["X-Booking-Id"])
    assert "payment_voided" in [step["event"] for step in booking["steps"]]
    assert (booking["status"], booking["paymentStatus"]) == ("failed", "voided")


def test_a_cancelled_booking_says_refunded_and_every_state_is_in_the_view(stack: Stack) -> None:
    start, end = stay_dates(offset_days=66)
    booked = stack.checkout(checkout_body(start, end))
    booking_id = booked.headers["X-Booking-Id"]
    confirmed = stack.booking(booking_id)
    assert (confirmed["status"], confirmed["paymentStatus"]) == ("confirmed", "captured")
    assert confirmed["holdId"] and confirmed["pmsReservationId"] and confirmed["confirmationNumber"]
    assert [s["to"] for s in confirmed["steps"] if s["to"]] == [
        "pending",
        "held",
        "authorized",
        "reserved",
        "reserved",  # price_checked: the PMS total read back, recorded at `reserved` (issue 16)
        "confirmed",
    ]
    cancelled = stack.client.post(f"{stack.url}/api/bookings/{booking_id}/cancel").json()
    assert (cancelled["status"], cancelled["paymentStatus"]) == ("cancelled", "refunded")
    steps = [s["to"] for s in stack.booking(booking_id)["steps"] if s["to"]]
    assert steps[-2:] == ["cancelling", "cancelled"]


# -- X-Booking-Id ------------------------------------------------------------------------------


def test_a_checkout_refused_before_any_booking_names_none(stack: Stack) -> None:
    start, end = stay_dates(offset_days=69)
    wrong_amount = stack.checkout(checkout_body(start, end, amount=1))
    assert wrong_amount.status_code == 400
    assert "X-Booking-Id" not in wrong_amount.headers
    stack.admin("POST", "/degraded", json={"enabled": True, "reason": "점검", "hotelId": HOTEL})
    try:
        degraded = stack.checkout(checkout_body(start, end))
    finally:
        stack.admin("POST", "/degraded", json={"enabled": False, "hotelId": HOTEL})
    assert degraded.status_code == 503 and degraded.json()["errorCode"] == "SERVICE_DEGRADED"
    assert "X-Booking-Id" not in degraded.headers


def test_a_failed_checkout_names_its_booking_which_exists(stack: Stack) -> None:
    start, end = stay_dates(offset_days=72)
    declined = stack.checkout(checkout_body(start, end, token="tok_decline"))
    assert declined.status_code == 402
    looked_up = stack.client.get(f"{stack.url}/api/bookings/{declined.headers['X-Booking-Id']}")
    assert looked_up.status_code == 200 and looked_up.json()["status"] == "failed"


# -- one vendor per hotel ------------------------------------------------------------------------


def test_a_request_naming_another_vendor_for_the_hotel_is_refused(stack: Stack) -> None:
    start, end = stay_dates(offset_days=75)
    dates = {"from": start.isoformat(), "to": end.isoformat()}
    stay = {"checkIn": start.isoformat(), "checkOut": end.isoformat()}
    calls_before = sum(stack.sim_state()["calls"].values())
    answers = [
        stack.client.get(
            f"{stack.url}/api/hotels/{HOTEL}/room-types/{ROOM}/inventory", params={"vendor": "mews", **dates}
        ),
        stack.client.get(f"{stack.url}/api/hotels/{HOTEL}/availability", params={"vendor": "mews", **stay}),
        stack.client.get(
            f"{stack.url}/api/hotels/{MEWS_HOTEL}/availability", params={"vendor": "cloudbeds", **stay}
        ),
        stack.checkout({**checkout_body(start, end), "vendor": "mews"}),
    ]
    for answer in answers:
        assert answer.status_code == 400, answer.text
        assert answer.json()["errorCode"] == "VALIDATION_ERROR"
        assert "X-Booking-Id" not in answer.headers
    assert "cloudbeds" in answers[0].json()["error"]  # names the hotel's own vendor
    assert sum(stack.sim_state()["calls"].values()) == calls_before  # no PMS was asked
    # the right vendor still works, and what it cached was not touched by the refused requests
    assert stack.availability(start, end)["nights"][0]["available"] == 5


async def test_the_saga_and_cancellation_path_refuse_another_vendor_too(stack: Stack) -> None:
    from roomgate.config import load_settings
    from roomgate.container import build_container
    from roomgate.domain.errors import DomainError, ErrorCode

    container = build_container(load_settings(database_url="sqlite://"))
    try:
        with pytest.raises(DomainError) as refused:
            await container.connector("mews", HOTEL)
        assert refused.value.code is ErrorCode.VALIDATION_ERROR
        assert await container.connector("cloudbeds", HOTEL) is not None
    finally:
        await container.aclose()


# -- a PMS that answers "no" ---------------------------------------------------------------------


def test_a_hotel_the_pms_does_not_know_is_a_clear_502_with_the_vendors_reason_logged(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    start, end = stay_dates(offset_days=78)
    with product_logging():
        response = stack.client.get(
            f"{stack.url}/api/hotels/hotel_999/availability",
            params={"vendor": "cloudbeds", "checkIn": start.isoformat(), "checkOut": end.isoformat()},
            headers={"X-Request-Id": "pms-refusal-1"},
        )
    assert response.status_code == 502, response.text
    assert response.json()["errorCode"] == "PMS_UNAVAILABLE"
    assert "응답이 없" not in response.json()["error"]  # not "the PMS did not respond"
    lines = json_lines(capsys.readouterr().out)
    refusal = next(line for line in lines if line.get("request_id") == "pms-refusal-1")
    assert refusal["event"] == "pms_auth_failed" and refusal["hotel_id"] == "hotel_999"
    assert "property id" in refusal["reason"]  # the vendor's own words
    assert cloudbeds_key("test_key_0001") not in json.dumps(lines)


def test_a_checkout_at_a_hotel_the_pms_does_not_know_is_the_same_clear_502(stack: Stack) -> None:
    response = stack.checkout({**checkout_body(*stay_dates(offset_days=90)), "hotelId": "hotel_999"})
    assert response.status_code == 502, response.text
    assert response.json()["errorCode"] == "PMS_UNAVAILABLE" and "거부" in response.json()["error"]
    assert "X-Booking-Id" not in response.headers


def test_a_room_type_the_pms_does_not_have_is_a_404(stack: Stack) -> None:
    start, end = stay_dates(offset_days=81)
    response = stack.client.get(
        f"{stack.url}/api/hotels/{HOTEL}/room-types/room_nope/inventory",
        params={"vendor": "cloudbeds", "from": start.isoformat(), "to": end.isoformat()},
    )
    assert response.status_code == 404 and response.json()["errorCode"] == "NOT_FOUND"


# -- metrics -------------------------------------------------------------------------------------


def test_degraded_refusals_are_counted_as_checkout_outcomes(stack: Stack) -> None:
    before = metric("roomgate_checkouts_total", outcome="SERVICE_DEGRADED")
    stack.admin("POST", "/degraded", json={"enabled": True, "hotelId": HOTEL})
    try:
        assert stack.checkout(checkout_body(*stay_dates(offset_days=84))).status_code == 503
    finally:
        stack.admin("POST", "/degraded", json={"enabled": False, "hotelId": HOTEL})
    assert metric("roomgate_checkouts_total", outcome="SERVICE_DEGRADED") == before + 1


def test_cancellations_have_their_own_metric_not_a_checkout_outcome(stack: Stack) -> None:
    booking_id = stack.checkout(checkout_body(*stay_dates(offset_days=87))).json()["bookingId"]
    checkouts_before = metric("roomgate_checkouts_total", outcome="cancelled")
    cancellations_before = metric("roomgate_cancellations_total", outcome="cancelled")
    assert stack.client.post(f"{stack.url}/api/bookings/{booking_id}/cancel").status_code == 200
    assert stack.client.post(f"{stack.url}/api/bookings/{booking_id}/cancel").status_code == 200  # repeat
    assert metric("roomgate_cancellations_total", outcome="cancelled") == cancellations_before + 1
    assert metric("roomgate_checkouts_total", outcome="cancelled") == checkouts_before == 0
