"""Reconciliation of our confirmed bookings with the Cloudbeds simulator: a hotel-side cancellation and
a date change made in the PMS are reported (metric, stored report, alert) and their nights re-read;
bookings in agreement are not; nothing is refunded or changed in the ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx2
import pytest
from prometheus_client import REGISTRY

from roomgate.container import Container
from roomgate.domain.booking import Booking, BookingStatus
from roomgate.pms.phpform import php_form
from roomgate.pms.types import GuestInfo, ReservationRequest
from tests.integration.polling_support import HOTEL, KEY, ROOM, AlertReceiver, PollingWorld, polling_world

pytestmark = pytest.mark.usefixtures("real_redis")


async def _confirmed_booking(world: PollingWorld, worker: Container, booking_id: str, start: date) -> str:
    """A confirmed booking in our ledger with its reservation in the PMS; returns the reservation id."""
    end = start + timedelta(days=2)
    pms = await worker.pms.get_connector("cloudbeds", HOTEL)
    guest = GuestInfo("Hong", "Gildong", "hong@example.com")
    reservation = await pms.create_reservation(ReservationRequest(booking_id, ROOM, start, end, 2, 0, guest))
    await worker.bookings.create(_confirmed(worker, booking_id, start, end, reservation.reservation_id))
    return reservation.reservation_id


def _confirmed(worker: Container, booking_id: str, start: date, end: date, reservation_id: str) -> Booking:
    now = datetime.fromtimestamp(worker.clock.now(), UTC)
    return Booking(
        booking_id=booking_id,
        vendor="cloudbeds",
        hotel_id=HOTEL,
        room_type_id=ROOM,
        check_in=start,
        check_out=end,
        adults=2,
        children=0,
        status=BookingStatus.CONFIRMED,
        pms_reservation_id=reservation_id,
        currency="KRW",
        total_minor=None,
        total_price=None,
        created_at=now,
        updated_at=now,
    )


async def _put_reservation(world: PollingWorld, fields: dict[str, Any]) -> dict[str, Any]:
    """What the hotel's staff does in the PMS, through the vendor API (form-encoded putReservation)."""
    async with httpx2.AsyncClient(timeout=10) as client:
        response = await client.put(
            f"{world.sim_url}/api/v1.3/putReservation",
            content=urlencode(php_form({"propertyID": HOTEL, **fields})),
            headers={"x-api-key": KEY, "Content-Type": "application/x-www-form-urlencoded"},
        )
    body: dict[str, Any] = response.json()
    assert body["success"], body
    return body


def _drift_gauge(kind: str) -> float:
    return REGISTRY.get_sample_value("roomgate_reconciliation_drift", {"kind": kind}) or 0.0


async def test_reconciliation_reports_a_hotel_side_cancellation_and_a_date_change(
    tmp_path: Path, real_redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with AlertReceiver().running() as receiver:
        env = {"ROOMGATE_ALERT_WEBHOOK_URL": receiver.url}
        async with polling_world(tmp_path, real_redis_url, monkeypatch, env) as world:
            worker = world.container()
            base = world.today + timedelta(days=20)
            # given three confirmed bookings, each with its PMS reservation
            cancelled = await _confirmed_booking(world, worker, "bk_cancelled", base)
            moved = await _confirmed_booking(world, worker, "bk_moved", base + timedelta(days=5))
            await _confirmed_booking(world, worker, "bk_fine", base + timedelta(days=10))
            # when the hotel cancels one in its PMS and moves another by a day
            await _put_reservation(world, {"reservationID": cancelled, "status": "canceled"})
            new_in, new_out = base + timedelta(days=6), base + timedelta(days=8)
            await _put_reservation(
                world,
                {
                    "reservationID": moved,
                    "rooms": [
                        {
                            "roomTypeID": ROOM,
                            "checkinDate": new_in.isoformat(),
                            "checkoutDate": new_out.isoformat(),
                        }
                    ],
                },
            )
            report = await worker.reconciler.run_once()
            # then exactly those two are reported, with what differs
            drift = {d.bookingId: d for d in report.drift}
            assert report.bookingsChecked == 3 and set(drift) == {"bk_cancelled", "bk_moved"}
            assert drift["bk_cancelled"].kinds == ["cancelled"]
            assert drift["bk_moved"].kinds == ["dates_changed"]
            assert drift["bk_moved"].pms["checkIn"] == new_in.isoformat()
            # as a metric, a stored report (the admin endpoint's), and one alert per booking
            assert _drift_gauge("cancelled") == 1 and _drift_gauge("dates_changed") == 1
            stored = await worker.reconciler.last_report()
            assert stored is not None and stored["counts"]["cancelled"] == 1
            texts = [b["text"] for b in receiver.bodies]
            assert sum("bk_cancelled" in t for t in texts) == 1 and sum("bk_moved" in t for t in texts) == 1
            # the safe fix: the nights of the moved stay were re-read from the PMS (fresh in the cache)
            assert (await worker.inventory.get(HOTEL, ROOM, new_out - timedelta(days=1))).available == 4
            # and nothing in the ledger changed: no refund, no state change
            assert (await worker.bookings.get("bk_cancelled")).status == "confirmed"


async def test_a_reservation_gone_from_the_pms_is_reported_missing(
    tmp_path: Path, real_redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with polling_world(tmp_path, real_redis_url, monkeypatch) as world:
        worker = world.container()
        start = world.today + timedelta(days=3)
        ghost = _confirmed(worker, "bk_ghost", start, start + timedelta(days=1), "9999999999999")
        await worker.bookings.create(ghost)
        report = await worker.reconciler.run_once()
        assert [(d.bookingId, d.kinds) for d in report.drift] == [("bk_ghost", ["missing"])]
