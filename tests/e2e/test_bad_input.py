"""Bad input gets a clear 4xx in the spec's error shape and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.stack import HOTEL, ROOM, Stack, checkout_body, running_stack, stay_dates


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(f"sqlite:///{tmp_path_factory.mktemp('bad')}/bad.db") as s:
        yield s


def _mutated(**changes: Any) -> dict[str, Any]:
    start, end = stay_dates(offset_days=80)
    body = checkout_body(start, end)
    for path, value in changes.items():
        target = body
        *parents, leaf = path.split("__")
        for part in parents:
            target = target[part]
        if value is ...:
            del target[leaf]
        else:
            target[leaf] = value
    return body


BAD_CHECKOUTS = {
    "missing vendor": _mutated(vendor=...),
    "unknown vendor": _mutated(vendor="opera"),
    "reversed dates": _mutated(checkIn="2030-01-05", checkOut="2030-01-03"),
    "same day": _mutated(checkIn="2030-01-05", checkOut="2030-01-05"),
    "bad date format": _mutated(checkIn="05/01/2030"),
    "impossible date": _mutated(checkIn="2030-02-30"),
    "too long a stay": _mutated(checkIn="2030-01-01", checkOut="2030-03-01"),
    "in the past": _mutated(checkIn="2020-01-01", checkOut="2020-01-03"),
    "no adults": _mutated(adults=0),
    "negative children": _mutated(children=-1),
    "float amount": _mutated(payment__amount=250000.5),
    "string amount": _mutated(payment__amount="250000"),
    "negative amount": _mutated(payment__amount=-1),
    "unknown currency": _mutated(payment__currency="XYZ"),
    "lowercase currency": _mutated(payment__currency="krw"),
    "missing card token": _mutated(payment__cardToken=...),
    "toss without paymentKey": _mutated(payment__provider="toss"),
    "bad email": _mutated(guestInfo__email="not-an-email"),
    "missing guest": _mutated(guestInfo=...),
    "unknown field": _mutated(coupon="FREE"),
    "hotel id with spaces": _mutated(hotelId="hotel 123"),
    "wrong amount": _mutated(payment__amount=1),
    "over occupancy": _mutated(adults=5),
}


@pytest.mark.parametrize("case", list(BAD_CHECKOUTS))
def test_bad_checkout_is_a_4xx_in_the_spec_shape_and_changes_nothing(stack: Stack, case: str) -> None:
    before = stack.sim_state()["calls"].get("postReservation", 0)
    response = stack.checkout(BAD_CHECKOUTS[case])
    assert 400 <= response.status_code < 500, (case, response.status_code, response.text)
    body = response.json()
    assert set(body) == {"success", "error", "errorCode"} and body["success"] is False
    assert body["errorCode"] == "VALIDATION_ERROR" and body["error"]
    assert "tok_visa" not in body["error"] and "hong@example.com" not in body["error"]
    assert stack.sim_state()["calls"].get("postReservation", 0) == before
    assert stack.reservations() == []


def test_malformed_json_is_a_400(stack: Stack) -> None:
    response = stack.client.post(
        f"{stack.url}/api/booking/checkout",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400 and response.json()["errorCode"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    "params",
    [
        {"vendor": "cloudbeds", "from": "2030-01-05", "to": "2030-01-01"},
        {"vendor": "cloudbeds", "from": "2030-01-01", "to": "2031-01-01"},
        {"vendor": "cloudbeds", "from": "yesterday", "to": "2030-01-01"},
        {"vendor": "opera", "from": "2030-01-01", "to": "2030-01-03"},
        {"vendor": "cloudbeds", "from": "2030-01-01"},
    ],
)
def test_bad_inventory_queries_are_400_and_cache_nothing(stack: Stack, params: dict[str, str]) -> None:
    before = sum(stack.sim_state()["calls"].values())
    response = stack.client.get(f"{stack.url}/api/hotels/{HOTEL}/room-types/{ROOM}/inventory", params=params)
    assert response.status_code == 400 and response.json()["errorCode"] == "VALIDATION_ERROR"
    assert sum(stack.sim_state()["calls"].values()) == before


def test_unknown_room_type_and_hotel_are_404(stack: Stack) -> None:
    params = {"vendor": "cloudbeds", "from": "2030-01-01", "to": "2030-01-03"}
    unknown_room = stack.client.get(
        f"{stack.url}/api/hotels/{HOTEL}/room-types/room_nope/inventory", params=params
    )
    assert unknown_room.status_code == 404 and unknown_room.json()["errorCode"] == "NOT_FOUND"
    unknown_hotel = stack.client.get(
        f"{stack.url}/api/hotels/hotel_nope/room-types/{ROOM}/inventory", params=params
    )
    assert unknown_hotel.status_code == 404 and unknown_hotel.json()["errorCode"] == "NOT_FOUND"


def test_bad_availability_query(stack: Stack) -> None:
    response = stack.client.get(
        f"{stack.url}/api/hotels/{HOTEL}/availability",
        params={"vendor": "cloudbeds", "checkIn": "2030-01-03", "checkOut": "2030-01-01"},
    )
    assert response.status_code == 400 and response.json()["errorCode"] == "VALIDATION_ERROR"
    response = stack.client.get(
        f"{stack.url}/api/hotels/{HOTEL}/availability",
        params={"vendor": "cloudbeds", "checkIn": "2030-01-01", "checkOut": "2030-01-03", "adults": "0"},
    )
    assert response.status_code == 400 and response.json()["errorCode"] == "VALIDATION_ERROR"


def test_wrong_method_is_a_4xx_in_the_spec_shape(stack: Stack) -> None:
    response = stack.client.get(f"{stack.url}/api/booking/checkout")
    assert response.status_code == 405 and response.json()["success"] is False
