"""One behavioural contract, every gateway: what the checkout saga, compensation and recovery rely on.

Sandbox runs on in-process Redis; Toss and Stripe run against their simulators, in-process and over a
real socket.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from roomgate.cache.client import fresh_in_process_redis
from roomgate.clock import FakeClock
from roomgate.domain.money import Money
from roomgate.payments.base import (
    Authorization,
    PaymentDeclined,
    PaymentGateway,
    PaymentNotFound,
    PaymentSource,
    PaymentStatus,
    supports_partial_capture,
)
from roomgate.payments.sandbox import SandboxGateway
from roomgate.payments.stripe import StripeGateway
from roomgate.payments.toss import TossGateway
from roomgate.simulators import stripe as stripe_sim
from roomgate.simulators import toss as toss_sim
from tests.contract.payments_harness import running

KRW = Money.of(250_000, "KRW")


@dataclass
class Rig:
    gateway: PaymentGateway
    good_source: Callable[[str], Awaitable[PaymentSource]]  # per booking id
    declined_source: Callable[[], Awaitable[PaymentSource]]
    unknown_id: str


async def _sim_payment(sim: Any, order_id: str, **extra: Any) -> PaymentSource:
    response = await sim.client.post(
        f"{sim.base_url}/_sim/payments", json={"orderId": order_id, "amount": KRW.minor, **extra}
    )
    return PaymentSource(payment_key=response.json()["paymentKey"], order_id=order_id)


@pytest.fixture(params=["sandbox", "toss/in-process", "toss/socket", "stripe/in-process", "stripe/socket"])
async def rig(request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    redis = fresh_in_process_redis()
    provider, _, transport = str(request.param).partition("/")
    clock = FakeClock()
    if provider == "sandbox":
        yield Rig(
            SandboxGateway(redis),
            good_source=lambda booking: _const(PaymentSource(card_token="tok_visa_1234")),
            declined_source=lambda: _const(PaymentSource(card_token="tok_decline")),
            unknown_id="sbx_unknown",
        )
    elif provider == "toss":
        async with running(toss_sim.create_app(clock=clock), transport, clock) as sim:
            gateway = TossGateway(
                sim.client, redis, secret_key="test_sk_gw", base_url=sim.base_url, timeout_seconds=5
            )
            yield Rig(
                gateway,
                good_source=lambda booking: _sim_payment(sim, f"order-{booking}"),
                declined_source=lambda: _sim_payment(sim, "order-declined", amount=KRW.minor + 1),
                unknown_id="tgen_unknown",
            )
    else:
        async with running(stripe_sim.create_app(clock=clock), transport, clock) as sim:
            gateway = StripeGateway(
                sim.client, secret_key="sk_test_gw", base_url=sim.base_url, timeout_seconds=5
            )
            yield Rig(
                gateway,
                good_source=lambda booking: _const(PaymentSource(card_token="pm_card_visa")),
                declined_source=lambda: _const(PaymentSource(card_token="pm_card_chargeDeclined")),
                unknown_id="pi_unknown",
            )
    await redis.aclose()


async def _const(source: PaymentSource) -> PaymentSource:
    return source


async def _authorized(rig: Rig, booking_id: str) -> Authorization:
    return await rig.gateway.authorize(booking_id, KRW, await rig.good_source(booking_id))


async def test_authorize_capture_refund_in_full(rig: Rig) -> None:
    authorization = await _authorized(rig, "bk-life")
    assert (authorization.status, authorization.amount) == (PaymentStatus.AUTHORIZED, KRW)
    assert await rig.gateway.get_status(authorization.authorization_id) is PaymentStatus.AUTHORIZED

    await rig.gateway.capture(authorization, "bk-life")
    assert await rig.gateway.get_status(authorization.authorization_id) is PaymentStatus.CAPTURED

    await rig.gateway.refund(authorization.authorization_id, "bk-life", KRW, "cancelled")
    await rig.gateway.refund(authorization.authorization_id, "bk-life", KRW, "cancelled")
    assert await rig.gateway.get_status(authorization.authorization_id) is PaymentStatus.REFUNDED


async def test_authorize_twice_for_one_booking_returns_the_same_authorisation(rig: Rig) -> None:
    source = await rig.good_source("bk-twice")
    first = await rig.gateway.authorize("bk-twice", KRW, source)
    assert await rig.gateway.authorize("bk-twice", KRW, source) == first


async def test_void_before_capture_twice_leaves_it_voided(rig: Rig) -> None:
    authorization = await _authorized(rig, "bk-void")

    await rig.gateway.void(authorization.authorization_id, "bk-void")
    await rig.gateway.void(authorization.authorization_id, "bk-void")

    assert await rig.gateway.get_status(authorization.authorization_id) is PaymentStatus.VOIDED
    with pytest.raises(PaymentDeclined):
        await rig.gateway.capture(authorization, "bk-void")


async def test_void_after_capture_twice_refunds_it(rig: Rig) -> None:
    authorization = await _authorized(rig, "bk-vac")
    await rig.gateway.capture(authorization, "bk-vac")

    await rig.gateway.void(authorization.authorization_id, "bk-vac")
    await rig.gateway.void(authorization.authorization_id, "bk-vac")

    assert await rig.gateway.get_status(authorization.authorization_id) is PaymentStatus.REFUNDED


async def test_decline_holds_nothing_for_the_booking(rig: Rig) -> None:
    with pytest.raises(PaymentDeclined):
        await rig.gateway.authorize("bk-declined", KRW, await rig.declined_source())
    assert await rig.gateway.find_by_booking("bk-declined") is None


async def test_find_by_booking_finds_the_authorisation_with_its_current_state(rig: Rig) -> None:
    authorization = await _authorized(rig, "bk-find")
    await rig.gateway.capture(authorization, "bk-find")

    found = await rig.gateway.find_by_booking("bk-find")

    assert found == Authorization(
        rig.gateway.name, authorization.authorization_id, KRW, PaymentStatus.CAPTURED
    )


async def test_unknown_authorisation_is_not_found(rig: Rig) -> None:
    with pytest.raises(PaymentNotFound):
        await rig.gateway.get_status(rig.unknown_id)
    with pytest.raises(PaymentNotFound):
        await rig.gateway.void(rig.unknown_id, "bk-unknown")


async def test_capture_of_less_than_authorised_collects_that_much_or_is_refused(rig: Rig) -> None:
    # given an authorisation of 250,000 won
    authorization = await _authorized(rig, "bk-less")
    less = Money.of(249_000, "KRW")
    if not supports_partial_capture(rig.gateway):
        # then a provider that cannot capture less (Toss) refuses, and nothing is collected
        with pytest.raises(PaymentDeclined):
            await rig.gateway.capture(authorization, "bk-less", less)
        assert await rig.gateway.get_status(authorization.authorization_id) is PaymentStatus.AUTHORIZED
        return
    # when 249,000 are captured
    await rig.gateway.capture(authorization, "bk-less", less)
    await rig.gateway.capture(authorization, "bk-less", less)  # a retry collects nothing more
    assert await rig.gateway.get_status(authorization.authorization_id) is PaymentStatus.CAPTURED
    # then exactly that was collected: refunding 249,000 gives everything back
    await rig.gateway.refund(authorization.authorization_id, "bk-less", less, "test")
    assert await rig.gateway.get_status(authorization.authorization_id) is PaymentStatus.REFUNDED


async def test_capture_of_the_authorised_amount_named_explicitly_is_a_full_capture(rig: Rig) -> None:
    authorization = await _authorized(rig, "bk-named")
    await rig.gateway.capture(authorization, "bk-named", KRW)
    await rig.gateway.refund(authorization.authorization_id, "bk-named", KRW, "test")
    assert await rig.gateway.get_status(authorization.authorization_id) is PaymentStatus.REFUNDED
