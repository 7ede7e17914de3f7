"""The Toss adapter against the Toss simulator, in-process and over a real socket."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import structlog
from redis.asyncio import Redis

from roomgate.cache.client import fresh_in_process_redis
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
from roomgate.payments.toss import TossGateway
from roomgate.simulators.toss import create_app
from tests.contract.payments_harness import TRANSPORTS, Sim, fixture, running

SECRET = "test_sk_roomgateContract0001"
KRW = Money.of(250_000, "KRW")


@pytest.fixture(params=TRANSPORTS)
async def sim(request: pytest.FixtureRequest) -> AsyncIterator[Sim]:
    clock = FakeClock()
    async with running(create_app(seed=3, clock=clock), request.param, clock) as running_sim:
        yield running_sim


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = fresh_in_process_redis()
    yield client
    await client.aclose()


def toss(sim: Sim, redis: Redis, *, secret: str = SECRET, timeout: float = 5.0) -> TossGateway:
    return TossGateway(sim.client, redis, secret_key=secret, base_url=sim.base_url, timeout_seconds=timeout)


async def widget(
    sim: Sim, order_id: str = "order-000001", amount: int = 250_000, **extra: Any
) -> PaymentSource:
    """What the checkout receives after the payment widget's authentication."""
    response = await sim.client.post(
        f"{sim.base_url}/_sim/payments", json={"orderId": order_id, "amount": amount, **extra}
    )
    response.raise_for_status()
    return PaymentSource(payment_key=response.json()["paymentKey"], order_id=order_id)


async def sim_status(sim: Sim, payment_key: str) -> dict[str, Any]:
    return next(p for p in (await sim.state())["payments"] if p["paymentKey"] == payment_key)


async def test_authorize_verifies_without_moving_money_and_capture_confirms(sim: Sim, redis: Redis) -> None:
    # given a payment the widget authenticated
    gateway, source = toss(sim, redis), await widget(sim)

    # when it is authorised
    authorization = await gateway.authorize("bk-1", KRW, source)

    # then only a lookup was made: still awaiting approval at Toss
    assert authorization.authorization_id == source.payment_key
    assert authorization.status is PaymentStatus.AUTHORIZED
    assert sim.sent("POST", "/v1/") == []
    assert (await sim_status(sim, source.payment_key or ""))["status"] == "IN_PROGRESS"

    # when it is captured
    await gateway.capture(authorization, "bk-1")

    # then one confirm was sent, as Toss documents it, and the payment is DONE
    [confirm] = sim.sent("POST", "/v1/payments/confirm")
    assert json.loads(confirm.content).keys() == fixture("toss_confirm_request.json").keys()
    assert json.loads(confirm.content)["amount"] == 250_000
    assert confirm.headers["Idempotency-Key"] == "bk-1:capture"
    assert confirm.headers["Authorization"] == "Basic " + base64.b64encode(f"{SECRET}:".encode()).decode()
    assert (await sim_status(sim, source.payment_key or ""))["status"] == "DONE"
    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.CAPTURED


async def test_capture_twice_confirms_once(sim: Sim, redis: Redis) -> None:
    gateway = toss(sim, redis)
    authorization = await gateway.authorize("bk-2", KRW, await widget(sim))

    await gateway.capture(authorization, "bk-2")
    await gateway.capture(authorization, "bk-2")

    assert len(sim.sent("POST", "/v1/payments/confirm")) == 1


async def test_capture_after_an_approval_whose_answer_was_lost_is_a_no_op(sim: Sim, redis: Redis) -> None:
    # given an approval that reached Toss but whose answer never came back
    gateway, source = toss(sim, redis), await widget(sim)
    authorization = await gateway.authorize("bk-lost", KRW, source)
    body = {"paymentKey": source.payment_key, "orderId": source.order_id, "amount": 250_000}
    headers = {"Authorization": "Basic " + base64.b64encode(f"{SECRET}:".encode()).decode()}
    assert (
        await sim.client.post(f"{sim.base_url}/v1/payments/confirm", json=body, headers=headers)
    ).is_success

    # when the saga captures again
    await gateway.capture(authorization, "bk-lost")

    # then it sees the approval instead of approving twice
    assert len(sim.sent("POST", "/v1/payments/confirm")) == 1
    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.CAPTURED


async def test_void_before_capture_abandons_the_authentication_until_it_expires(
    sim: Sim, redis: Redis
) -> None:
    # given
    gateway, source = toss(sim, redis), await widget(sim)
    authorization = await gateway.authorize("bk-void", KRW, source)

    # when voided (twice: compensations may run again)
    await gateway.void(authorization.authorization_id, "bk-void")
    await gateway.void(authorization.authorization_id, "bk-void")

    # then nothing was sent to Toss, it reads as voided, and no capture can approve it any more
    assert sim.sent("POST", "/v1/") == []
    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.VOIDED
    with pytest.raises(PaymentDeclined) as refused:
        await gateway.capture(authorization, "bk-void")
    assert refused.value.code == "VOIDED"
    assert sim.sent("POST", "/v1/payments/confirm") == []

    # and ten minutes later Toss expires it with no money moved
    sim.clock.advance(600)
    assert (await sim_status(sim, authorization.authorization_id))["status"] == "EXPIRED"
    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.VOIDED


