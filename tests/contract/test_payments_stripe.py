"""The Stripe adapter against the Stripe simulator, in-process and over a real socket."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
import structlog

from roomgate.clock import FakeClock
from roomgate.domain.money import Money
from roomgate.payments.base import (
    PaymentConfigurationError,
    PaymentDeclined,
    PaymentNotFound,
    PaymentProviderError,
    PaymentSource,
    PaymentStatus,
    PaymentTimeout,
)
from roomgate.payments.stripe import StripeGateway
from roomgate.simulators.stripe import create_app
from tests.contract.payments_harness import TRANSPORTS, Sim, running

SECRET = "sk_test_roomgateContract0001"
KRW = Money.of(250_000, "KRW")
VISA = PaymentSource(card_token="pm_card_visa")


@pytest.fixture(params=TRANSPORTS)
async def sim(request: pytest.FixtureRequest) -> AsyncIterator[Sim]:
    clock = FakeClock()
    async with running(create_app(seed=5, clock=clock), request.param, clock) as running_sim:
        yield running_sim


def stripe(sim: Sim, *, secret: str = SECRET, timeout: float = 5.0) -> StripeGateway:
    return StripeGateway(sim.client, secret_key=secret, base_url=sim.base_url, timeout_seconds=timeout)


def form(request: Any) -> dict[str, str]:
    return dict(parse_qsl(request.content.decode()))


async def intent_state(sim: Sim, intent_id: str) -> dict[str, Any]:
    return next(i for i in (await sim.state())["payment_intents"] if i["id"] == intent_id)


@pytest.mark.parametrize(("amount", "minor"), [(KRW, "250000"), (Money.of("199.99", "USD"), "19999")])
async def test_authorize_holds_with_manual_capture_in_minor_units(
    sim: Sim, amount: Money, minor: str
) -> None:
    # when
    authorization = await stripe(sim).authorize("bk-1", amount, VISA)

    # then one form-encoded PaymentIntent with manual capture, in the currency's minor unit (KRW has none)
    [create] = sim.sent("POST", "/v1/payment_intents")
    assert create.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert create.headers["Idempotency-Key"] == "bk-1:authorize"
    assert create.headers["Authorization"] == "Basic " + base64.b64encode(f"{SECRET}:".encode()).decode()
    sent = form(create)
    assert sent["amount"] == minor and sent["currency"] == amount.currency.lower()
    assert (sent["capture_method"], sent["confirm"], sent["payment_method"]) == (
        "manual",
        "true",
        "pm_card_visa",
    )
    assert sent["metadata[booking_id]"] == "bk-1"
    state = await intent_state(sim, authorization.authorization_id)
    assert (state["status"], state["amount_received"]) == ("requires_capture", 0)
    assert authorization.amount == amount


async def test_authorize_twice_returns_the_same_intent(sim: Sim) -> None:
    gateway = stripe(sim)

    first = await gateway.authorize("bk-2", KRW, VISA)
    second = await gateway.authorize("bk-2", KRW, VISA)

    assert first == second
    assert len((await sim.state())["payment_intents"]) == 1


async def test_capture_twice_collects_once(sim: Sim) -> None:
    gateway = stripe(sim)
    authorization = await gateway.authorize("bk-3", KRW, VISA)

    await gateway.capture(authorization, "bk-3")
    await gateway.capture(authorization, "bk-3")

    state = await intent_state(sim, authorization.authorization_id)
    assert (state["status"], state["amount_received"]) == ("succeeded", 250_000)
    assert (await sim.state())["calls"]["capturePaymentIntent"] == 1  # the repeat was replayed by its key
    assert {r.headers["Idempotency-Key"] for r in sim.sent("POST", "/capture")} == {"bk-3:capture"}
    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.CAPTURED


async def test_void_before_capture_cancels_the_hold_and_blocks_capture(sim: Sim) -> None:
    gateway = stripe(sim)
    authorization = await gateway.authorize("bk-4", KRW, VISA)

    await gateway.void(authorization.authorization_id, "bk-4")
    await gateway.void(authorization.authorization_id, "bk-4")

    [cancel] = sim.sent("POST", "/cancel")  # the second void saw `canceled` and sent nothing
    assert form(cancel) == {"cancellation_reason": "abandoned"}
    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.VOIDED
    with pytest.raises(PaymentDeclined) as refused:
        await gateway.capture(authorization, "bk-4")
    assert refused.value.code == "payment_intent_unexpected_state"


async def test_void_after_capture_refunds_in_full_once(sim: Sim) -> None:
    gateway = stripe(sim)
    authorization = await gateway.authorize("bk-5", KRW, VISA)
    await gateway.capture(authorization, "bk-5")

    await gateway.void(authorization.authorization_id, "bk-5")
    await gateway.void(authorization.authorization_id, "bk-5")

    refunds = (await sim.state())["refunds"]
    assert [r["amount"] for r in refunds] == [250_000]
    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.REFUNDED


async def test_partial_refund_repeated_refunds_once(sim: Sim) -> None:
    gateway = stripe(sim)
    authorization = await gateway.authorize("bk-6", KRW, VISA)
    await gateway.capture(authorization, "bk-6")
    part = Money.of(50_000, "KRW")

    await gateway.refund(authorization.authorization_id, "bk-6", part, "guest cancelled one night")
    await gateway.refund(authorization.authorization_id, "bk-6", part, "guest cancelled one night")

    refunds = (await sim.state())["refunds"]
    assert [(r["amount"], r["metadata"]["booking_id"]) for r in refunds] == [(50_000, "bk-6")]
    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.CAPTURED
    with pytest.raises(PaymentDeclined) as other_amount:  # one refund per booking id
        await gateway.refund(authorization.authorization_id, "bk-6", Money.of(1, "KRW"), "more")
    assert other_amount.value.code == "idempotency_error"


async def test_refund_before_capture_is_refused(sim: Sim) -> None:
    gateway = stripe(sim)
    authorization = await gateway.authorize("bk-7", KRW, VISA)
    with pytest.raises(PaymentDeclined) as refused:
        await gateway.refund(authorization.authorization_id, "bk-7", KRW, "early")
    assert refused.value.code == "payment_not_captured"


@pytest.mark.parametrize(
    ("card", "code"),
    [
        ("pm_card_chargeDeclined", "generic_decline"),
        ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card"),
        ("pm_card_authenticationRequired", "authentication_required"),
        ("pm_card_doesNotExist", "resource_missing"),
    ],
)
async def test_declines_map_to_payment_declined_without_the_card_token(
    sim: Sim, card: str, code: str
) -> None:
    # when
    with pytest.raises(PaymentDeclined) as declined:
        await stripe(sim).authorize("bk-d", KRW, PaymentSource(card_token=card))

    # then
    assert declined.value.code == code
    assert card not in str(declined.value)
    assert await stripe(sim).find_by_booking("bk-d") is None  # nothing is held for this booking


async def test_wrong_secret_key_is_a_configuration_error_without_the_key() -> None:
    clock = FakeClock()
    async with running(create_app(secret_key=SECRET, clock=clock), "in-process", clock) as sim:
        wrong = "sk_test_notTheRightOne99"
        with pytest.raises(PaymentConfigurationError) as refused:
            await stripe(sim, secret=wrong).authorize("bk-401", KRW, VISA)

    assert wrong not in str(refused.value) and wrong[-4:] not in str(refused.value)


async def test_unknown_intent_is_not_found(sim: Sim) -> None:
    with pytest.raises(PaymentNotFound):
        await stripe(sim).get_status("pi_doesNotExist")
    with pytest.raises(PaymentNotFound):
        await stripe(sim).void("pi_doesNotExist", "bk-x")


async def test_server_error_at_capture_is_retryable_and_not_replayed(sim: Sim) -> None:
    # given Stripe answers 500 to captures
    gateway = stripe(sim)
    authorization = await gateway.authorize("bk-500", KRW, VISA)
    await sim.faults(status=500, endpoints=["capturePaymentIntent"])

    # when
    with pytest.raises(PaymentProviderError) as failed:
        await gateway.capture(authorization, "bk-500")

    # then nothing was collected; the fault was never stored under the key, so the same capture succeeds later
    assert failed.value.retryable and failed.value.code == "api_error"
    assert (await intent_state(sim, authorization.authorization_id))["status"] == "requires_capture"
    await sim.faults()
    await gateway.capture(authorization, "bk-500")
    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.CAPTURED


async def test_rate_limit_is_retryable(sim: Sim) -> None:
    await sim.faults(status=429, retryAfter=2, endpoints=["createPaymentIntent"])
    with pytest.raises(PaymentProviderError) as limited:
        await stripe(sim).authorize("bk-429", KRW, VISA)
    assert limited.value.code == "rate_limit"


async def test_timeout_is_a_payment_timeout(sim: Sim) -> None:
    await sim.faults(hang=True, endpoints=["createPaymentIntent"])

    with pytest.raises(PaymentTimeout) as timed_out:
        await stripe(sim, timeout=0.3).authorize("bk-hang", KRW, VISA)

    assert timed_out.value.retryable
    assert (await sim.state())["payment_intents"] == []


async def test_find_by_booking_prefers_the_intent_holding_money(sim: Sim) -> None:
    # given a declined attempt for the booking, and another intent for it holding money (made without our key)
    gateway = stripe(sim)
    with pytest.raises(PaymentDeclined):
        await gateway.authorize("bk-find", KRW, PaymentSource(card_token="pm_card_chargeDeclined"))
    held = await sim.client.post(
        f"{sim.base_url}/v1/payment_intents",
        data={
            "amount": "250000",
            "currency": "krw",
            "capture_method": "manual",
            "confirm": "true",
            "payment_method": "pm_card_mastercard",
            "metadata[booking_id]": "bk-find",
        },
        headers={"Authorization": f"Bearer {SECRET}"},
    )
    assert held.status_code == 200

    # when
    found = await gateway.find_by_booking("bk-find")

    # then
    assert found is not None
    assert (found.authorization_id, found.amount, found.status) == (
        held.json()["id"],
        KRW,
        PaymentStatus.AUTHORIZED,
    )
    assert await gateway.find_by_booking("bk-none") is None


async def test_logs_and_errors_never_carry_the_secret_or_the_card_token(sim: Sim) -> None:
    token = "pm_card_chargeDeclinedInsufficientFunds"
    with structlog.testing.capture_logs() as logs:
        with pytest.raises(PaymentDeclined) as declined:
            await stripe(sim).authorize("bk-log", KRW, PaymentSource(card_token=token))
        authorization = await stripe(sim).authorize("bk-log-2", KRW, VISA)
        await stripe(sim).capture(authorization, "bk-log-2")

    text = repr(logs) + str(declined.value) + repr(declined.value)
    assert logs
    assert SECRET not in text and token not in text and "pm_card_visa" not in text
    assert authorization.authorization_id not in repr(logs)
