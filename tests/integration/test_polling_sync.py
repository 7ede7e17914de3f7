"""Polling sync against the Cloudbeds simulator, driven by a fake clock (no sleeps): a closeout made in
the PMS is caught by the next poll; another channel's booking beyond the polled window is caught by
the reservations delta (polls write through store_snapshot, which never goes over a newer local
booking: tests/integration/test_cache_inventory.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from roomgate.domain.stay import Stay
from roomgate.pms.types import GuestInfo, ReservationRequest
from tests.integration.polling_support import HOTEL, ROOM, polling_world

pytestmark = pytest.mark.usefixtures("real_redis")


async def test_a_closeout_made_in_the_pms_is_caught_by_the_next_poll(
    tmp_path: Path, real_redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with polling_world(tmp_path, real_redis_url, monkeypatch) as world:
        # given a worker that has polled the hotel once
        worker = world.container()
        await worker.polling.start_all()
        world.clock.advance(61)
        [first] = [o for o in await worker.polling.tick() if o.hotel_id == HOTEL]
        assert first.nights_read == 3 * 30 and first.room_types == 3
        night = world.today + timedelta(days=10)
        assert await world.cached(worker, night) == 5
        # when the hotel closes that night in its PMS, and the polling interval passes
        await world.set_available(0, night, night + timedelta(days=1))
        assert await world.cached(worker, night) == 5  # nothing told us yet
        world.advance_past_interval()
        [second] = [o for o in await worker.polling.tick() if o.hotel_id == HOTEL]
        # then the poll wrote the closeout, and availability answers 0 from the cache (no PMS read)
        assert second.changed_nights >= 1
        assert await world.cached(worker, night) == 0
        reads_before = await world.sim_calls("getRatePlans")
        answer = await worker.availability.room_type_inventory(
            "cloudbeds", HOTEL, ROOM, night, night + timedelta(days=1)
        )
        assert [n.available for n in answer.nights] == [0] and answer.source == "cache"
        assert await world.sim_calls("getRatePlans") == reads_before


async def test_a_hotel_not_yet_due_is_not_polled(
    tmp_path: Path, real_redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with polling_world(tmp_path, real_redis_url, monkeypatch) as world:
        # given a hotel polled just now
        worker = world.container()
        await worker.polling.start_all()
        world.clock.advance(61)
        assert len(await worker.polling.tick()) == 2
        # when the next round comes well before the interval (300 s ± 10 %) has passed
        world.clock.advance(200)
        # then nobody is polled; past the interval both are again
        assert await worker.polling.tick() == []
        world.clock.advance(200)
        assert len(await worker.polling.tick()) == 2


async def test_another_channels_booking_beyond_the_window_is_caught_by_the_reservations_delta(
    tmp_path: Path, real_redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with polling_world(tmp_path, real_redis_url, monkeypatch) as world:
        worker = world.container()
        await worker.polling.start_all()
        world.clock.advance(61)
        await worker.polling.tick()
        # given nights 45-46 days out (beyond the 30-day polling window), cached at 5
        night = world.today + timedelta(days=45)
        stay = Stay(night, night + timedelta(days=2))
        await worker.availability.room_type_inventory("cloudbeds", HOTEL, ROOM, stay.check_in, stay.check_out)
        assert await world.cached(worker, night) == 5
        # when another channel books one of them directly in the PMS
        pms = await worker.pms.get_connector("cloudbeds", HOTEL)
        guest = GuestInfo("Other", "Channel", "other@example.com")
        await pms.create_reservation(
            ReservationRequest("ota-4711", ROOM, stay.check_in, stay.check_out, 2, 0, guest)
        )
        world.advance_past_interval()
        [outcome] = [o for o in await worker.polling.tick() if o.hotel_id == HOTEL]
        # then the delta saw it and the nights it touches were re-read: 4 left, freshly cached
        assert outcome.reservations_seen == 1
        assert outcome.delta_nights_refreshed == 3 * 2
        assert await world.cached(worker, night) == 4
        assert await world.cached(worker, night + timedelta(days=1)) == 4


async def test_without_the_delta_the_booking_beyond_the_window_is_not_seen(
    tmp_path: Path, real_redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # negative control for the test above: the same booking made BEFORE the delta cursor is not re-read
    async with polling_world(tmp_path, real_redis_url, monkeypatch) as world:
        worker = world.container()
        await worker.polling.start_all()
        world.clock.advance(61)
        night = world.today + timedelta(days=45)
        stay = Stay(night, night + timedelta(days=2))
        pms = await worker.pms.get_connector("cloudbeds", HOTEL)
        guest = GuestInfo("Other", "Channel", "other@example.com")
        await pms.create_reservation(
            ReservationRequest("ota-4712", ROOM, stay.check_in, stay.check_out, 2, 0, guest)
        )
        world.clock.advance(3600)  # an hour later: older than the first delta's look-back
        await worker.polling.tick()
        world.advance_past_interval()
        [outcome] = [o for o in await worker.polling.tick() if o.hotel_id == HOTEL]
        assert outcome.reservations_seen == 0
        assert await world.cached(worker, night) is None


async def test_a_mews_hotel_is_polled_the_same_way(
    tmp_path: Path, real_redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with polling_world(tmp_path, real_redis_url, monkeypatch, vendor="mews") as world:
        # given a Mews hotel polled once
        worker = world.container()
        await worker.polling.start_all()
        world.clock.advance(61)
        [first] = [o for o in await worker.polling.tick() if o.hotel_id == HOTEL]
        assert first.vendor == "mews" and first.nights_read == 3 * 30
        # when the hotel closes a night and another channel books beyond the window
        night, far = world.today + timedelta(days=4), world.today + timedelta(days=50)
        await world.set_available(0, night, night + timedelta(days=1))
        pms = await worker.pms.get_connector("mews", HOTEL)
        guest = GuestInfo("Other", "Channel", "other@example.com")
        await pms.create_reservation(
            ReservationRequest("ota-9", ROOM, far, far + timedelta(days=1), 1, 0, guest)
        )
        world.advance_past_interval()
        [second] = [o for o in await worker.polling.tick() if o.hotel_id == HOTEL]
        # then both reached the cache through the poll (getAvailability + the UpdatedUtc delta)
        assert second.reservations_seen == 1
        assert await world.cached(worker, night) == 0
        assert await world.cached(worker, far) == 4
