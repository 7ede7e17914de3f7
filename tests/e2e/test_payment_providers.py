"""Checkout through the app with the real Toss and Stripe adapters, against their simulators."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from roomgate.simulators.registry import create_simulator
from roomgate.simulators.server import ServerThread
from tests.e2e.stack import Stack, checkout_body, running_stack, stay_dates


@pytest.fixture
def toss(tmp_path) -> Iterator[tuple[Stack, str]]:  # type: ignore[no-untyped-def]
    with ServerThread(create_simulator("toss")) as sim:
        env = {
            "PAYMENT_PROVIDER": "toss",
            "PAYMENT_API_KEY": "test_sk_e2e_roomgate",
            "TOSS_BASE_URL": sim.url,
        }
        with running_stack(f"sqlite:///{tmp_path}/toss.db", env=env) as stack:
            yield stack, sim.url


@pytest.fixture
def stripe(tmp_path) -> Iterator[tuple[Stack, str]]:  # type: ignore[no-untyped-def]
    with ServerThread(create_simulator("stripe")) as sim:
        env = {
            "PAYMENT_PROVIDER": "stripe",
            "PAYMENT_API_KEY": "sk_test_e2e_roomgate",
            "STRIPE_BASE_URL": sim.url,
        }
        with running_stack(f"sqlite:///{tmp_path}/stripe.db", env=env) as stack:
            yield stack, sim.url


def _toss_body(sim: str, order_id: str, authenticated_amount: int, offset: int) -> dict[str, Any]:
    # the guest authenticates the payment in Toss's widget (the simulator stands in for it)
    widget = httpx2.post(
        f"{sim}/_sim/payments", json={"orderId": order_id, "amount": authenticated_amount}
    ).json()
    start, end = stay_dates(offset_days=offset)
    body = checkout_body(start, end)
    body["payment"] = {
        "amount": 250000,
        "currency": "KRW",
        "provider": "toss",
        "paymentKey": widget["paymentKey"],
        "orderId": order_id,
    }
    return body


def _toss_status(sim: str, order_id: str) -> str:
    return next(
        p["status"] for p in httpx2.get(f"{sim}/_sim/state").json()["payments"] if p["orderId"] == order_id
    )


def test_toss_confirm_is_the_capture(toss: tuple[Stack, str]) -> None:
    stack, sim = toss
    response = stack.checkout(_toss_body(sim, "order-e2e-0001", 250000, offset=90))
    assert response.status_code == 200, response.text
    assert _toss_status(sim, "order-e2e-0001") == "DONE"
    assert stack.booking(response.json()["bookingId"])["paymentStatus"] == "captured"


def test_toss_amount_tampered_in_the_widget_is_refused(toss: tuple[Stack, str]) -> None:
    stack, sim = toss
    response = stack.checkout(_toss_body(sim, "order-e2e-0002", 1000, offset=91))
    assert response.status_code == 402 and response.json()["errorCode"] == "PAYMENT_PREAUTH_FAILED"
    assert _toss_status(sim, "order-e2e-0002") == "IN_PROGRESS"  # never confirmed: no money moved
    assert stack.reservations(status="confirmed") == []


def test_toss_pms_refusal_leaves_the_payment_unconfirmed(toss: tuple[Stack, str]) -> None:
    stack, sim = toss
    body = _toss_body(sim, "order-e2e-0003", 250000, offset=92)
    start, end = stay_dates(offset_days=92)
    stack.availability(start, end)
    stack.set_sim_inventory(0, start, end)
    response = stack.checkout(body)
    assert response.json()["errorCode"] == "BOOKING_CONFIRM_FAILED"
    assert _toss_status(sim, "order-e2e-0003") == "IN_PROGRESS"
    assert httpx2.get(f"{sim}/_sim/state").json()["calls"].get("confirm", 0) == 0


def _intents(sim: str) -> list[dict[str, Any]]:
    return httpx2.get(f"{sim}/_sim/state").json()["payment_intents"]


def test_stripe_manual_capture(stripe: tuple[Stack, str]) -> None:
    stack, sim = stripe
    start, end = stay_dates(offset_days=93)
    response = stack.checkout(checkout_body(start, end, token="pm_card_visa"))
    assert response.status_code == 200, response.text
    [intent] = _intents(sim)
    assert intent["status"] == "succeeded" and intent["amount_received"] == 250000


def test_stripe_decline_and_pms_refusal(stripe: tuple[Stack, str]) -> None:
    stack, sim = stripe
    start, end = stay_dates(offset_days=94)
    declined = stack.checkout(checkout_body(start, end, token="pm_card_chargeDeclined"))
    assert declined.status_code == 402 and declined.json()["errorCode"] == "PAYMENT_PREAUTH_FAILED"
    stack.availability(start, end)
    stack.set_sim_inventory(0, start, end)
    refused = stack.checkout(checkout_body(start, end, token="pm_card_visa"))
    assert refused.json()["errorCode"] == "BOOKING_CONFIRM_FAILED"
    statuses = sorted(i["status"] for i in _intents(sim))
    assert "succeeded" not in statuses and "canceled" in statuses  # the authorisation was voided
