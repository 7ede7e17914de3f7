"""Only the providers a deployment accepts can pay for a booking, through the HTTP API.

The attack (issue 10): a production deployment on Toss, and a checkout that names the sandbox, which
takes no money. It must be refused before anything happens: no booking row, no idempotency claim, no
hold in Redis, no PMS call, no payment call.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import redis

from roomgate.simulators.registry import create_simulator
from roomgate.simulators.server import ServerThread
from tests.e2e.stack import Stack, checkout_body, running_stack, stay_dates
from tests.fake_keys import toss_live

LIVE_TOSS_KEY = toss_live("policy_e2e_0001")  # the simulator accepts this key only
TEST_STRIPE_KEY = "sk_test_policy_e2e_0001"
TEST_TOSS_KEY = "test_sk_policy_e2e_0001"


class Production:
    def __init__(self, stack: Stack, toss: str, database: Path, redis_url: str) -> None:
        self.stack, self.toss, self.database = stack, toss, database
        self.redis = redis.Redis.from_url(redis_url)

    def rows(self, table: str) -> int:
        with sqlite3.connect(self.database) as db:
            return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 - fixed names

    def hold_keys(self) -> set[bytes]:
        return {k for pattern in ("hold:*", "holds:*") for k in self.redis.scan_iter(match=pattern)}

    def toss_calls(self) -> dict[str, int]:
        return dict(httpx2.get(f"{self.toss}/_sim/state").json()["calls"])

    def pms_calls(self) -> dict[str, int]:
        return dict(self.stack.sim_state()["calls"])

    def widget(self, order_id: str, amount: int) -> str:
        """The guest authenticates the payment in Toss's widget (the simulator stands in for it)."""
        answer = httpx2.post(f"{self.toss}/_sim/payments", json={"orderId": order_id, "amount": amount})
        return str(answer.json()["paymentKey"])


@pytest.fixture
def production(tmp_path: Path, real_redis_url: str) -> Iterator[Production]:
    """ROOMGATE_ENV=production, PAYMENT_PROVIDER=toss with a live key, real Redis, the Toss simulator."""
    with ServerThread(create_simulator("toss", api_key=LIVE_TOSS_KEY)) as toss:
        env = {
            "ROOMGATE_ENV": "production",
            "PAYMENT_PROVIDER": "toss",
            "PAYMENT_API_KEY": LIVE_TOSS_KEY,
            "TOSS_BASE_URL": toss.url,
        }
        database = tmp_path / "production.db"
        with running_stack(f"sqlite:///{database}", redis_url=real_redis_url, env=env) as stack:
            yield Production(stack, toss.url, database, real_redis_url)


def attack(offset: int, provider: str) -> dict[str, Any]:
    start, end = stay_dates(offset_days=offset)
    body = checkout_body(start, end)
    body["payment"] = {
        "provider": provider,
        "cardToken": "tok_visa_1234",
        "amount": 250000,
        "currency": "KRW",
    }
    return body


@pytest.mark.parametrize("provider", ["sandbox", "stripe", "paypal"])
def test_a_checkout_naming_a_provider_the_deployment_does_not_accept_changes_nothing(
    production: Production, provider: str
) -> None:
    # given a production deployment that takes Toss only, and what exists before the request
    holds_before = production.hold_keys()
    # when a client names another provider (the sandbox: no money taken), with an idempotency key
    refused = production.stack.checkout(attack(offset=120, provider=provider), key="attack-0001")
    # then it is refused in the spec's error shape
    assert refused.status_code == 400, refused.text
    assert refused.json()["success"] is False and refused.json()["errorCode"] == "VALIDATION_ERROR"
    # and nothing happened: no booking, no claimed key, no hold, no PMS call, no payment call
    assert production.rows("booking") == 0 and production.rows("idempotency_key") == 0
    assert production.hold_keys() == holds_before
    assert production.pms_calls() == {} and production.stack.reservations() == []
    assert production.toss_calls() == {}


