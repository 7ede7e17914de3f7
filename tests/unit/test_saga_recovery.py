"""Recovery rounds: one booking's unexpected failure must not stop the others being settled."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from roomgate.domain.booking import BookingStatus
from roomgate.payments.base import PaymentStatus
from tests.unit.saga_world import Crash, DiesAt, SagaWorld, saga_world


@pytest.fixture
async def world() -> AsyncIterator[SagaWorld]:
    async for world in saga_world():
        yield world


async def test_a_booking_that_breaks_recovery_does_not_starve_the_others(world: SagaWorld) -> None:
    # given two checkouts that died after pre-authorisation, the older one hitting a connector bug
    world.saga.faults = DiesAt(point="after_authorize")
    for booking_id in ("bk_poison", "bk_fine"):
        with pytest.raises(Crash):
            await world.checkout(booking_id)
    await world.age("bk_poison", seconds=7200)
    await world.age("bk_fine", seconds=3600)
    world.connector.broken_lookups.add("bk_poison")
    # when recovery runs a round
    report = await world.recovery().run_once()
    # then the healthy booking is settled, and the broken one is deferred, not fatal to the round
    assert report.failed == ["bk_fine"] and report.deferred == ["bk_poison"]
    assert (await world.bookings.get("bk_fine")).status == BookingStatus.FAILED.value
    assert world.gateway.payments["pa_bk_fine"][1] is PaymentStatus.VOIDED
    # and once the bug is gone, the next round settles the other one too
    world.connector.broken_lookups.clear()
    await world.age("bk_poison", seconds=7200)
    assert (await world.recovery().run_once()).failed == ["bk_poison"]
