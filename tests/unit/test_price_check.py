"""Price read-back (issue 16): the rule, then the saga and recovery with the in-memory vendor fakes.

The PMS's own total for the new reservation decides what is captured: equal → the authorised amount;
a little below, within the configured tolerance, with a provider that can capture less → the PMS's
amount; anything else → nothing is captured, the booking is compensated with `PRICE_MISMATCH`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from roomgate.config import SettingsError, load_settings
from roomgate.domain.booking import BookingStatus
from roomgate.domain.errors import ErrorCode
from roomgate.domain.money import Money
from roomgate.payments.base import PaymentStatus
from roomgate.services.checkout import SagaFailed
from roomgate.services.compensation import hold_id_for
from roomgate.services.price_check import PriceOutcome, PriceTolerance, decide
from tests.unit.saga_world import Crash, DiesAt, SagaWorld, saga_world


def krw(minor: int) -> Money:
    return Money.from_minor(minor, "KRW")


QUOTE = krw(250000)  # the saga world's stay: 2 nights × 125,000


@pytest.mark.parametrize(
    ("pms", "tolerance", "partial", "outcome", "captured"),
    [
        (krw(250000), PriceTolerance(), True, PriceOutcome.MATCHED, 250000),
        (krw(255000), PriceTolerance(minor=100000), True, PriceOutcome.COMPENSATED, None),  # above: never
        (krw(249000), PriceTolerance(), True, PriceOutcome.COMPENSATED, None),  # default: exact only
        (krw(249000), PriceTolerance(minor=1000), True, PriceOutcome.CAPTURED_PMS_AMOUNT, 249000),
        (krw(248999), PriceTolerance(minor=1000), True, PriceOutcome.COMPENSATED, None),  # one won too far
        (krw(249000), PriceTolerance(minor=1000), False, PriceOutcome.COMPENSATED, None),  # Toss
        (krw(247500), PriceTolerance(percent=1.0), True, PriceOutcome.CAPTURED_PMS_AMOUNT, 247500),
        (krw(247499), PriceTolerance(minor=10, percent=1.0), True, PriceOutcome.COMPENSATED, None),
        (Money.from_minor(25000, "USD"), PriceTolerance(minor=10**9), True, PriceOutcome.COMPENSATED, None),
        (krw(0), PriceTolerance(percent=100.0), True, PriceOutcome.COMPENSATED, None),  # nothing to charge
        (None, PriceTolerance(), True, PriceOutcome.UNVERIFIED, 250000),  # the PMS reported no total
    ],
)
def test_the_rule(
    pms: Money | None, tolerance: PriceTolerance, partial: bool, outcome: PriceOutcome, captured: int | None
) -> None:
    decision = decide(QUOTE, pms, tolerance, partial_capture=partial)
    assert decision.outcome is outcome
    assert (decision.capture.minor if decision.capture else None) == captured


def test_the_message_names_both_amounts_and_why() -> None:
    above = decide(QUOTE, krw(255000), PriceTolerance(), partial_capture=True)
    assert (
        ErrorCode.PRICE_MISMATCH.describe(above.mismatch_detail)
        == "요금 불일치: 결제 250000 KRW, PMS 255000 KRW"
    )
    toss = decide(QUOTE, krw(249000), PriceTolerance(minor=1000), partial_capture=False)
    assert "더 적은 금액의 승인을 지원하지 않아" in toss.mismatch_detail


@pytest.fixture
async def world(sqlite_ledger_url: str) -> AsyncIterator[SagaWorld]:
    async for world in saga_world(sqlite_ledger_url):
        yield world


async def _assert_compensated_for_price(world: SagaWorld, booking_id: str) -> None:
    row = await world.bookings.get(booking_id)
    assert row.status == BookingStatus.FAILED.value and row.error_code == ErrorCode.PRICE_MISMATCH.value
    assert world.connector.active() == []  # the PMS reservation was cancelled
    assert world.gateway.payments[f"pa_{booking_id}"][1] is PaymentStatus.VOIDED
    assert world.gateway.captured == {}  # nothing was ever collected
    assert world.holds.active == {} and hold_id_for(booking_id) in world.holds.released


async def _price_event(world: SagaWorld, booking_id: str) -> dict[str, object]:
    [event] = [e for e in await world.bookings.events(booking_id) if e.event == "price_checked"]
    assert event.detail is not None
    return dict(event.detail)


async def test_pms_total_equal_to_the_quote_captures_the_quote(world: SagaWorld) -> None:
    await world.checkout("bk_eq")
    row = await world.bookings.get("bk_eq")
    assert row.status == BookingStatus.CONFIRMED.value and row.total_minor == 250000
    assert world.gateway.captured == {"pa_bk_eq": QUOTE}
    detail = await _price_event(world, "bk_eq")
    assert (detail["outcome"], detail["quoted"], detail["pmsTotal"], detail["captured"]) == (
        "matched",
        250000,
        250000,
        250000,
    )


async def test_pms_total_above_the_quote_is_never_captured(world: SagaWorld) -> None:
    # given the hotel's PMS adds a 5,000 won fee to the reservation that the quote did not show
    world.connector.surcharge_minor = 5000
    world.saga.price_tolerance = PriceTolerance(minor=100000)  # whatever the tolerance
    # when the guest checks out
    with pytest.raises(SagaFailed) as err:
        await world.checkout("bk_up")
    # then no money is taken, everything is undone, and the guest is told why
    assert err.value.code is ErrorCode.PRICE_MISMATCH
    assert err.value.user_message == "요금 불일치: 결제 250000 KRW, PMS 255000 KRW"
    await _assert_compensated_for_price(world, "bk_up")
    detail = await _price_event(world, "bk_up")
    assert (detail["outcome"], detail["pmsTotal"], detail["captured"]) == ("compensated", 255000, None)
    row = await world.bookings.get("bk_up")
    assert row.total_minor == 250000  # nothing charged: the quote stays the record


async def test_pms_total_a_little_below_within_tolerance_captures_the_pms_amount(world: SagaWorld) -> None:
    # given the PMS bills 1,000 won less than quoted, and a 1,000 won tolerance
    world.connector.surcharge_minor = -1000
    world.saga.price_tolerance = PriceTolerance(minor=1000)
    await world.checkout("bk_down")
    # then the PMS's amount is captured and recorded as the booking's total (refunds use it)
    row = await world.bookings.get("bk_down")
    assert row.status == BookingStatus.CONFIRMED.value
    assert world.gateway.captured == {"pa_bk_down": krw(249000)}
    assert (row.total_minor, row.total_price) == (249000, krw(249000).amount)
    detail = await _price_event(world, "bk_down")
    assert (detail["outcome"], detail["quoted"], detail["captured"]) == (
        "captured_pms_amount",
        250000,
        249000,
    )


async def test_pms_total_below_beyond_tolerance_is_compensated(world: SagaWorld) -> None:
    world.connector.surcharge_minor = -1001
    world.saga.price_tolerance = PriceTolerance(minor=1000)
    with pytest.raises(SagaFailed) as err:
        await world.checkout("bk_far")
    assert err.value.code is ErrorCode.PRICE_MISMATCH
    await _assert_compensated_for_price(world, "bk_far")


async def test_a_provider_that_cannot_capture_less_compensates_within_tolerance(world: SagaWorld) -> None:
    # given a provider like Toss (its approval must equal the authenticated amount)
    world.gateway.partial_capture = False
    world.connector.surcharge_minor = -1000
    world.saga.price_tolerance = PriceTolerance(minor=1000)
    with pytest.raises(SagaFailed) as err:
        await world.checkout("bk_toss")
    assert err.value.code is ErrorCode.PRICE_MISMATCH and "지원하지 않아" in err.value.user_message
    await _assert_compensated_for_price(world, "bk_toss")


async def test_recovery_at_reserved_does_not_capture_a_mismatching_total(world: SagaWorld) -> None:
    # given a saga that died right after the PMS confirmed, before the read-back; the PMS billed more
    world.connector.surcharge_minor = 5000
    world.saga.faults = DiesAt(point="after_pms_confirm")
    with pytest.raises(Crash):
        await world.checkout("bk_crash")
    assert (await world.bookings.get("bk_crash")).status == BookingStatus.RESERVED.value
    # when recovery settles it
    await world.age("bk_crash")
    report = await world.recovery().run_once()
    # then it applied the same check: compensated, nothing captured
    assert report.failed == ["bk_crash"]
    await _assert_compensated_for_price(world, "bk_crash")
    row = await world.bookings.get("bk_crash")
    assert row.error_message == "요금 불일치: 결제 250000 KRW, PMS 255000 KRW"
    assert (await _price_event(world, "bk_crash"))["recovered"] is True


async def test_recovery_at_reserved_captures_the_pms_amount_within_tolerance(world: SagaWorld) -> None:
    world.connector.surcharge_minor = -500
    world.saga.price_tolerance = PriceTolerance(minor=1000)
    world.saga.faults = DiesAt(point="after_pms_confirm")
    with pytest.raises(Crash):
        await world.checkout("bk_crash2")
    await world.age("bk_crash2")
    assert (await world.recovery().run_once()).confirmed == ["bk_crash2"]
    assert world.gateway.captured == {"pa_bk_crash2": krw(249500)}
    assert (await world.bookings.get("bk_crash2")).total_minor == 249500


async def test_recovery_after_the_decision_keeps_it(world: SagaWorld) -> None:
    # given the saga decided on the PMS's (lower) amount and died before capturing it
    world.connector.surcharge_minor = -500
    world.saga.price_tolerance = PriceTolerance(minor=1000)
    world.saga.faults = DiesAt(point="after_price_check")
    with pytest.raises(Crash):
        await world.checkout("bk_decided")
    row = await world.bookings.get("bk_decided")
    assert (row.status, row.total_minor) == (BookingStatus.RESERVED.value, 249500)
    assert world.gateway.payments["pa_bk_decided"][1] is PaymentStatus.AUTHORIZED
    # when recovery runs with the PMS total unchanged
    await world.age("bk_decided")
    assert (await world.recovery().run_once()).confirmed == ["bk_decided"]
    # then it captures the PMS's amount, never the whole authorisation
    assert world.gateway.captured == {"pa_bk_decided": krw(249500)}


async def test_a_pms_total_that_cannot_be_read_is_not_captured(world: SagaWorld) -> None:
    # given the PMS made the reservation but does not answer the read-back
    world.connector.fail_reads = True
    with pytest.raises(SagaFailed) as err:
        await world.checkout("bk_unread")
    # then nothing is captured and the booking is undone
    assert err.value.code is ErrorCode.BOOKING_CONFIRM_FAILED
    assert world.gateway.captured == {} and world.connector.active() == []
    assert world.gateway.payments["pa_bk_unread"][1] is PaymentStatus.VOIDED


async def test_recovery_defers_while_the_pms_total_cannot_be_read(world: SagaWorld) -> None:
    world.saga.faults = DiesAt(point="after_pms_confirm")
    with pytest.raises(Crash):
        await world.checkout("bk_wait")
    world.connector.fail_reads = True
    await world.age("bk_wait")
    assert (await world.recovery().run_once()).deferred == ["bk_wait"]
    assert world.gateway.captured == {}
    # and once the PMS answers again, the next round confirms it at the verified amount
    world.connector.fail_reads = False
    await world.age("bk_wait")
    assert (await world.recovery().run_once()).confirmed == ["bk_wait"]
    assert world.gateway.captured == {"pa_bk_wait": QUOTE}


async def test_recovery_for_a_disconnected_hotel_trusts_the_confirmed_reservation(world: SagaWorld) -> None:
    # given a booking at `reserved` whose hotel's PMS connection was removed since (as `_still_booked`
    # trusts what the PMS confirmed, the price cannot be read and the quote is charged, marked unverified)
    world.saga.faults = DiesAt(point="after_pms_confirm")
    with pytest.raises(Crash):
        await world.checkout("bk_gone")
    world.disconnected = True
    await world.age("bk_gone")
    assert (await world.recovery().run_once()).confirmed == ["bk_gone"]
    assert world.gateway.captured == {"pa_bk_gone": QUOTE}
    assert (await _price_event(world, "bk_gone"))["outcome"] == "unverified"


@pytest.mark.parametrize(
    ("field", "value", "variable"),
    [
        ("price_tolerance_minor", -1, "ROOMGATE_PRICE_TOLERANCE_MINOR"),
        ("price_tolerance_percent", 101, "ROOMGATE_PRICE_TOLERANCE_PERCENT"),
    ],
)
def test_a_bad_tolerance_fails_at_boot_naming_the_variable(field: str, value: int, variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings(**{field: value})


def test_the_tolerance_defaults_to_exact() -> None:
    settings = load_settings()
    assert (settings.price_tolerance_minor, settings.price_tolerance_percent) == (0, 0.0)
