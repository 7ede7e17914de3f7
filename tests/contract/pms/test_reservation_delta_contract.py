"""The reservations delta against both simulators: Cloudbeds `getReservations` with
`modifiedFrom`/`modifiedTo`, Mews `reservations/getAll/2023-06-06` with an `UpdatedUtc` interval;
and Cloudbeds `putReservation` moving a stay (`rooms[0][checkinDate]`, `checkoutDate`)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from roomgate.pms.errors import PMSBadRequest
from roomgate.pms.types import GuestInfo, ReservationRequest, ReservationStatus
from tests.contract.pms.harness import SimHarness
from tests.fake_keys import cloudbeds_key

MAR_1, MAR_3 = date(2026, 3, 1), date(2026, 3, 3)
GUEST = GuestInfo("길동", "홍", "hong@example.com", "+82-10-1234-5678", "KR")


def _now(harness: SimHarness) -> datetime:
    return datetime.fromtimestamp(harness.clock.now(), UTC)


async def test_cloudbeds_delta_lists_reservations_modified_in_the_interval(cloudbeds: SimHarness) -> None:
    connector = cloudbeds.cloudbeds()
    # given one reservation made an hour ago and one made now, then cancelled
    old = await connector.create_reservation(
        ReservationRequest("bk_old", "room_456", MAR_1, MAR_3, 2, 0, GUEST)
    )
    cloudbeds.clock.advance(3600)
    new = await connector.create_reservation(
        ReservationRequest("bk_new", "room_457", MAR_1, MAR_3, 2, 0, GUEST)
    )
    await connector.cancel_reservation(new.reservation_id)
    # when the delta of the last ten minutes is read
    now = _now(cloudbeds)
    found = await connector.get_modified_reservations(now - timedelta(minutes=10), now + timedelta(seconds=1))
    # then only the recent one is listed, cancelled, with its dates and our id
    assert [(r.reservation_id, r.status, r.external_id) for r in found] == [
        (new.reservation_id, ReservationStatus.CANCELLED, "bk_new")
    ]
    assert (found[0].check_in, found[0].check_out) == (MAR_1, MAR_3)
    assert old.reservation_id not in {r.reservation_id for r in found}
    # and the request used the spec's parameter names and datetime format
    sent = [
        e.request
        for e in cloudbeds.recorder.vendor_calls()
        if e.request.url.path.endswith("/getReservations")
    ]
    query = parse_qs(urlparse(str(sent[-1].url)).query)
    assert query["modifiedFrom"] == [(now - timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M:%S")]
    assert "modifiedTo" in query and query["propertyID"] == ["hotel_123"]


async def test_cloudbeds_put_reservation_moves_the_stay_and_its_rooms(cloudbeds: SimHarness) -> None:
    connector = cloudbeds.cloudbeds()
    made = await connector.create_reservation(
        ReservationRequest("bk_move", "room_458", MAR_1, MAR_3, 2, 0, GUEST)
    )
    # when the hotel moves it two nights later (form-encoded putReservation, rooms[] as the spec lists)
    body = "&".join(
        [
            "propertyID=hotel_123",
            f"reservationID={made.reservation_id}",
            "rooms%5B0%5D%5BroomTypeID%5D=room_458",
            "rooms%5B0%5D%5BcheckinDate%5D=2026-03-03",
            "rooms%5B0%5D%5BcheckoutDate%5D=2026-03-05",
        ]
    )
    response = await cloudbeds.http.put(
        f"{cloudbeds.root}/api/v1.3/putReservation",
        content=body,
        headers={
            "x-api-key": cloudbeds_key("contract_test_key_0001"),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert response.json()["success"] is True
    # then the reservation reads with the new dates, and the rooms moved with it
    moved = await connector.get_reservation(made.reservation_id)
    assert (moved.check_in, moved.check_out) == (date(2026, 3, 3), date(2026, 3, 5))
    counts = [n.available for n in await connector.get_inventory(["room_458"], MAR_1, date(2026, 3, 5))]
    assert counts == [2, 2, 1, 1]


async def test_mews_delta_filters_reservations_by_updated_utc(mews: SimHarness) -> None:
    connector = mews.mews()
    old = await connector.create_reservation(
        ReservationRequest("bk_old", "room_456", MAR_1, MAR_3, 2, 0, GUEST)
    )
    mews.clock.advance(3600)
    new = await connector.create_reservation(
        ReservationRequest("bk_new", "room_457", MAR_1, MAR_3, 2, 0, GUEST)
    )
    now = _now(mews)
    found = await connector.get_modified_reservations(now - timedelta(minutes=10), now + timedelta(seconds=1))
    assert [(r.reservation_id, r.external_id) for r in found] == [(new.reservation_id, "bk_new")]
    assert old.reservation_id not in {r.reservation_id for r in found}
    sent = [e.request for e in mews.recorder.vendor_calls() if "reservations/getAll" in e.request.url.path]
    window = json.loads(sent[-1].content)["UpdatedUtc"]
    assert window["StartUtc"].endswith("Z") and window["EndUtc"].endswith("Z")


async def test_mews_refuses_an_updated_interval_longer_than_three_months(mews: SimHarness) -> None:
    connector = mews.mews()
    now = _now(mews)
    with pytest.raises(PMSBadRequest, match="UpdatedUtc"):
        await connector.get_modified_reservations(now - timedelta(days=100), now)
