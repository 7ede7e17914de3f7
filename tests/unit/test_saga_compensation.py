"""Compensation that cannot finish: what it could undo is undone now, the rest is left to recovery."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from roomgate.domain.booking import BookingStatus
from roomgate.payments.base import PaymentStatus
from roomgate.services.checkout import SagaFailed
from tests.unit.saga_world import Crash, DiesAt, SagaWorld, saga_world


@pytest.fixture
async def world() -> AsyncIterator[SagaWorld]:
    async for world in saga_world():
        yield world


async def test_a_pms_that_cannot_cancel_does_not_keep_the_guests_money_held(world: SagaWorld) -> None:
    # given a checkout whose capture is declined, while the PMS cannot cancel anything
    world.gateway.fail_capture = True
    world.connector.fail_cancel = True
    # when the saga compensates
    with pytest.raises(SagaFailed):
        await world.checkout("bk_half")
    # then the money and the rooms are released already, the booking left open for the PMS cancel
    assert world.gateway.payments["pa_bk_half"][1] is PaymentStatus.VOIDED
    assert world.holds.active == {}
    assert (await world.bookings.get("bk_half")).status == BookingStatus.RESERVED.value
    # and once the PMS is back, recovery cancels the reservation and fails the booking
    world.connector.fail_cancel = False
    await world.age("bk_half")
    assert (await world.recovery().run_once()).failed == ["bk_half"]
    assert world.connector.active() == []


async def test_a_hotel_disconnected_after_its_pms_step_still_gets_the_money_released(
    world: SagaWorld,
) -> None:
    # given a checkout that died after the PMS confirmed, and then the hotel's PMS connection removed
    world.saga.faults = DiesAt(point="after_pms_confirm")
    world.gateway.fail_capture = True  # and recovery cannot capture either, so it must compensate
    with pytest.raises(Crash):
        await world.checkout("bk_gone")
    world.disconnected = True
    # when recovery runs
    await world.age("bk_gone")
    report = await world.recovery().run_once()
    # then it cannot cancel at the PMS (the booking stays open for an operator or a reconnect), but
    # the guest's money and the rooms are released
    assert report.deferred == ["bk_gone"]
    assert world.gateway.payments["pa_bk_gone"][1] is PaymentStatus.VOIDED
    assert world.holds.active == {}
