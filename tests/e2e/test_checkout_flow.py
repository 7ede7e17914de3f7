"""Checkout end to end over HTTP against the Cloudbeds simulator and the sandbox gateway."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.e2e.stack import HOTEL, Stack, checkout_body, running_stack, stay_dates
from tests.fake_keys import cloudbeds_key
from tests.pause_gate import PauseGate


@pytest.fixture
def gate(tmp_path: Path) -> PauseGate:
    """A pause point right after the saga's hold; open (sagas pass straight through) unless a test closes it."""
    gate = PauseGate(tmp_path / "gate", "after_hold")
    gate.open()
    return gate


@pytest.fixture
def stack(tmp_path: Path, gate: PauseGate) -> Iterator[Stack]:
    with running_stack(f"sqlite:///{tmp_path}/e2e.db", env={"ROOMGATE_DEBUG_FAULTS": gate.fault}) as s:
        yield s


def test_spec_example_books_one_pms_reservation(stack: Stack) -> None:
    # given the seeded hotel with 5 rooms of room_456 at 125,000 KRW
    start, end = stay_dates()
    # when the spec's example checks out
    response = stack.checkout(checkout_body(start, end))
    # then it succeeds with exactly the spec's fields
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"success", "bookingId", "confirmationNumber"} and body["success"] is True
    # and the PMS holds one confirmed reservation carrying our booking id
    reservations = stack.reservations()
    assert len(reservations) == 1
    assert reservations[0]["externalId"] == body["bookingId"]
    booking = stack.booking(body["bookingId"])
    assert (
        booking["status"] == "confirmed"
        and booking["amount"] == 250000
        and booking["paymentStatus"] == "captured"
    )
    assert [s["event"] for s in booking["steps"]] == [
        "created",
        "hold_created",
        "payment_authorized",
        "pms_reserved",
        "price_checked",  # the PMS's own total read back before the capture (issue 16)
        "payment_captured",
    ]
    assert "tok_visa" not in str(booking) and "hong@example.com" not in str(booking)
    # and one room fewer is for sale on both nights
    assert [n["available"] for n in stack.availability(start, end)["nights"]] == [4, 4]


@pytest.mark.parametrize(
    ("token", "code", "status"),
    [("tok_decline", "PAYMENT_PREAUTH_FAILED", 402), ("tok_capture_fail", "PAYMENT_CAPTURE_FAILED", 502)],
)
def test_payment_failures_are_compensated(stack: Stack, token: str, code: str, status: int) -> None:
    start, end = stay_dates(offset_days=41)
    response = stack.checkout(checkout_body(start, end, token=token))
    assert response.status_code == status and response.json()["errorCode"] == code
    assert response.json()["success"] is False and response.json()["error"]
    # no live PMS reservation, the hold released (all 5 rooms for sale again), the booking failed
    assert stack.reservations(status="confirmed") == []
    assert [n["available"] for n in stack.availability(start, end)["nights"]] == [5, 5]
    booking = stack.booking(response.headers["x-booking-id"])
    assert booking["status"] == "failed" and booking["errorCode"] == code


def test_pms_refusing_after_preauth_is_compensated(stack: Stack) -> None:
    # given our cache believes there are rooms, but they were sold elsewhere at the PMS
    start, end = stay_dates(offset_days=42)
    assert stack.availability(start, end)["nights"][0]["available"] == 5
    stack.set_sim_inventory(0, start, end)
    # when a guest checks out
    response = stack.checkout(checkout_body(start, end))
    # then the PMS refusal is reported and everything is rolled back
    assert response.status_code == 502 and response.json()["errorCode"] == "BOOKING_CONFIRM_FAILED"
    booking = stack.booking(response.headers["x-booking-id"])
    assert booking["status"] == "failed"
    events = [s["event"] for s in booking["steps"]]
    assert "payment_voided" in events and "failed" in events
    assert stack.reservations(status="confirmed") == []


def test_amount_mismatch_is_refused_before_anything_is_held(stack: Stack) -> None:
    start, end = stay_dates(offset_days=43)
    calls_before = stack.sim_state()["calls"].get("postReservation", 0)
    response = stack.checkout(checkout_body(start, end, amount=200000))
    assert response.status_code == 400 and response.json()["errorCode"] == "VALIDATION_ERROR"
    assert "250000" in response.json()["error"]
    assert stack.sim_state()["calls"].get("postReservation", 0) == calls_before
    assert [n["available"] for n in stack.availability(start, end)["nights"]] == [5, 5]


