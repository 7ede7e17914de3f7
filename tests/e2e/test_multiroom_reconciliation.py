"""Reconciliation of a multi-room booking that Mews keeps as one reservation per room: the hotel
cancelling one room of the group in the PMS is reported for that reservation (before, only the first
member was looked at); the whole group in agreement reports nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.multiroom_support import live_reservations, priced, rooms_body
from tests.e2e.saga_harness import HOTEL, running_roomgate, running_vendors, stay


async def test_one_cancelled_room_of_a_mews_group_is_reported_for_its_reservation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_vendors("mews") as vendors:
        async with running_roomgate(f"sqlite:///{tmp_path}/ledger.db", vendors, monkeypatch) as roomgate:
            # given a family's confirmed 3-room booking: three Mews reservations
            start, end = stay(offset_days=50)
            body = rooms_body(start, end, vendor="mews")
            await priced(roomgate, body)
            answer = await roomgate.checkout(body)
            assert answer.status_code == 200, answer.text
            booking = await roomgate.booking(answer.json()["bookingId"])
            members = [r["reservationId"] for r in live_reservations(vendors, "mews", booking.booking_id)]
            assert len(members) == 3
            reconciler = roomgate.container.reconciler
            # the group in agreement with the PMS: nothing to report
            agreed = await reconciler.run_once()
            assert (agreed.bookingsChecked, agreed.drift) == (1, [])
            # when the hotel cancels one room of the group in its PMS (not the one the booking row names)
            other = next(m for m in members if m != booking.pms_reservation_id)
            pms = await roomgate.container.connector("mews", HOTEL)
            await pms.cancel_reservation(other)
            # then reconciliation reports that reservation cancelled; the booking itself is left alone
            report = await reconciler.run_once()
            assert [(d.bookingId, d.kinds, d.reservationId) for d in report.drift] == [
                (booking.booking_id, ["cancelled"], other)
            ]
            assert (await roomgate.booking(booking.booking_id)).status == "confirmed"
