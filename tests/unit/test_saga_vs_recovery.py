"""A live saga and the recovery worker on the same booking.

Recovery takes a booking over once the saga's lease has run out (a step stalled past it). The vendor
fakes hold a call at its start (`Pause`) so each interleaving is reproduced exactly, without sleeps:
the saga's request is in flight, recovery settles the booking, then the request lands.
Whatever the order, the booking must end in an allowed state.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from roomgate.domain.booking import BookingStatus
from roomgate.payments.base import PaymentStatus
from roomgate.services.checkout import CheckoutResult
from roomgate.services.compensation import hold_id_for
from tests.fakes import Pause
from tests.unit.saga_world import SagaWorld, saga_world


@pytest.fixture
async def world() -> AsyncIterator[SagaWorld]:
    async for world in saga_world():
        yield world


async def _saga_stalled_in(world: SagaWorld, pause: Pause, booking_id: str) -> asyncio.Task[CheckoutResult]:
    saga = asyncio.create_task(world.checkout(booking_id))
    await pause.entered.wait()
    return saga


async def _outcome(task: asyncio.Task[Any]) -> Any:
    return (await asyncio.gather(task, return_exceptions=True))[0]


async def _assert_failed_cleanly(world: SagaWorld, booking_id: str) -> None:
    booking = await world.bookings.get(booking_id)
    assert booking.status == BookingStatus.FAILED.value
    assert world.connector.active() == []
    assert world.gateway.payments[f"pa_{booking_id}"][1] in {PaymentStatus.VOIDED, PaymentStatus.REFUNDED}
    assert world.holds.active == {}


async def test_recovery_waits_while_the_saga_holds_its_lease(world: SagaWorld) -> None:
    # given a saga whose PMS create is in flight, well within its lease
    pause = world.connector.pauses["create_reservation"] = Pause()
    saga = await _saga_stalled_in(world, pause, "bk_slow")
    # when recovery runs, then it leaves the booking alone
    report = await world.recovery().run_once()
    assert report.confirmed == report.failed == report.deferred == []
    # and the saga finishes the checkout
    pause.go.set()
    assert (await saga).confirmation_number == "r1"
    assert (await world.bookings.get("bk_slow")).status == BookingStatus.CONFIRMED.value


async def test_a_reservation_landing_after_recovery_failed_the_booking_is_cancelled(world: SagaWorld) -> None:
    # given a saga whose PMS create stalled past its lease, and recovery that found nothing and failed it
    pause = world.connector.pauses["create_reservation"] = Pause()
    saga = await _saga_stalled_in(world, pause, "bk_race")
    await world.age("bk_race")
    assert (await world.recovery().run_once()).failed == ["bk_race"]
    # when the PMS create lands after all
    pause.go.set()
    outcome = await _outcome(saga)
    # then the saga does not answer success, and the booking's end state is still allowed
    assert not isinstance(outcome, CheckoutResult)
    await _assert_failed_cleanly(world, "bk_race")
    assert world.gateway.captured == {}  # the price read-back beside the refused write captured nothing


async def test_an_authorisation_landing_after_recovery_failed_the_booking_is_voided(world: SagaWorld) -> None:
    # given a saga whose pre-authorisation stalled past its lease, and recovery that found none and failed it
    pause = world.gateway.pauses["authorize"] = Pause()
    saga = await _saga_stalled_in(world, pause, "bk_race")
    await world.age("bk_race")
    assert (await world.recovery().run_once()).failed == ["bk_race"]
    # when the authorisation lands after all
    pause.go.set()
    outcome = await _outcome(saga)
    # then no money stays held for the failed booking
    assert not isinstance(outcome, CheckoutResult)
    await _assert_failed_cleanly(world, "bk_race")


async def test_a_reservation_landing_while_recovery_compensates_is_seen_by_recovery(world: SagaWorld) -> None:
    # given a saga whose PMS create stalled past its lease, and recovery compensating: its lookup
    # found nothing and it is voiding the payment
    create = world.connector.pauses["create_reservation"] = Pause()
    saga = await _saga_stalled_in(world, create, "bk_race")
    await world.age("bk_race")
    void = world.gateway.pauses["void"] = Pause()
    recovery = asyncio.create_task(world.recovery().run_once())
    await void.entered.wait()
    # when the PMS create lands now, and then recovery goes on
    create.go.set()
    outcome = await _outcome(saga)
    void.go.set()
    await recovery
    # and recovery has had another round
    await world.age("bk_race")
    await world.recovery().run_once()
    # then the reservation is cancelled and the booking failed
    assert not isinstance(outcome, CheckoutResult)
    await _assert_failed_cleanly(world, "bk_race")


async def test_a_capture_racing_recovery_that_confirmed_the_booking_answers_success(world: SagaWorld) -> None:
    # given a saga whose capture stalled past its lease, and recovery that captured and confirmed
    pause = world.gateway.pauses["capture"] = Pause()
    saga = await _saga_stalled_in(world, pause, "bk_race")
    await world.age("bk_race")
    assert (await world.recovery().run_once()).confirmed == ["bk_race"]
    # when the saga's capture comes back
    pause.go.set()
    outcome = await _outcome(saga)
    # then the guest is told the truth: booked (and charged once)
    assert isinstance(outcome, CheckoutResult) and outcome.confirmation_number == "r1"
    booking = await world.bookings.get("bk_race")
    assert booking.status == BookingStatus.CONFIRMED.value
    assert world.gateway.payments["pa_bk_race"][1] is PaymentStatus.CAPTURED
    assert [r.external_id for r in world.connector.active()] == ["bk_race"]
    assert world.holds.converted == {hold_id_for("bk_race")}
