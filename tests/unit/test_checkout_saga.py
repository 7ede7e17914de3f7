"""The saga's every path with in-memory vendor fakes and a real SQLite ledger."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from typing import Any, cast

import pytest

from roomgate.domain.booking import BookingStatus
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.money import Money
from roomgate.payments.base import PaymentStatus
from roomgate.services.booking_ledger import BookingLedger
from roomgate.services.checkout import SagaFailed
from roomgate.services.compensation import hold_id_for
from tests.fakes import Pause
from tests.memory_ledger import MemoryLedger
from tests.unit.saga_world import Crash, DiesAt, SagaWorld, saga_world


class RefuseWrites:
    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def write_refusal(self, vendor: str, hotel_id: str) -> str | None:
        return self.reason


@pytest.fixture
async def world() -> AsyncIterator[SagaWorld]:
    async for world in saga_world():
        yield world


async def test_happy_path_confirms_and_records_every_step(world: SagaWorld) -> None:
    # when the spec's example checks out
    confirmation = (await world.checkout("bk_t1")).confirmation_number
    # then the PMS holds one reservation, the money is captured and the hold converted
    row = await world.bookings.get("bk_t1")
    assert row.status == "confirmed" and confirmation == "r1"
    assert [r.external_id for r in world.connector.active()] == ["bk_t1"]
    assert world.gateway.payments["pa_bk_t1"][1] is PaymentStatus.CAPTURED
    assert world.holds.converted == {hold_id_for("bk_t1")}
    events = [e.event for e in await world.bookings.events("bk_t1")]
    assert events == [
        "created",
        "hold_created",
        "payment_authorized",
        "pms_reserved",
        "price_checked",  # the PMS total read back before capturing (issue 16)
        "payment_captured",
    ]


async def test_a_checkout_writes_the_ledger_four_times_with_every_step_audited(world: SagaWorld) -> None:
    # when a checkout confirms
    await world.checkout("bk_t1")
    # then the hold was written with the pre-authorisation (one unit of work), not on its own
    assert isinstance(world.bookings, MemoryLedger) and world.bookings.writes == 4
    # and the audit trail still walks every state, the hold's step included
    steps = [(e.event, e.from_status, e.to_status) for e in await world.bookings.events("bk_t1")]
    assert steps == [
        ("created", None, "pending"),
        ("hold_created", "pending", "held"),
        ("payment_authorized", "held", "authorized"),
        ("pms_reserved", "authorized", "reserved"),
        # the PMS total read back (issue 16): it matched, so it is written with the capture's step
        ("price_checked", "reserved", "reserved"),
        ("payment_captured", "reserved", "confirmed"),
    ]
    assert (await world.bookings.get("bk_t1")).hold_id == hold_id_for("bk_t1")


async def test_a_declined_preauth_still_audits_the_hold_it_undid(world: SagaWorld) -> None:
    with pytest.raises(SagaFailed):
        await world.checkout("bk_t1", token="tok_decline")
    steps = [(e.event, e.to_status) for e in await world.bookings.events("bk_t1") if e.to_status]
    assert steps == [("created", "pending"), ("hold_created", "held"), ("failed", "failed")]
    assert world.holds.active == {}


async def test_client_amount_must_match_server_price(world: SagaWorld) -> None:
    with pytest.raises(DomainError) as err:
        await world.checkout("bk_t1", amount=200000)
    assert err.value.code is ErrorCode.VALIDATION_ERROR
    assert world.holds.active == {} and await world.bookings.find("bk_t1") is None


async def test_degraded_mode_refuses_before_anything_happens(world: SagaWorld) -> None:
    world.saga.gate = RefuseWrites("Degraded Mode: 현재 예약이 불가능합니다. (PMS API 다운)")
    with pytest.raises(DomainError) as err:
        await world.checkout("bk_t1")
    assert err.value.code is ErrorCode.SERVICE_DEGRADED and "PMS API 다운" in err.value.user_message
    assert await world.bookings.find("bk_t1") is None


async def test_sold_out_nights_are_reported_by_date(world: SagaWorld) -> None:
    world.pricer.for_sale = 0
    with pytest.raises(DomainError) as err:
        await world.checkout("bk_t1")
    assert err.value.user_message == "재고 부족: 2026-12-24"


async def _assert_compensated(world: SagaWorld, code: ErrorCode) -> None:
    row = await world.bookings.get("bk_t1")
    assert (row.status, row.error_code) == ("failed", code.value)
    assert world.connector.active() == []
    assert all(
        status in {PaymentStatus.VOIDED, PaymentStatus.REFUNDED}
        for _, status in world.gateway.payments.values()
    )
    assert world.holds.active == {}


async def test_declined_preauth_releases_the_hold(world: SagaWorld) -> None:
    with pytest.raises(SagaFailed) as err:
        await world.checkout("bk_t1", token="tok_decline")
    assert err.value.code is ErrorCode.PAYMENT_PREAUTH_FAILED
    await _assert_compensated(world, ErrorCode.PAYMENT_PREAUTH_FAILED)
    assert world.holds.released == {hold_id_for("bk_t1")}


async def test_preauth_timeout_voids_the_authorisation_it_may_have_made(world: SagaWorld) -> None:
    with pytest.raises(SagaFailed):
        await world.checkout("bk_t1", token="tok_timeout")
    await _assert_compensated(world, ErrorCode.PAYMENT_PREAUTH_FAILED)
    assert world.gateway.payments["pa_bk_t1"][1] is PaymentStatus.VOIDED


async def test_pms_refusal_after_preauth_voids_and_releases(world: SagaWorld) -> None:
    world.connector.fail_create = "sold_out"
    with pytest.raises(SagaFailed) as err:
        await world.checkout("bk_t1")
    assert err.value.code is ErrorCode.BOOKING_CONFIRM_FAILED
    await _assert_compensated(world, ErrorCode.BOOKING_CONFIRM_FAILED)


async def test_pms_timeout_after_the_reservation_was_made_cancels_it(world: SagaWorld) -> None:
    world.connector.fail_create = "timeout_after_create"
    with pytest.raises(SagaFailed):
        await world.checkout("bk_t1")
    await _assert_compensated(world, ErrorCode.BOOKING_CONFIRM_FAILED)
    assert len(world.connector.reservations) == 1  # it existed, and is now cancelled


async def test_capture_failure_cancels_the_reservation(world: SagaWorld) -> None:
    world.gateway.fail_capture = True
    with pytest.raises(SagaFailed) as err:
        await world.checkout("bk_t1")
    assert err.value.code is ErrorCode.PAYMENT_CAPTURE_FAILED
    await _assert_compensated(world, ErrorCode.PAYMENT_CAPTURE_FAILED)


async def test_compensation_run_twice_is_harmless(world: SagaWorld) -> None:
    world.connector.fail_create = "sold_out"
    with pytest.raises(SagaFailed):
        await world.checkout("bk_t1")
    row = await world.bookings.get("bk_t1")
    await world.saga.compensator.cancel_pms(row, lookup=True)
    await world.saga.compensator.release_payment(row)
    await world.saga.compensator.release_hold(row)
    await _assert_compensated(world, ErrorCode.BOOKING_CONFIRM_FAILED)


async def test_cancellation_refunds_frees_nights_and_is_idempotent(world: SagaWorld) -> None:
    await world.checkout("bk_t1")
    cancellation = world.cancellation()
    first = await cancellation.cancel("bk_t1")
    second = await cancellation.cancel("bk_t1")
    assert first.status == second.status == "cancelled"
    assert world.connector.active() == []
    assert world.gateway.payments["pa_bk_t1"][1] is PaymentStatus.REFUNDED
    assert world.pricer.cancelled_nights == [date(2026, 12, 24), date(2026, 12, 25)]  # once, not twice


async def test_only_confirmed_bookings_can_be_cancelled(world: SagaWorld) -> None:
    world.connector.fail_create = "sold_out"
    with pytest.raises(SagaFailed):
        await world.checkout("bk_t1")
    cancellation = world.cancellation()
    with pytest.raises(DomainError) as err:
        await cancellation.cancel("bk_t1")
    assert err.value.code is ErrorCode.VALIDATION_ERROR


# -- recovery: a booking frozen at each crash point ends in an allowed end state ----------------


@pytest.mark.parametrize(
    "point", ["after_hold", "after_authorize", "after_pms_confirm", "after_capture", "pms_call_unrecorded"]
)
async def test_recovery_settles_a_booking_crashed_at_each_point(world: SagaWorld, point: str) -> None:
    # given a saga that dies at `point` (the exception stands in for the process dying there)
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
        world.saga.faults = DiesAt(point=point)
    with pytest.raises(Crash):
        await world.checkout("bk_t1")
    if point == "pms_call_unrecorded":
        world.bookings.transition = original  # type: ignore[method-assign]
    # when recovery runs (deadline 0, lease expired)
    await world.age("bk_t1")
    await world.recovery().run_once()
    # then the booking is in the one end state that point allows, with exactly its side effects
    row = await world.bookings.get("bk_t1")
    payment = world.gateway.payments.get("pa_bk_t1", (None, None))[1]
    if point in {"after_hold", "after_authorize"}:  # backward: nothing reserved, nothing charged
        assert row.status == "failed"
        assert world.connector.active() == [] and world.holds.active == {}
        assert payment is (None if point == "after_hold" else PaymentStatus.VOIDED)
    else:  # forward: the PMS reservation stands, the money is captured, the hold became the booking
        assert row.status == "confirmed"
        assert len(world.connector.active()) == 1 and payment is PaymentStatus.CAPTURED
        assert world.holds.converted == {"h_bk_t1"} and world.holds.active == {}


async def test_a_cancellation_interrupted_by_a_refund_error_is_finished_by_recovery(world: SagaWorld) -> None:
    # given a confirmed booking whose refund fails once
    await world.checkout("bk_t1")
    cancellation = world.cancellation()
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
    await world.age("bk_t1")
    report = await world.recovery().run_once()
    assert report.cancelled == ["bk_t1"]
    row = await world.bookings.get("bk_t1")
    assert row.status == "cancelled"
    assert world.gateway.payments["pa_bk_t1"][1] is PaymentStatus.REFUNDED
    assert world.pricer.cancelled_nights == [date(2026, 12, 24), date(2026, 12, 25)]


async def test_a_refund_whose_state_is_unknown_is_not_marked_done(world: SagaWorld) -> None:
    # given a confirmed booking whose payment state the provider cannot tell
    await world.checkout("bk_t1")
    cancellation = world.cancellation()

    async def unknown_status(_auth_id: str) -> PaymentStatus:
        return PaymentStatus.UNKNOWN

    world.gateway.get_status = unknown_status  # type: ignore[method-assign]
    # when the guest cancels, then the cancellation stops short of `cancelled` (recovery retries it)
    with pytest.raises(DomainError):
        await cancellation.cancel("bk_t1")
    row = await world.bookings.get("bk_t1")
    assert row.status == "cancelling" and row.payment_status != "refunded"
    assert world.pricer.cancelled_nights == []


class WriteHeldAt:
    """The booking ledger, its write of `target` held at the start until the test lets it go."""

    def __init__(self, ledger: BookingLedger, target: BookingStatus, pause: Pause) -> None:
        self._ledger, self._target, self._pause = ledger, target, pause

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ledger, name)

    async def transition(
        self, booking_id: str, expected: BookingStatus, target: BookingStatus, **kw: Any
    ) -> None:
        if target is self._target:
            await self._pause()
        await self._ledger.transition(booking_id, expected, target, **kw)


async def test_the_price_is_read_back_while_the_reservation_is_written_and_captured_after_both(
    world: SagaWorld,
) -> None:
    # given the write of the PMS reservation and the PMS's read-back of its total both held at their start
    write, read = Pause(), world.connector.pauses.setdefault("get_reservation", Pause())
    world.saga.bookings = cast(BookingLedger, WriteHeldAt(world.bookings, BookingStatus.RESERVED, write))
    saga = asyncio.create_task(world.checkout("bk_overlap"))
    # then both are under way at once: the read-back does not wait for the write
    await asyncio.wait_for(asyncio.gather(write.entered.wait(), read.entered.wait()), timeout=30)
    # and when the read-back answers first, nothing is captured while the reservation is not on disk
    read.go.set()
    for _ in range(50):  # let every runnable step of the saga run
        await asyncio.sleep(0)
    assert world.gateway.captured == {}
    assert (await world.bookings.get("bk_overlap")).status == BookingStatus.AUTHORIZED.value
    # when the write lands, the saga captures and confirms
    write.go.set()
    assert (await saga).confirmation_number == "r1"
    assert world.gateway.captured == {"pa_bk_overlap": Money.from_minor(250000, "KRW")}
    assert (await world.bookings.get("bk_overlap")).status == BookingStatus.CONFIRMED.value
