"""Compensation, cancellation and recovery act at the payment provider the booking recorded — never
a default, never the sandbox — and a booking with no usable provider is reported, not guessed at."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace

import pytest
from structlog.testing import capture_logs

from roomgate.domain.booking import BookingStatus
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.payments.base import PaymentGateway, PaymentProviderUnusable, PaymentStatus
from roomgate.services.cancellation import Cancellation
from roomgate.services.checkout import CheckoutSaga, SagaFailed
from roomgate.services.compensation import CompensationIncomplete, Compensator
from roomgate.services.ports import AllowAllWrites
from roomgate.services.recovery import Recovery
from tests.fakes import FakeGateway
from tests.unit.saga_world import Crash, DiesAt, SagaWorld, saga_world


@dataclass
class Gateways:
    """The container's `gateway(provider)`: one gateway per configured provider, refusal otherwise."""

    by_name: dict[str, FakeGateway]
    asked: list[str] = field(default_factory=list)

    def __call__(self, provider: str) -> PaymentGateway:
        self.asked.append(provider)
        if provider not in self.by_name:
            raise PaymentProviderUnusable(f"{provider}: not configured", provider=provider)
        return self.by_name[provider]


@dataclass
class Alerts:
    sent: list[tuple[str, str]] = field(default_factory=list)

    async def alert(self, kind: str, key: str, message: str, **details: str | int | float | None) -> None:
        self.sent.append((kind, key))


@dataclass
class Payments:
    world: SagaWorld
    gateways: Gateways
    alerts: Alerts

    @property
    def toss(self) -> FakeGateway:
        return self.gateways.by_name["toss"]

    @property
    def stripe(self) -> FakeGateway:
        return self.gateways.by_name["stripe"]

    @property
    def sandbox(self) -> FakeGateway:
        return self.gateways.by_name["sandbox"]

    async def checkout(self, booking_id: str, provider: str = "stripe") -> None:
        cmd = replace(self.world.command(), provider=provider)
        await self.world.saga.run(cmd, await self.world.saga.price(cmd), booking_id)

    def compensator(self) -> Compensator:
        return Compensator(self.world.bookings, self.world.holds, self.world.connectors, self.gateways)

    def cancellation(self) -> Cancellation:
        return Cancellation(
            self.world.bookings, self.world.connectors, self.gateways, self.world.pricer, self.world.clock
        )

    def recovery(self) -> Recovery:
        return Recovery(
            self.world.bookings,
            self.compensator(),
            after_seconds=0,
            cancellation=self.cancellation(),
            alerts=self.alerts,
            owner="recovery-test",
            clock=self.world.clock,
        )

    async def forget_provider(self, booking_id: str) -> None:
        """Given: a booking row with no recorded provider (written before providers were recorded)."""
        self.world.rewrite(booking_id, payment_provider=None)


@pytest.fixture
async def payments() -> AsyncIterator[Payments]:
    async for world in saga_world():
        # Toss is the deployment's default; the sandbox is there only to notice anyone falling back to it.
        gateways = Gateways({name: FakeGateway(name=name) for name in ("toss", "stripe", "sandbox")})
        world.saga = CheckoutSaga(
            bookings=world.bookings,
            holds=world.holds,
            pricer=world.pricer,
            connectors=world.connectors,
            gateways=gateways,
            gate=AllowAllWrites(),
            clock=world.clock,
        )
        yield Payments(world, gateways, Alerts())


def untouched(*gateways: FakeGateway) -> bool:
    return all(not gateway.payments for gateway in gateways)


# -- the recorded provider ---------------------------------------------------------------------------


async def test_a_failed_stripe_checkout_is_voided_at_stripe(payments: Payments) -> None:
    # given a Stripe checkout the PMS refuses
    payments.world.connector.fail_create = "sold_out"
    with pytest.raises(SagaFailed):
        await payments.checkout("bk_stripe")
    # then the compensation voided the authorisation at Stripe, and nowhere else was asked
    assert payments.stripe.payments["pa_bk_stripe"][1] is PaymentStatus.VOIDED
    assert untouched(payments.toss, payments.sandbox)
    assert set(payments.gateways.asked) == {"stripe"}


async def test_a_stripe_booking_is_refunded_at_stripe(payments: Payments) -> None:
    await payments.checkout("bk_stripe")
    booking = await payments.cancellation().cancel("bk_stripe")
    assert booking.status == BookingStatus.CANCELLED.value
    assert payments.stripe.payments["pa_bk_stripe"][1] is PaymentStatus.REFUNDED
    assert untouched(payments.toss, payments.sandbox)


@pytest.mark.parametrize(
    ("point", "expected"), [("after_authorize", "voided"), ("after_pms_confirm", "captured")]
)
async def test_recovery_settles_a_stripe_booking_at_stripe(
    payments: Payments, point: str, expected: str
) -> None:
    # given a Stripe checkout that died mid-saga
    payments.world.saga.faults = DiesAt(point=point)
    with pytest.raises(Crash):
        await payments.checkout("bk_stripe")
    await payments.world.age("bk_stripe")
    # when recovery runs
    await payments.recovery().run_once()
    # then the payment was settled at Stripe
    assert payments.stripe.payments["pa_bk_stripe"][1].value == expected
    assert untouched(payments.toss, payments.sandbox)


