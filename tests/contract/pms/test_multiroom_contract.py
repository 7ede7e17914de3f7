"""Several rooms in one reservation: what each connector sends (Cloudbeds `rooms[i]` in one
postReservation, Mews one reservation per room in one `reservations/add`) and how each simulator takes
the stock of every room at once or refuses the whole request, like the vendor."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import parse_qsl

import pytest

from roomgate.pms.base import PMSConnector
from roomgate.pms.errors import PMSSoldOut
from roomgate.pms.types import GuestInfo, ReservationRequest, ReservationStatus, RoomRequest
from roomgate.services.checkout_rooms import pms_total
from tests.contract.pms.harness import SimHarness

MAR_1, MAR_3 = date(2026, 3, 1), date(2026, 3, 3)
GUEST = GuestInfo("Ada", "Lee", "ada@example.com", "+82-10-1234-5678", "KR", "04524")
# Two Deluxe Doubles (2 adults each) and one Family Suite (2 adults, 2 children)
LINES = (RoomRequest("room_456", 2, 2, 0), RoomRequest("room_458", 1, 2, 2))


def several(
    external_id: str, lines: tuple[RoomRequest, ...] = LINES, hold: int | None = None
) -> ReservationRequest:
    first = lines[0]
    return ReservationRequest(
        external_id, first.room_type_id, MAR_1, MAR_3, first.adults, first.children, GUEST,
        hold_seconds=hold, rooms=lines,
    )  # fmt: skip


async def free(connector: PMSConnector, room_type: str) -> list[int]:
    return [n.available for n in await connector.get_inventory([room_type], MAR_1, MAR_3)]


def sent_bodies(harness: SimHarness, endpoint: str) -> list[str]:
    return [
        e.request.content.decode()
        for e in harness.recorder.vendor_calls()
        if e.request.url.path.endswith(endpoint)
    ]


async def test_cloudbeds_gets_every_room_in_one_post_reservation(cloudbeds: SimHarness) -> None:
    # given 5 Deluxe Doubles and 2 Family Suites
    connector = cloudbeds.cloudbeds()
    # when
    made = await connector.create_reservation(several("bk_multi_cb"))
    # then one reservation, one request with rooms[i] / adults[i] / children[i] keyed by room type
    (body,) = sent_bodies(cloudbeds, "postReservation")
    form = dict(parse_qsl(body))
    assert (form["rooms[0][roomTypeID]"], form["rooms[0][quantity]"]) == ("room_456", "2")
    assert (form["rooms[1][roomTypeID]"], form["rooms[1][quantity]"]) == ("room_458", "1")
    assert (form["adults[0][roomTypeID]"], form["adults[0][quantity]"]) == ("room_456", "4")
    assert (form["adults[1][roomTypeID]"], form["adults[1][quantity]"]) == ("room_458", "2")
    assert (form["children[1][roomTypeID]"], form["children[1][quantity]"]) == ("room_458", "2")
    assert made.reservation_ids == (made.reservation_id,)
    assert await free(connector, "room_456") == [3, 3]
    assert await free(connector, "room_458") == [1, 1]
    state = await cloudbeds.control("GET", "/_sim/state")
    assert [r["rooms"] for r in state["reservations"]] == [3]
    # the PMS bills every room (each for its party, plus taxes): more than the 3 rooms' base rates
    assert made.total is not None and str(made.total.amount) == state["reservations"][0]["total"]
    assert made.total.minor >= (2 * 125_000 + 210_000) * 2
    # and cancelling the one reservation gives every room back
    await connector.cancel_reservation(made.reservation_id)
    assert await free(connector, "room_456") == [5, 5]
    assert await free(connector, "room_458") == [2, 2]


async def test_mews_gets_one_reservation_per_room_in_one_call(mews: SimHarness) -> None:
    # given
    connector = mews.mews()
    # when
    made = await connector.create_reservation(several("bk_multi_mews", hold=180))
    # then one reservations/add with three reservations, each carrying our booking id
    (body,) = sent_bodies(mews, "reservations/add")
    sent = json.loads(body)["Reservations"]
    assert [r["RequestedCategoryId"] for r in sent] == ["room_456", "room_456", "room_458"]
    assert {r["ChannelNumber"] for r in sent} == {"bk_multi_mews"}
    assert [sum(c["Count"] for c in r["PersonCounts"]) for r in sent] == [2, 2, 4]
    assert len(made.reservation_ids) == 3 and made.reservation_ids[0] == made.reservation_id
    assert await free(connector, "room_456") == [3, 3]
    assert await free(connector, "room_458") == [1, 1]
    # the three are one reservation group
    state = await mews.control("GET", "/_sim/state")
    assert len(state["reservations"]) == 3
    found = [await connector.get_reservation(rid) for rid in made.reservation_ids]
    assert {r.status for r in found} == {ReservationStatus.TENTATIVE}
    # and each can be confirmed and cancelled
    for rid in made.reservation_ids:
        await connector.confirm_reservation(rid)
        await connector.cancel_reservation(rid)
    assert await free(connector, "room_456") == [5, 5]


async def test_cloudbeds_refuses_the_whole_request_when_one_type_is_short(cloudbeds: SimHarness) -> None:
    await refused_whole(cloudbeds)


async def test_mews_refuses_the_whole_group_when_one_type_is_short(mews: SimHarness) -> None:
    await refused_whole(mews)


async def refused_whole(harness: SimHarness) -> None:
    # given the Family Suites are sold out on the second night
    vendor = harness.vendor
    await harness.control(
        "PUT",
        "/_sim/properties/hotel_123/inventory",
        {"roomTypeId": "room_458", "from": "2026-03-02", "to": "2026-03-03", "available": 0},
    )
    connector = harness.cloudbeds() if vendor == "cloudbeds" else harness.mews()
    # when
    with pytest.raises(PMSSoldOut):
        await connector.create_reservation(several(f"bk_short_{vendor}"))
    # then not one Deluxe Double was taken, and nothing was recorded
    assert await free(connector, "room_456") == [5, 5]
    assert await connector.find_reservation_by_external_id(f"bk_short_{vendor}") is None


async def test_a_line_with_more_guests_than_a_room_takes_is_refused_by_cloudbeds(
    cloudbeds: SimHarness,
) -> None:
    # given 3 adults per Deluxe Double (2 at most)
    connector = cloudbeds.cloudbeds()
    # when / then refused whole
    with pytest.raises(Exception):  # noqa: B017 - the vendor's refusal, whatever its class
        await connector.create_reservation(several("bk_crowd", (RoomRequest("room_456", 2, 3, 0),)))
    assert await free(connector, "room_456") == [5, 5]


async def test_the_pms_total_of_a_cloudbeds_multi_room_reservation_reads_back_every_room(
    cloudbeds: SimHarness,
) -> None:
    # given one reservation with 3 rooms
    connector = cloudbeds.cloudbeds()
    made = await connector.create_reservation(several("bk_total_cb"))
    # when its total is read back over the booking's reservation ids
    total = await pms_total(connector, made.reservation_ids)
    # then it is what the PMS bills for the whole reservation, every room and night
    state = await cloudbeds.control("GET", "/_sim/state")
    assert total is not None and str(total.amount) == state["reservations"][0]["total"]
    assert total.minor >= (2 * 125_000 + 210_000) * 2
