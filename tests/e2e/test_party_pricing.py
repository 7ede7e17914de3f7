"""Prices for the party, through HTTP: the demo Family Suite (`room_458`: 210,000 KRW a night for two
adults and a child, +30,000 per extra adult, +15,000 per extra child, 10 % VAT and a 2,000 KRW
nightly city fee) is shown and charged at the Cloudbeds simulator's own price for that party, taxes
included, and Stripe captures exactly what the PMS bills."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx2
import pytest

from roomgate.simulators.registry import create_simulator
from roomgate.simulators.server import ServerThread
from tests.e2e.stack import HOTEL, Stack, checkout_body, running_stack, stay_dates

FAMILY = "room_458"


@pytest.fixture
def stripe(tmp_path) -> Iterator[tuple[Stack, str]]:  # type: ignore[no-untyped-def]
    with ServerThread(create_simulator("stripe")) as sim:
        env = {
            "PAYMENT_PROVIDER": "stripe",
            "PAYMENT_API_KEY": "sk_test_e2e_roomgate",
            "STRIPE_BASE_URL": sim.url,
        }
        with running_stack(f"sqlite:///{tmp_path}/party.db", env=env) as stack:
            yield stack, sim.url


def _family(stack: Stack, start: date, end: date, adults: int, children: int) -> dict[str, Any] | None:
    params = {
        "vendor": "cloudbeds",
        "checkIn": start.isoformat(),
        "checkOut": end.isoformat(),
        "adults": adults,
        "children": children,
    }
    response = stack.client.get(f"{stack.url}/api/hotels/{HOTEL}/availability", params=params)
    assert response.status_code == 200, response.text
    return next((o for o in response.json()["roomTypes"] if o["roomTypeId"] == FAMILY), None)


def _family_checkout(start: date, end: date, adults: int, children: int, amount: int) -> dict[str, Any]:
    body = checkout_body(start, end, token="pm_card_visa", room=FAMILY, amount=amount)
    body["adults"], body["children"] = adults, children
    return body


def test_availability_shows_each_party_its_own_price_and_taxes(stripe: tuple[Stack, str]) -> None:
    stack, _ = stripe
    start, end = stay_dates(offset_days=70)
    # when the same two nights are asked for by four parties
    answers = {party: _family(stack, start, end, *party) for party in [(1, 0), (2, 1), (3, 0), (2, 2)]}
    # then each party sees the PMS's nightly price for it, the room total, the taxes and the sum
    expected = {(1, 0): 210000, (2, 1): 210000, (3, 0): 240000, (2, 2): 225000}
    for party, nightly in expected.items():
        option = answers[party]
        assert option is not None
        assert [n["price"] for n in option["nights"]] == [nightly, nightly], party
        assert option["total"] == nightly * 2
        assert option["taxes"] == [
            {"code": "VAT", "name": "VAT", "type": "tax", "amount": nightly * 2 // 10, "inclusive": False},
            {"code": "CITY", "name": "City fee", "type": "fee", "amount": 4000, "inclusive": False},
        ]
        assert option["totalWithTaxes"] == nightly * 2 + nightly * 2 // 10 + 4000
    # and the per-night inventory shows the party's nightly price when asked (one adult by default)
    inventory = f"{stack.url}/api/hotels/{HOTEL}/room-types/{FAMILY}/inventory"
    dates = {"vendor": "cloudbeds", "from": start.isoformat(), "to": end.isoformat()}
    for query, nightly in (({}, 210000), ({"adults": 3}, 240000), ({"adults": 2, "children": 2}, 225000)):
        nights = stack.client.get(inventory, params={**dates, **query}).json()["nights"]
        assert [n["price"] for n in nights] == [nightly, nightly], query
    # and a room type without extras or taxes is unchanged by the party
    response = stack.client.get(
        f"{stack.url}/api/hotels/{HOTEL}/availability",
        params={
            "vendor": "cloudbeds",
            "checkIn": start.isoformat(),
            "checkOut": end.isoformat(),
            "adults": 1,
        },
    )
    deluxe = next(o for o in response.json()["roomTypes"] if o["roomTypeId"] == "room_456")
    assert (deluxe["total"], deluxe["taxes"], deluxe["totalWithTaxes"]) == (250000, [], 250000)


def test_checkout_captures_what_the_pms_bills_that_party(stripe: tuple[Stack, str]) -> None:
    stack, sim = stripe
    start, end = stay_dates(offset_days=71)
    # given the price availability showed two adults and two children (one extra child)
    option = _family(stack, start, end, 2, 2)
    assert option is not None and option["totalWithTaxes"] == 499000
    # when they check out at that price
    response = stack.checkout(_family_checkout(start, end, 2, 2, option["totalWithTaxes"]))
    # then the PMS reservation carries the party, and Stripe captured exactly the PMS's total
    assert response.status_code == 200, response.text
    [reservation] = stack.reservations(status="confirmed")
    [intent] = httpx2.get(f"{sim}/_sim/state").json()["payment_intents"]
    assert intent["status"] == "succeeded"
    assert intent["amount_received"] == int(float(reservation["total"])) == 499000
    sent = stack.client.get(f"{stack.cloudbeds}/_sim/state").json()
    assert sent["reservations"][0]["roomTypeId"] == FAMILY


def test_the_base_rate_or_a_price_without_taxes_is_refused(stripe: tuple[Stack, str]) -> None:
    stack, sim = stripe
    start, end = stay_dates(offset_days=72)
    # given the right price for three adults is 532,000 (240,000 × 2 + 48,000 VAT + 4,000 fee)
    option = _family(stack, start, end, 3, 0)
    assert option is not None and option["totalWithTaxes"] == 532000
    # when a client pays the one-adult base rate, or the party's price without the taxes
    for wrong in (420000 + 42000 + 4000, 480000):
        response = stack.checkout(_family_checkout(start, end, 3, 0, wrong))
        # then it is refused before anything is held, authorised or booked
        assert response.status_code == 400, response.text
        assert "532000" in response.json()["error"]
    assert stack.reservations() == []
    assert httpx2.get(f"{sim}/_sim/state").json()["payment_intents"] == []


@pytest.mark.parametrize(("adults", "children"), [(0, 0), (3, 2), (1, -1)])
def test_a_party_the_room_cannot_take_is_a_400(stripe: tuple[Stack, str], adults: int, children: int) -> None:
    stack, _ = stripe
    start, end = stay_dates(offset_days=73)
    # when
    response = stack.checkout(_family_checkout(start, end, adults, children, 999000))
    # then
    assert response.status_code == 400, response.text
    assert response.json()["success"] is False and stack.reservations() == []