def test_idempotency_replay_and_conflict(stack: Stack) -> None:
    start, end = stay_dates(offset_days=44)
    body = checkout_body(start, end)
    first = stack.checkout(body, key="key-replay")
    again = stack.checkout(body, key="key-replay")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers.get("idempotent-replayed") == "true"
    other = stack.checkout(checkout_body(start, end, room="room_457", price=98000), key="key-replay")
    assert other.status_code == 409 and other.json()["errorCode"] == "IDEMPOTENCY_CONFLICT"
    assert len(stack.reservations()) == 1


def test_same_key_in_flight_twice_runs_once(stack: Stack, gate: PauseGate) -> None:
    # given a first request held in flight at the pause point after its hold
    start, end = stay_dates(offset_days=45)
    body = checkout_body(start, end)
    gate.close()
    with ThreadPoolExecutor(1) as pool:
        in_flight = pool.submit(stack.checkout, body, "key-inflight")
        gate.wait_arrived(1)
        # when the same key arrives again meanwhile
        second = stack.checkout(body, key="key-inflight")
        gate.open()
        first = in_flight.result()
    # then the second is refused as a conflict and the first goes on alone
    assert second.status_code == 409 and second.json()["errorCode"] == "IDEMPOTENCY_CONFLICT"
    assert first.status_code == 200, first.text
    assert len(stack.reservations()) == 1 and gate.arrived() == 1


def test_cancellation_end_to_end(stack: Stack) -> None:
    start, end = stay_dates(offset_days=46)
    booking_id = stack.checkout(checkout_body(start, end)).json()["bookingId"]
    assert [n["available"] for n in stack.availability(start, end)["nights"]] == [4, 4]
    cancel = stack.client.post(f"{stack.url}/api/bookings/{booking_id}/cancel")
    again = stack.client.post(f"{stack.url}/api/bookings/{booking_id}/cancel")
    assert cancel.status_code == again.status_code == 200
    assert cancel.json()["status"] == again.json()["status"] == "cancelled"
    assert cancel.json()["paymentStatus"] == "refunded"
    assert [r["status"] for r in stack.reservations()] == ["canceled"]
    assert [n["available"] for n in stack.availability(start, end)["nights"]] == [5, 5]


def test_unknown_booking_and_hotel_are_404(stack: Stack) -> None:
    missing = stack.client.get(f"{stack.url}/api/bookings/bk_nope")
    assert missing.status_code == 404 and missing.json()["errorCode"] == "NOT_FOUND"
    start, end = stay_dates()
    body = checkout_body(start, end) | {"hotelId": "hotel_unknown"}
    response = stack.checkout(body)
    assert response.status_code == 404 and response.json()["errorCode"] == "NOT_FOUND"
    assert HOTEL not in response.json()["error"]


def test_logs_never_carry_card_tokens_keys_or_guest_contacts(
    stack: Stack, capfd: pytest.CaptureFixture[str]
) -> None:
    from roomgate.logging import configure_logging

    # given JSON logging at DEBUG, so every log line of every layer is emitted
    configure_logging("DEBUG", "json")
    try:
        start, end = stay_dates(offset_days=47)
        # when a checkout succeeds and another fails at the payment step
        stack.checkout(checkout_body(start, end, token="tok_visa_4242"))
        stack.checkout(checkout_body(start, end, token="tok_decline"))
        stack.faults(status=401)  # and the PMS rejects our key
        stack.availability(*stay_dates(offset_days=48))
        stack.faults()
    finally:
        configure_logging("WARNING", "console")
    out = capfd.readouterr().out
    # then something was logged, and none of it is a secret or a contact detail
    assert "checkout_confirmed" in out and "checkout_failed" in out
    for secret in (
        "tok_visa_4242",
        "tok_decline",
        "hong@example.com",
        "1234-5678",
        cloudbeds_key("test_key_0001"),
        "홍",
    ):
        assert secret not in out, secret


def test_pms_down_before_anything_is_held_frees_the_idempotency_key(stack: Stack) -> None:
    # given a stay never cached, and the PMS answering 500s
    start, end = stay_dates(offset_days=49)
    stack.faults(status=500)
    body = checkout_body(start, end)
    # when a checkout cannot even be priced
    first = stack.checkout(body, key="key-pms-down")
    assert first.status_code == 503 and first.json()["errorCode"] == "PMS_UNAVAILABLE"
    # then, once the PMS is back, the same key may try again and succeed (no in-flight conflict)
    stack.faults()
    retry = stack.checkout(body, key="key-pms-down")
    assert retry.status_code == 200, retry.text
