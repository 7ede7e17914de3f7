"""A multi-room checkout whose PMS booking was partly or wholly made while its answer was lost: the
compensation finds every reservation of the group by our booking id and cancels each one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from roomgate.domain.booking import BookingStatus
from roomgate.domain.errors import ErrorCode
from roomgate.domain.rooms import RoomLine
from roomgate.ledger.booking_rooms import BookingRooms
from roomgate.ledger.db import session_factory
from roomgate.payments.base import PaymentStatus
from roomgate.pms.types import ReservationStatus
from roomgate.services.checkout import SagaFailed
from tests.unit.saga_world import SagaWorld, saga_world

LINES = (RoomLine("room_456", 2, 2, 0), RoomLine("room_458", 1, 2, 1))


@pytest.fixture
async def world(sqlite_ledger_url: str) -> AsyncIterator[SagaWorld]:
    async for world in saga_world(sqlite_ledger_url):
        world.saga.rooms = BookingRooms(session_factory(world.engine))
        yield world


async def checkout(world: SagaWorld, booking_id: str) -> None:
    # the fake pricer: 125,000 a night for every room type, 2 nights, 3 rooms
    cmd = replace(world.command(amount=750_000), rooms=LINES)
    await world.saga.run(cmd, await world.saga.price(cmd), booking_id)


async def test_a_group_made_whose_answer_was_lost_is_cancelled_whole(world: SagaWorld) -> None:
    # given a PMS that makes one reservation per room, then times out before answering
    world.connector.fail_create = "timeout_after_create"
    # when
    with pytest.raises(SagaFailed) as failure:
        await checkout(world, "bk_group_lost")
    # then all three reservations, found by our booking id, are cancelled; the one payment voided
    assert failure.value.code is ErrorCode.BOOKING_CONFIRM_FAILED
    made = [r for r in world.connector.reservations.values() if r.external_id == "bk_group_lost"]
    assert len(made) == 3 and {r.status for r in made} == {ReservationStatus.CANCELLED}
    assert world.gateway.payments["pa_bk_group_lost"][1] is PaymentStatus.VOIDED
    assert world.holds.active == {} and world.holds.released == {"h_bk_group_lost"}
    booking = await world.bookings.get("bk_group_lost")
    assert booking.status == BookingStatus.FAILED.value


async def test_a_group_landing_after_compensation_is_cancelled_by_recovery(world: SagaWorld) -> None:
    # given a PMS that times out and makes the group only after the saga compensated
    world.connector.fail_create = "timeout_lands_later"
    with pytest.raises(SagaFailed):
        await checkout(world, "bk_group_late")
    world.connector.land_in_flight()
    assert len(world.connector.active()) == 3
    # when recovery has its turn
    await world.age("bk_group_late")
    await world.recovery().run_once()
    # then no room of the group stays booked
    assert world.connector.active() == []
    booking = await world.bookings.get("bk_group_late")
    assert booking.status == BookingStatus.FAILED.value


async def test_a_made_group_is_recorded_line_by_line_before_anything_else_can_fail(world: SagaWorld) -> None:
    # given
    world.gateway.fail_capture = True
    # when the capture fails after the PMS made the group
    with pytest.raises(SagaFailed):
        await checkout(world, "bk_group_recorded")
    # then the group's ids were recorded per line, and every one was cancelled
    stored = await world.saga.rooms.lines("bk_group_recorded")  # type: ignore[union-attr]
    assert [len(s.pms_reservation_ids) for s in stored] == [2, 1]
    assert world.connector.active() == []