# -- no usable provider: reported and left for an operator ----------------------------------------


async def test_recovery_reports_a_booking_without_a_provider_and_touches_nothing(payments: Payments) -> None:
    # given a booking that died after the PMS reservation, its row without a payment provider
    payments.world.saga.faults = DiesAt(point="after_pms_confirm")
    with pytest.raises(Crash):
        await payments.checkout("bk_orphan")
    await payments.forget_provider("bk_orphan")
    await payments.world.age("bk_orphan")
    # when recovery runs
    with capture_logs() as logs:
        report = await payments.recovery().run_once()
    # then it is reported for an operator (ERROR log + alert), not settled with the sandbox
    assert report.needs_operator == ["bk_orphan"]
    assert report.failed == report.confirmed == report.deferred == []
    assert payments.alerts.sent == [("booking_needs_operator", "bk_orphan")]
    assert any(e["log_level"] == "error" and e.get("booking_id") == "bk_orphan" for e in logs)
    # and nothing was touched: the booking, its reservation, its money
    booking = await payments.world.bookings.get("bk_orphan")
    assert booking.status == BookingStatus.RESERVED.value and booking.lease_owner is None
    assert len(payments.world.connector.active()) == 1
    assert payments.stripe.payments["pa_bk_orphan"][1] is PaymentStatus.AUTHORIZED
    assert untouched(payments.sandbox, payments.toss)
    assert "sandbox" not in payments.gateways.asked


async def test_recovery_reports_a_provider_this_deployment_cannot_use(payments: Payments) -> None:
    # given a Stripe booking left unfinished, and a deployment that no longer has Stripe configured
    payments.world.saga.faults = DiesAt(point="after_authorize")
    with pytest.raises(Crash):
        await payments.checkout("bk_stripe")
    await payments.world.age("bk_stripe")
    stripe = payments.gateways.by_name.pop("stripe")
    # when recovery runs, then it is left for an operator, its authorisation untouched
    report = await payments.recovery().run_once()
    assert report.needs_operator == ["bk_stripe"]
    assert stripe.payments["pa_bk_stripe"][1] is PaymentStatus.AUTHORIZED
    assert untouched(payments.sandbox, payments.toss)


async def test_cancelling_a_booking_without_a_provider_is_refused_before_anything(payments: Payments) -> None:
    # given a confirmed booking whose row has no payment provider
    await payments.checkout("bk_orphan")
    await payments.forget_provider("bk_orphan")
    # when it is cancelled
    with capture_logs() as logs, pytest.raises(DomainError) as err:
        await payments.cancellation().cancel("bk_orphan")
    # then the request is refused and logged at ERROR; the stay, the money and the row are as they were
    assert err.value.code is ErrorCode.INTERNAL_ERROR
    assert any(e["log_level"] == "error" for e in logs)
    assert (await payments.world.bookings.get("bk_orphan")).status == BookingStatus.CONFIRMED.value
    assert len(payments.world.connector.active()) == 1
    assert payments.stripe.payments["pa_bk_orphan"][1] is PaymentStatus.CAPTURED
    assert untouched(payments.sandbox, payments.toss)


async def test_compensation_never_releases_money_at_a_guessed_provider(payments: Payments) -> None:
    # given a booking that died after pre-authorisation, its row without a payment provider
    payments.world.saga.faults = DiesAt(point="after_authorize")
    with pytest.raises(Crash):
        await payments.checkout("bk_orphan")
    await payments.forget_provider("bk_orphan")
    booking = await payments.world.bookings.get("bk_orphan")
    # when it is compensated, then the payment step fails and the booking stays open
    with pytest.raises(CompensationIncomplete):
        await payments.compensator().compensate(booking, error_code="INTERNAL_ERROR", error_message="x")
    assert (await payments.world.bookings.get("bk_orphan")).status == BookingStatus.AUTHORIZED.value
    assert payments.stripe.payments["pa_bk_orphan"][1] is PaymentStatus.AUTHORIZED
    assert untouched(payments.sandbox, payments.toss)
    events = [e.event for e in await payments.world.bookings.events("bk_orphan")]
    assert "compensation_failed" in events


async def test_the_saga_refuses_a_provider_it_cannot_charge_before_any_side_effect(
    payments: Payments,
) -> None:
    # given a checkout naming a provider with no gateway here (the API's allow-list was bypassed)
    # when it runs
    with pytest.raises(DomainError) as err:
        await payments.checkout("bk_nowhere", provider="paypal")
    # then it is refused with nothing written, held, reserved or charged
    assert err.value.code is ErrorCode.INTERNAL_ERROR
    assert await payments.world.bookings.find("bk_nowhere") is None
    assert payments.world.holds.active == {} and payments.world.connector.reservations == {}
    assert untouched(payments.sandbox, payments.toss, payments.stripe)