def test_the_same_deployment_books_and_charges_through_toss(production: Production) -> None:
    # negative control: the refused attack above uses a working production stack
    refused = production.stack.checkout(attack(offset=121, provider="sandbox"), key="attack-0002")
    assert refused.status_code == 400
    # when the guest pays through Toss's widget, reusing the refused request's key (it was never claimed)
    start, end = stay_dates(offset_days=121)
    body = checkout_body(start, end)
    body["payment"] = {
        "provider": "toss",
        "paymentKey": production.widget("order-policy-0001", 250000),
        "orderId": "order-policy-0001",
        "amount": 250000,
        "currency": "KRW",
    }
    booked = production.stack.checkout(body, key="attack-0002")
    # then the booking is confirmed at the PMS and the money collected at Toss
    assert booked.status_code == 200, booked.text
    booking = production.stack.booking(booked.json()["bookingId"])
    assert booking["paymentProvider"] == "toss" and booking["paymentStatus"] == "captured"
    assert production.toss_calls().get("confirm") == 1
    assert len(production.stack.reservations(status="confirmed")) == 1


def test_a_request_naming_no_provider_uses_the_default(production: Production) -> None:
    # given a checkout with a card token but no provider: it goes to Toss (the default), not the sandbox
    start, end = stay_dates(offset_days=122)
    response = production.stack.checkout(checkout_body(start, end))
    # then Toss's rules apply (a widget payment is required): refused before anything happens
    assert response.status_code == 400 and "paymentKey" in response.json()["error"]
    assert production.rows("booking") == 0 and production.toss_calls() == {}


# -- two providers at once: each booking settled where it was paid --------------------------------


@pytest.fixture
def two_providers(tmp_path: Path) -> Iterator[tuple[Stack, str, str]]:
    """Toss by default (PAYMENT_API_KEY) and Stripe beside it (STRIPE_SECRET_KEY)."""
    with (
        ServerThread(create_simulator("toss", api_key=TEST_TOSS_KEY)) as toss,
        ServerThread(create_simulator("stripe", api_key=TEST_STRIPE_KEY)) as stripe,
    ):
        env = {
            "PAYMENT_PROVIDER": "toss",
            "PAYMENT_PROVIDERS": "toss,stripe",
            "PAYMENT_API_KEY": TEST_TOSS_KEY,
            "STRIPE_SECRET_KEY": TEST_STRIPE_KEY,
            "TOSS_BASE_URL": toss.url,
            "STRIPE_BASE_URL": stripe.url,
        }
        with running_stack(f"sqlite:///{tmp_path}/two.db", env=env) as stack:
            yield stack, toss.url, stripe.url


def stripe_body(offset: int) -> dict[str, Any]:
    start, end = stay_dates(offset_days=offset)
    body = checkout_body(start, end, token="pm_card_visa")
    body["payment"]["provider"] = "stripe"
    return body


def test_a_stripe_booking_is_voided_and_refunded_at_stripe_while_toss_is_the_default(
    two_providers: tuple[Stack, str, str],
) -> None:
    stack, toss, stripe = two_providers
    # given a Stripe checkout the PMS refuses (sold out after pricing)
    start, end = stay_dates(offset_days=130)
    stack.availability(start, end)
    stack.set_sim_inventory(0, start, end)
    refused = stack.checkout(stripe_body(130))
    assert refused.json()["errorCode"] == "BOOKING_CONFIRM_FAILED", refused.text
    # and a confirmed Stripe booking, then cancelled
    booked = stack.checkout(stripe_body(140))
    assert booked.status_code == 200, booked.text
    cancelled = stack.client.post(f"{stack.url}/api/bookings/{booked.json()['bookingId']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.text
    # then the first authorisation was voided and the second refunded, both at Stripe
    state = httpx2.get(f"{stripe}/_sim/state").json()
    statuses = sorted(i["status"] for i in state["payment_intents"])
    assert statuses == ["canceled", "succeeded"]
    assert state["calls"].get("createRefund") == 1, state["calls"]
    # and Toss, the default, was never asked
    assert httpx2.get(f"{toss}/_sim/state").json()["calls"] == {}
    assert stack.reservations(status="confirmed") == []
