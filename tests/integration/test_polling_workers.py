"""Polling across workers and restarts: one poller per hotel (with a negative control), five failures
stop polling and deliver an alert to a local receiver, the stopped state survives a restart, and
starting again resets the count."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.hotel import HotelConfig
from roomgate.domain.polling import STOPPED_BY_FAILURES
from roomgate.services.faults import FaultPoints
from roomgate.services.polling import PollingSync
from tests.integration.polling_support import HOTEL, AlertReceiver, PollingWorld, polling_world

pytestmark = pytest.mark.usefixtures("real_redis")


async def _two_workers_race(world: PollingWorld, faults: FaultPoints) -> int:
    """Two workers tick at the same moment; each poll pauses after its due check until both workers
    have had their chance. Returns how many polls of hotel_123 read the PMS."""
    one, two = world.container(), world.container()
    await one.polling.start_all()
    world.clock.advance(61)
    entered = [asyncio.Event(), asyncio.Event()]
    go = asyncio.Event()

    async def pause(hotel: str) -> None:
        if hotel == HOTEL:
            next(e for e in entered if not e.is_set()).set()
            await go.wait()

    pollers: list[PollingSync] = [world.poller(c, before_poll=pause, faults=faults) for c in (one, two)]
    first = asyncio.create_task(pollers[0].tick())
    await entered[0].wait()  # the first worker is past its due check, before reading the PMS
    second = asyncio.create_task(pollers[1].tick())
    # the second worker either gives up (lease taken) or reaches the pause point too
    reached = asyncio.create_task(entered[1].wait())
    await asyncio.wait([second, reached], return_when=asyncio.FIRST_COMPLETED)
    reached.cancel()
    go.set()
    outcomes = [*(await first), *(await second)]
    return sum(1 for o in outcomes if o.hotel_id == HOTEL and o.room_types)


async def test_two_workers_poll_a_hotel_once(
    tmp_path: Path, real_redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with polling_world(tmp_path, real_redis_url, monkeypatch) as world:
        assert await _two_workers_race(world, FaultPoints()) == 1


async def test_negative_control_without_the_lease_both_workers_poll(
    tmp_path: Path, real_redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with polling_world(tmp_path, real_redis_url, monkeypatch) as world:
        assert await _two_workers_race(world, FaultPoints.parse("polling_lease=skip")) == 2


async def test_a_write_from_a_poller_whose_lease_was_taken_over_is_refused(
    tmp_path: Path, real_redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with polling_world(tmp_path, real_redis_url, monkeypatch) as world:
        worker = world.container()
        states, lease = worker.polling.states, worker.polling.lease
        await worker.polling.start("cloudbeds", HOTEL)
        # given an old lease holder (token 1) and a newer one (token 2) that has recorded its poll
        old = await lease.acquire(HOTEL, 0.05)
        assert old is not None
        await lease.release(HOTEL, old)
        new = await lease.acquire(HOTEL, 60)
        assert new is not None and new > old
        now = worker.polling._next_at(await worker.hotels.get(HOTEL))  # noqa: SLF001
        assert await states.record_success(
            "cloudbeds", HOTEL, new, at=now, next_sync_at=now, delta_synced_to=None, changes={}
        )
        # when the old holder tries to record its result, then it is fenced off
        assert not await states.record_success(
            "cloudbeds", HOTEL, old, at=now, next_sync_at=now, delta_synced_to=None, changes={}
        )
        assert (
            await states.record_failure("cloudbeds", HOTEL, old, error="late", next_sync_at=now, limit=5)
            is None
        )
        assert not await lease.renew(HOTEL, old, 60)


async def test_five_failures_stop_polling_alert_and_survive_a_restart_until_started(
    tmp_path: Path, real_redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with AlertReceiver().running() as receiver:
        env = {"ROOMGATE_ALERT_WEBHOOK_URL": receiver.url, "ROOMGATE_RETRY_ATTEMPTS": "0"}
        async with polling_world(tmp_path, real_redis_url, monkeypatch, env) as world:
            # given the PMS failing every call
            worker = world.container()
            await worker.polling.start_all()
            await world.sim("PUT", "/_sim/faults", {"errorRate": 1.0, "status": 500})
            # when five polls in a row fail
            for attempt in range(1, 6):
                world.clock.advance(61 if attempt == 1 else 340)
                await worker.polling.tick()
                status = await worker.polling.status("cloudbeds", HOTEL)
                assert status.error_count == attempt
            # then polling is stopped for that hotel, with the reason, and one alert was delivered
            assert not status.is_running and status.stopped_reason == STOPPED_BY_FAILURES
            assert status.last_error and status.next_sync_at is None
            texts = [b["text"] for b in receiver.bodies]
            assert sum("polling_stopped" in t and HOTEL in t and "hotel_777" not in t for t in texts) == 1
            world.clock.advance(340)
            assert [o for o in await worker.polling.tick() if o.hotel_id == HOTEL] == []
            # when the worker restarts (new process, same database)
            await world.sim("PUT", "/_sim/faults", {})
            restarted = world.container()
            await restarted.polling.start_all()
            world.clock.advance(340)
            polled = [o.hotel_id for o in await restarted.polling.tick()]
            # then the hotel stays stopped
            assert HOTEL not in polled
            assert not (await restarted.polling.status("cloudbeds", HOTEL)).is_running
            # when an operator starts it again, then the count is reset and it polls at the next round
            started = await restarted.polling.start("cloudbeds", HOTEL)
            assert started.is_running and started.error_count == 0 and started.stopped_reason is None
            assert HOTEL in [o.hotel_id for o in await restarted.polling.tick()]
            assert (await restarted.polling.status("cloudbeds", HOTEL)).last_sync_at is not None


async def test_alerts_are_deduplicated_per_key_and_never_raise(
    tmp_path: Path, real_redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with AlertReceiver().running() as receiver:
        env = {"ROOMGATE_ALERT_WEBHOOK_URL": receiver.url}
        async with polling_world(tmp_path, real_redis_url, monkeypatch, env) as world:
            alerts = world.container().alerts
            # same key twice within the window: delivered once; another key: delivered
            await alerts.alert("polling_stopped", "cloudbeds:h1", "first")
            await alerts.alert("polling_stopped", "cloudbeds:h1", "again")
            await alerts.alert("polling_stopped", "cloudbeds:h2", "other")
            assert [b["text"].split(": ", 1)[1] for b in receiver.bodies] == ["first", "other"]
    # a receiver that is gone: the alert is logged, the caller is not disturbed
    async with polling_world(
        tmp_path, real_redis_url, monkeypatch, {"ROOMGATE_ALERT_WEBHOOK_URL": receiver.url}
    ) as world:
        await world.container().alerts.alert("polling_stopped", "cloudbeds:h3", "nobody listens")


class PollingOff:
    """A directory whose hotel_123 has polling turned off in its configuration."""

    async def get(self, hotel_id: str) -> HotelConfig | None:
        return HotelConfig(hotel_id, "cloudbeds", polling_enabled=False) if hotel_id == HOTEL else None

    async def list_hotels(self) -> list[HotelConfig]:
        return [HotelConfig(HOTEL, "cloudbeds", polling_enabled=False)]


async def test_a_hotel_with_polling_turned_off_is_not_polled_but_can_be_synced_by_hand(
    tmp_path: Path, real_redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with polling_world(tmp_path, real_redis_url, monkeypatch) as world:
        worker = world.container(hotels=PollingOff())
        assert await worker.polling.start_all() == []
        world.clock.advance(400)
        assert await worker.polling.tick() == []
        with pytest.raises(DomainError) as refused:
            await worker.polling.start("cloudbeds", HOTEL)
        assert refused.value.code is ErrorCode.VALIDATION_ERROR
        outcome = await worker.polling.sync_now("cloudbeds", HOTEL)
        assert outcome.nights_read == 90
        assert not (await worker.polling.status("cloudbeds", HOTEL)).is_running


async def test_a_hotel_added_after_the_worker_started_is_polled_at_the_next_tick(
    tmp_path: Path, real_redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with polling_world(tmp_path, real_redis_url, monkeypatch, {}) as world:
        # given a worker that started before any hotel had a polling state row (none were started)
        worker = world.container()
        # when it ticks
        polled = [o.hotel_id for o in await worker.polling.tick()]
        # then every configured hotel with polling on got a row and was polled at once
        assert HOTEL in polled
        assert (await worker.polling.status("cloudbeds", HOTEL)).last_sync_at is not None
