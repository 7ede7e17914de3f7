"""The saga's every path with in-memory vendor fakes and a real SQLite ledger."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from roomgate.clock import FakeClock
from roomgate.domain.booking import BookingStatus
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.money import Money
from roomgate.domain.stay import Stay
from roomgate.ledger.bookings import BookingRepository
from roomgate.ledger.db import create_engine, session_factory
from roomgate.payments.base import PaymentSource, PaymentStatus
from roomgate.pms.types import GuestInfo
from roomgate.services.cancellation import Cancellation
from roomgate.services.checkout import CheckoutCommand, CheckoutSaga, SagaFailed
from roomgate.services.compensation import hold_id_for
from roomgate.services.faults import FaultPoints
from roomgate.services.recovery import Recovery
from tests.fakes import FakeConnector, FakeGateway, FakeHolds, FakePricer


@dataclass
class World:
    saga: CheckoutSaga
    holds: FakeHolds
    pricer: FakePricer
    connector: FakeConnector
    gateway: FakeGateway
    bookings: BookingRepository

    def command(self, token: str = "tok_visa_1234", amount: int = 250000) -> CheckoutCommand:
        start = date(2026, 12, 24)
        return CheckoutCommand(
            vendor="cloudbeds",
            hotel_id="hotel_123",
            room_type_id="room_456",
            stay=Stay.of(start, start + timedelta(days=2)),
            adults=2,
            children=0,
            guest=GuestInfo("홍", "길동", "hong@example.com", "+82-10-1234-5678"),
            amount=Money.from_minor(amount, "KRW"),
            provider="sandbox",
            source=PaymentSource(card_token=token),
        )

    async def checkout(self, cmd: CheckoutCommand, booking_id: str = "bk_t1") -> str:
        quote = await self.saga.price(cmd)
        return (await self.saga.run(cmd, quote, booking_id)).confirmation_number


class Gate:
    def __init__(self) -> None:
        self.reason: str | None = None

    async def write_refusal(self, vendor: str, hotel_id: str) -> str | None:
        return self.reason


@pytest.fixture
async def world(sqlite_ledger_url: str) -> AsyncIterator[World]:
    engine = create_engine(sqlite_ledger_url)
    bookings = BookingRepository(session_factory(engine))
    holds, pricer, connector, gateway = FakeHolds(), FakePricer(), FakeConnector(), FakeGateway()

    async def connectors(vendor: str, hotel_id: str) -> FakeConnector:
        return connector

    saga = CheckoutSaga(
        bookings=bookings,
        holds=holds,
        pricer=pricer,
        connectors=connectors,
        gateways=lambda _p: gateway,
        gate=Gate(),
        clock=FakeClock(),
    )
    yield World(saga, holds, pricer, connector, gateway, bookings)
    await engine.dispose()


async def test_happy_path_confirms_and_records_every_step(world: World) -> None:
    # when the spec's example checks out
    confirmation = await world.checkout(world.command())
    # then the PMS holds one reservation, the money is captured and the hold converted
    row = await world.bookings.get("bk_t1")
    assert row.status == "confirmed" and confirmation == "r1"
    assert [r.external_id for r in world.connector.active()] == ["bk_t1"]
    assert world.gateway.payments["pa_bk_t1"][1] is PaymentStatus.CAPTURED
    assert world.holds.converted == {hold_id_for("bk_t1")}
    events = [e.event for e in await world.bookings.events("bk_t1")]
    assert events == ["created", "hold_created", "payment_authorized", "pms_reserved", "payment_captured"]


async def test_client_amount_must_match_server_price(world: World) -> None:
    with pytest.raises(DomainError) as err:
        await world.checkout(world.command(amount=200000))
    assert err.value.code is ErrorCode.VALIDATION_ERROR
    assert world.holds.active == {} and await world.bookings.find("bk_t1") is None


async def test_degraded_mode_refuses_before_anything_happens(world: World) -> None:
    world.saga.gate.reason = "Degraded Mode: 현재 예약이 불가능합니다. (PMS API 다운)"  # type: ignore[attr-defined]
    with pytest.raises(DomainError) as err:
        await world.checkout(world.command())
    assert err.value.code is ErrorCode.SERVICE_DEGRADED and "PMS API 다운" in err.value.user_message
    assert await world.bookings.find("bk_t1") is None


async def test_sold_out_nights_are_reported_by_date(world: World) -> None:
    world.pricer.for_sale = 0
    with pytest.raises(DomainError) as err:
        await world.checkout(world.command())
    assert err.value.user_message == "재고 부족: 2026-12-24"


async def _assert_compensated(world: World, code: ErrorCode) -> None:
    row = await world.bookings.get("bk_t1")
    assert (row.status, row.error_code) == ("failed", code.value)
    assert world.connector.active() == []
    assert all(
        status in {PaymentStatus.VOIDED, PaymentStatus.REFUNDED}
        for _, status in world.gateway.payments.values()
    )
    assert world.holds.active == {}


async def test_declined_preauth_releases_the_hold(world: World) -> None:
    with pytest.raises(SagaFailed) as err:
        await world.checkout(world.command(token="tok_decline"))
    assert err.value.code is ErrorCode.PAYMENT_PREAUTH_FAILED
    await _assert_compensated(world, ErrorCode.PAYMENT_PREAUTH_FAILED)
    assert world.holds.released == {hold_id_for("bk_t1")}


async def test_preauth_timeout_voids_the_authorisation_it_may_have_made(world: World) -> None:
    with pytest.raises(SagaFailed):
        await world.checkout(world.command(token="tok_timeout"))
    await _assert_compensated(world, ErrorCode.PAYMENT_PREAUTH_FAILED)
    assert world.gateway.payments["pa_bk_t1"][1] is PaymentStatus.VOIDED


async def test_pms_refusal_after_preauth_voids_and_releases(world: World) -> None:
    world.connector.fail_create = "sold_out"
    with pytest.raises(SagaFailed) as err:
        await world.checkout(world.command())
    assert err.value.code is ErrorCode.BOOKING_CONFIRM_FAILED
    await _assert_compensated(world, ErrorCode.BOOKING_CONFIRM_FAILED)


async def test_pms_timeout_after_the_reservation_was_made_cancels_it(world: World) -> None:
    world.connector.fail_create = "timeout_after_create"
    with pytest.raises(SagaFailed):
        await world.checkout(world.command())
    await _assert_compensated(world, ErrorCode.BOOKING_CONFIRM_FAILED)
    assert len(world.connector.reservations) == 1  # it existed, and is now cancelled


async def test_capture_failure_cancels_the_reservation(world: World) -> None:
    world.gateway.fail_capture = True
    with pytest.raises(SagaFailed) as err:
        await world.checkout(world.command())
    assert err.value.code is ErrorCode.PAYMENT_CAPTURE_FAILED
    await _assert_compensated(world, ErrorCode.PAYMENT_CAPTURE_FAILED)


async def test_compensation_run_twice_is_harmless(world: World) -> None:
    world.connector.fail_create = "sold_out"
    with pytest.raises(SagaFailed):
        await world.checkout(world.command())
    row = await world.bookings.get("bk_t1")
    await world.saga.compensator.cancel_pms(row, lookup=True)
    await world.saga.compensator.release_payment(row)
    await world.saga.compensator.release_hold(row)
    await _assert_compensated(world, ErrorCode.BOOKING_CONFIRM_FAILED)


async def test_cancellation_refunds_frees_nights_and_is_idempotent(world: World) -> None:
    await world.checkout(world.command())
    cancellation = Cancellation(world.bookings, world.saga.connectors, world.saga.gateways, world.pricer)
    first = await cancellation.cancel("bk_t1")
    second = await cancellation.cancel("bk_t1")
    assert first.status == second.status == "cancelled"
    assert world.connector.active() == []
    assert world.gateway.payments["pa_bk_t1"][1] is PaymentStatus.REFUNDED
    assert world.pricer.cancelled_nights == [date(2026, 12, 24), date(2026, 12, 25)]  # once, not twice


async def test_only_confirmed_bookings_can_be_cancelled(world: World) -> None:
    world.connector.fail_create = "sold_out"
    with pytest.raises(SagaFailed):
        await world.checkout(world.command())
    cancellation = Cancellation(world.bookings, world.saga.connectors, world.saga.gateways, world.pricer)
    with pytest.raises(DomainError) as err:
        await cancellation.cancel("bk_t1")
    assert err.value.code is ErrorCode.VALIDATION_ERROR


# -- recovery: a booking frozen at each crash point ends in an allowed end state ----------------

STOP_AT = {
    "after_hold": BookingStatus.HELD,
    "after_authorize": BookingStatus.AUTHORIZED,
    "after_pms_confirm": BookingStatus.RESERVED,
}


class Crash(Exception):
    pass


@pytest.mark.parametrize(
    "point", ["after_hold", "after_authorize", "after_pms_confirm", "after_capture", "pms_call_unrecorded"]
)
async def test_recovery_settles_a_booking_crashed_at_each_point(world: World, point: str) -> None:
    # given a saga that dies at `point` (the exception stands in for the process dying there)
    class Dying(FaultPoints):
        async def hit(self, name: str) -> None:
            if name == point:
                raise Crash(name)

    if point == "pms_call_unrecorded":
        # the PMS made the reservation but the process died before recording it
        async def dying_transition(*_a: object, **_k: object) -> None:
            raise Crash("after PMS call")

        original = world.bookings.transition

        async def transition(
            booking_id: str, expected: BookingStatus, target: BookingStatus, **kw: object
        ) -> None:
            if target is BookingStatus.RESERVED:
                await dying_transition()
            await original(booking_id, expected, target, **kw)  # type: ignore[arg-type]

        world.bookings.transition = transition  # type: ignore[method-assign]
    else:
        world.saga.faults = Dying()  # type: ignore[assignment]
    with pytest.raises(Crash):
        await world.checkout(world.command())
    if point == "pms_call_unrecorded":
        world.bookings.transition = original  # type: ignore[method-assign]
    # when recovery runs (deadline 0, lease expired)
    await world.bookings.record(
        "bk_t1",
        BookingStatus((await world.bookings.get("bk_t1")).status),
        event="test_expire_lease",
        lease_until=None,
    )
    recovery = Recovery(world.bookings, world.saga.compensator, after_seconds=0)
    await recovery.run_once()
    # then the booking is in one of the two allowed end states
    row = await world.bookings.get("bk_t1")
    payment = world.gateway.payments.get("pa_bk_t1", (None, None))[1]
    if row.status == "confirmed":
        assert len(world.connector.active()) == 1 and payment is PaymentStatus.CAPTURED
    else:
        assert row.status == "failed"
        assert world.connector.active() == [] and payment in {
            None,
            PaymentStatus.VOIDED,
            PaymentStatus.REFUNDED,
        }
        assert world.holds.active == {}
    expected = "failed" if point in {"after_hold", "after_authorize"} else "confirmed"
    assert row.status == expected


async def test_a_cancellation_interrupted_by_a_refund_error_is_finished_by_recovery(world: World) -> None:
    # given a confirmed booking whose refund fails once
    await world.checkout(world.command())
    cancellation = Cancellation(world.bookings, world.saga.connectors, world.saga.gateways, world.pricer)
    original_refund = world.gateway.refund

    async def failing_refund(*_a: object, **_k: object) -> None:
        from roomgate.payments.base import PaymentProviderError

        raise PaymentProviderError("provider down", provider="sandbox")

    world.gateway.refund = failing_refund  # type: ignore[method-assign]
    # when the guest cancels
    with pytest.raises(DomainError):
        await cancellation.cancel("bk_t1")
    # then the booking is parked in `cancelling`, the PMS reservation already cancelled
    assert (await world.bookings.get("bk_t1")).status == "cancelling"
    assert world.connector.active() == []
    # and when the provider is back, recovery finishes it: refunded, cancelled, rooms back once
    world.gateway.refund = original_refund  # type: ignore[method-assign]
    await world.bookings.record("bk_t1", BookingStatus.CANCELLING, event="test_age", lease_until=None)
    report = await Recovery(
        world.bookings, world.saga.compensator, after_seconds=0, cancellation=cancellation
    ).run_once()
    assert report.cancelled == ["bk_t1"]
    row = await world.bookings.get("bk_t1")
    assert row.status == "cancelled"
    assert world.gateway.payments["pa_bk_t1"][1] is PaymentStatus.REFUNDED
    assert world.pricer.cancelled_nights == [date(2026, 12, 24), date(2026, 12, 25)]


async def test_a_refund_whose_state_is_unknown_is_not_marked_done(world: World) -> None:
    # given a confirmed booking whose payment state the provider cannot tell
    await world.checkout(world.command())
    cancellation = Cancellation(world.bookings, world.saga.connectors, world.saga.gateways, world.pricer)

    async def unknown_status(_auth_id: str) -> PaymentStatus:
        return PaymentStatus.UNKNOWN

    world.gateway.get_status = unknown_status  # type: ignore[method-assign]
    # when the guest cancels, then the cancellation stops short of `cancelled` (recovery retries it)
    with pytest.raises(DomainError):
        await cancellation.cancel("bk_t1")
    row = await world.bookings.get("bk_t1")
    assert row.status == "cancelling" and row.payment_status != "refunded"
    assert world.pricer.cancelled_nights == []