async def test_void_after_capture_cancels_in_full_once(sim: Sim, redis: Redis) -> None:
    gateway = toss(sim, redis)
    authorization = await gateway.authorize("bk-vc", KRW, await widget(sim))
    await gateway.capture(authorization, "bk-vc")

    await gateway.void(authorization.authorization_id, "bk-vc")
    await gateway.void(authorization.authorization_id, "bk-vc")

    state = await sim_status(sim, authorization.authorization_id)
    assert (state["status"], state["balanceAmount"], state["cancels"]) == ("CANCELED", 0, 1)
    [cancel] = sim.sent("POST", "/cancel")
    assert cancel.headers["Idempotency-Key"] == "bk-vc:void"
    assert "cancelAmount" not in json.loads(cancel.content)  # omitted = the whole remaining amount
    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.REFUNDED


async def test_partial_refund_repeated_refunds_once(sim: Sim, redis: Redis) -> None:
    gateway = toss(sim, redis)
    authorization = await gateway.authorize("bk-ref", KRW, await widget(sim))
    await gateway.capture(authorization, "bk-ref")

    await gateway.refund(authorization.authorization_id, "bk-ref", Money.of(50_000, "KRW"), "부분 취소")
    await gateway.refund(authorization.authorization_id, "bk-ref", Money.of(50_000, "KRW"), "부분 취소")

    state = await sim_status(sim, authorization.authorization_id)
    assert (state["status"], state["balanceAmount"], state["cancels"]) == ("PARTIAL_CANCELED", 200_000, 1)
    cancels = sim.sent("POST", "/cancel")
    assert len(cancels) == 2  # the second is answered from Toss's idempotency store
    assert {c.headers["Idempotency-Key"] for c in cancels} == {"bk-ref:refund"}
    assert json.loads(cancels[0].content).keys() == fixture("toss_cancel_request.json").keys()
    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.CAPTURED


async def test_refund_of_an_unapproved_payment_is_refused(sim: Sim, redis: Redis) -> None:
    gateway = toss(sim, redis)
    authorization = await gateway.authorize("bk-ra", KRW, await widget(sim))
    with pytest.raises(PaymentDeclined) as refused:
        await gateway.refund(authorization.authorization_id, "bk-ra", KRW, "never collected")
    assert refused.value.code == "NOT_CANCELABLE_PAYMENT"


@pytest.mark.parametrize(
    ("order_id", "amount", "code"),
    [("order-other1", 250_000, "ORDER_MISMATCH"), ("order-000001", 249_000, "AMOUNT_MISMATCH")],
)
async def test_authorize_refuses_a_payment_for_another_order_or_amount(
    sim: Sim, redis: Redis, order_id: str, amount: int, code: str
) -> None:
    # given the widget authenticated 250,000 KRW for order-000001
    source = await widget(sim)
    tampered = PaymentSource(payment_key=source.payment_key, order_id=order_id)

    # when the checkout claims another order or prices the stay differently
    with pytest.raises(PaymentDeclined) as refused:
        await toss(sim, redis).authorize("bk-t", Money.of(amount, "KRW"), tampered)

    # then
    assert refused.value.code == code


async def test_authorize_refuses_an_expired_authentication(sim: Sim, redis: Redis) -> None:
    source = await widget(sim)
    sim.clock.advance(601)

    with pytest.raises(PaymentDeclined) as refused:
        await toss(sim, redis).authorize("bk-exp", KRW, source)

    assert refused.value.code == "EXPIRED_PAYMENT"


async def test_authorize_needs_the_widget_fields(sim: Sim, redis: Redis) -> None:
    with pytest.raises(PaymentDeclined) as refused:
        await toss(sim, redis).authorize("bk-n", KRW, PaymentSource(card_token="tok_visa_1234"))
    assert refused.value.code == "INVALID_REQUEST"


async def test_card_company_refusal_at_capture_is_a_decline_and_leaves_nothing_to_void(
    sim: Sim, redis: Redis
) -> None:
    # given a card the card company will refuse at approval
    gateway = toss(sim, redis)
    authorization = await gateway.authorize(
        "bk-rej", KRW, await widget(sim, rejectCode="REJECT_CARD_PAYMENT")
    )

    # when
    with pytest.raises(PaymentDeclined) as declined:
        await gateway.capture(authorization, "bk-rej")

    # then Toss's code comes through, the payment is aborted, and a void has nothing to cancel
    assert declined.value.code == "REJECT_CARD_PAYMENT"
    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.FAILED
    await gateway.void(authorization.authorization_id, "bk-rej")
    assert sim.sent("POST", "/cancel") == []


