"""A PMS create that timed out can be carried out by the vendor after the saga's compensation looked it up.

The fake PMS holds the timed-out request and carries it out when the test says so: after the saga
compensated. (The Stripe counterpart runs against the simulator: tests/e2e/test_saga_late_landing.py.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from roomgate.domain.booking import BookingStatus
from roomgate.domain.errors import ErrorCode
from roomgate.payments.base import PaymentStatus
from roomgate.services.checkout import SagaFailed
from tests.unit.saga_world import SagaWorld, saga_world


@pytest.fixture
async def world(sqlite_ledger_url: str) -> AsyncIterator[SagaWorld]:
    async for world in saga_world(sqlite_ledger_url):
        yield world


async def test_a_reservation_the_pms_makes_after_compensation_looked_is_cancelled(world: SagaWorld) -> None:
    # given a PMS that times out on the create and carries it out only later
    world.connector.fail_create = "timeout_lands_later"
    # when the checkout fails at the PMS step and compensates
    with pytest.raises(SagaFailed) as failure:
        await world.checkout("bk_late")
    assert failure.value.code is ErrorCode.BOOKING_CONFIRM_FAILED
    assert world.gateway.payments["pa_bk_late"][1] is PaymentStatus.VOIDED
    # and the PMS then makes the reservation, and recovery has had its turn
    world.connector.land_in_flight()
    assert len(world.connector.active()) == 1
    await world.age("bk_late")
    await world.recovery().run_once()
    # then no live reservation is left for the failed booking
    assert world.connector.active() == []
    booking = await world.bookings.get("bk_late")
    assert (booking.status, booking.error_code) == (BookingStatus.FAILED.value, "BOOKING_CONFIRM_FAILED")


async def test_a_definitive_pms_refusal_still_fails_the_booking_at_once(world: SagaWorld) -> None:
    # given a PMS that answers "sold out" (it refused; nothing can land later)
    world.connector.fail_create = "sold_out"
    # when the checkout fails at the PMS step
    with pytest.raises(SagaFailed):
        await world.checkout("bk_sold_out")
    # then the booking is failed right away, nothing left for recovery
    booking = await world.bookings.get("bk_sold_out")
    assert booking.status == BookingStatus.FAILED.value
    assert world.gateway.payments["pa_bk_sold_out"][1] is PaymentStatus.VOIDED and world.holds.active == {}


async def test_every_reservation_a_retried_create_left_behind_is_cancelled(world: SagaWorld) -> None:
    # given the PMS behind the production retry wrapper, timing out on every create that it then
    # carries out later (each retry's lookup came too early)
    world.resilient = True
    world.connector.fail_create = "timeout_lands_later"
    with pytest.raises(SagaFailed):
        await world.checkout("bk_retried")
    attempts = len(world.connector.in_flight)
    world.connector.land_in_flight()
    assert len(world.connector.active()) == attempts == 1  # the wrapper never re-sends a create
    # when recovery has had its turn
    await world.age("bk_retried")
    await world.recovery().run_once()
    # then none of them is left live
    assert world.connector.active() == []
    assert (await world.bookings.get("bk_retried")).status == BookingStatus.FAILED.value


async def test_a_create_that_times_out_and_lands_later_is_never_duplicated(world: SagaWorld) -> None:
    # given the PMS behind the production retry wrapper, the first create timing out and landing later
    world.resilient = True
    world.connector.fail_create = "timeout_lands_later_once"
    # when the checkout gives up (the lookups cannot see the reservation yet) and the create lands after all
    with pytest.raises(SagaFailed):
        await world.checkout("bk_retry_ok")
    world.connector.land_in_flight()
    # then the PMS got exactly one create, and recovery cancels the reservation that landed late
    assert len(world.connector.active()) == 1
    await world.age("bk_retry_ok")
    await world.recovery().run_once()
    assert world.connector.active() == []
    assert (await world.bookings.get("bk_retry_ok")).status == BookingStatus.FAILED.value