async def test_wrong_secret_key_is_a_configuration_error_without_the_key(redis: Redis) -> None:
    # given a simulator that accepts only its own key
    clock = FakeClock()
    async with running(create_app(secret_key=SECRET, clock=clock), "in-process", clock) as sim:
        source = await widget(sim)
        wrong = "test_sk_notTheRightOne99"

        # when
        with pytest.raises(PaymentConfigurationError) as refused:
            await toss(sim, redis, secret=wrong).authorize("bk-401", KRW, source)

    # then
    assert refused.value.code == "UNAUTHORIZED_KEY"
    assert wrong not in str(refused.value) and SECRET not in str(refused.value)


async def test_unknown_payment_key_is_not_found(sim: Sim, redis: Redis) -> None:
    gateway = toss(sim, redis)
    with pytest.raises(PaymentNotFound) as missing:
        await gateway.authorize(
            "bk-404", KRW, PaymentSource(payment_key="tgen_doesNotExist", order_id="order-404404")
        )
    assert missing.value.code == "NOT_FOUND_PAYMENT"
    assert "tgen_doesNotExist" not in str(missing.value)
    with pytest.raises(PaymentNotFound):
        await gateway.get_status("tgen_doesNotExist")


async def test_server_error_at_capture_is_retryable_and_a_retry_succeeds(sim: Sim, redis: Redis) -> None:
    # given Toss answers 500 to approvals
    gateway = toss(sim, redis)
    authorization = await gateway.authorize("bk-500", KRW, await widget(sim))
    await sim.faults(status=500, endpoints=["confirm"])

    # when
    with pytest.raises(PaymentProviderError) as failed:
        await gateway.capture(authorization, "bk-500")

    # then nothing was approved, and once Toss recovers the same capture goes through
    assert failed.value.retryable and failed.value.code == "FAILED_INTERNAL_SYSTEM_PROCESSING"
    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.AUTHORIZED
    await sim.faults()
    await gateway.capture(authorization, "bk-500")
    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.CAPTURED


async def test_void_may_win_after_toss_definitively_refused_the_approval(sim: Sim, redis: Redis) -> None:
    gateway = toss(sim, redis)
    authorization = await gateway.authorize("bk-pe", KRW, await widget(sim))
    await sim.faults(businessError="PROVIDER_ERROR", endpoints=["confirm"])
    with pytest.raises(PaymentProviderError):
        await gateway.capture(authorization, "bk-pe")

    await gateway.void(authorization.authorization_id, "bk-pe")

    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.VOIDED


async def test_timeout_at_capture_is_unknown_outcome_and_void_waits_for_it(sim: Sim, redis: Redis) -> None:
    # given approvals hang and the client waits only briefly
    gateway = toss(sim, redis, timeout=0.3)
    authorization = await gateway.authorize("bk-hang", KRW, await widget(sim))
    await sim.faults(hang=True, endpoints=["confirm"])

    # when
    with pytest.raises(PaymentTimeout):
        await gateway.capture(authorization, "bk-hang")

    # then a void cannot know whether the approval landed, so it asks to be retried
    with pytest.raises(PaymentProviderError) as wait:
        await gateway.void(authorization.authorization_id, "bk-hang")
    assert wait.value.code == "CAPTURE_IN_FLIGHT"
    # and once Toss answers again, retrying the capture settles it
    await sim.faults()
    await gateway.capture(authorization, "bk-hang")
    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.CAPTURED


async def test_timeout_at_lookup_is_a_payment_timeout(sim: Sim, redis: Redis) -> None:
    source = await widget(sim)
    await sim.faults(hang=True, endpoints=["getPayment"])

    with pytest.raises(PaymentTimeout) as timed_out:
        await toss(sim, redis, timeout=0.3).authorize("bk-t", KRW, source)

    assert timed_out.value.retryable


async def test_find_by_booking_returns_what_authorize_verified(sim: Sim, redis: Redis) -> None:
    gateway = toss(sim, redis)
    authorization = await gateway.authorize("bk-find", KRW, await widget(sim))

    found = await gateway.find_by_booking("bk-find")

    assert found == authorization
    assert await gateway.find_by_booking("bk-unknown") is None


async def test_logs_and_errors_never_carry_the_secret_or_a_full_payment_key(sim: Sim, redis: Redis) -> None:
    gateway = toss(sim, redis)
    source = await widget(sim)
    key = source.payment_key or ""
    with structlog.testing.capture_logs() as logs:
        authorization = await gateway.authorize("bk-log", KRW, source)
        await gateway.capture(authorization, "bk-log")
        await sim.faults(status=503, endpoints=["cancel"])
        with pytest.raises(PaymentProviderError) as failed:
            await gateway.void(authorization.authorization_id, "bk-log")

    assert logs, "the adapter logs its vendor calls"
    text = repr(logs) + str(failed.value) + repr(failed.value)
    assert SECRET not in text and key not in text
    assert key[-4:] in repr(logs)  # masked, still traceable
