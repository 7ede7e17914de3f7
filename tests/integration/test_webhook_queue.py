"""The webhook inbox and its Redis Stream: each event processed once, whatever is duplicated, lost,
flushed or killed — on the in-process Redis and on a real server."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from roomgate.ledger.webhook_inbox import InboxEntry
from roomgate.services.webhook_worker import Outcome
from tests.integration.webhook_world import World, webhook_world

pytestmark = pytest.mark.redis


@pytest.fixture
async def world(any_redis: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    async with webhook_world(any_redis, str(tmp_path), monkeypatch, webhook_max_attempts=3) as w:
        yield w


def count_effects(world: World) -> Counter[str]:
    """Replace the effects with a counter per event id (the queue is under test, not the PMS)."""
    seen: Counter[str] = Counter()

    async def apply(entry: InboxEntry) -> None:
        seen[entry.event_id] += 1

    world.container.webhook_processor.apply = apply
    return seen


async def test_a_duplicate_delivery_is_answered_200_and_processed_once(world: World) -> None:
    # given
    seen = count_effects(world)
    event = world.spec_event()
    # when the same event arrives three times
    answers = [await world.post_signed(event) for _ in range(3)]
    await world.drain()
    # then every delivery is a 200, the later ones flagged duplicate, and it was processed once
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["duplicate"] for a in answers] == [False, True, True]
    assert seen == {event["eventId"]: 1}
    assert (await world.container.webhook_inbox.counts()) == {"processed": 1}


async def test_refused_deliveries_store_nothing(world: World) -> None:
    # given
    event = world.spec_event()
    # when: a forged signature, a wrong URL token, an unknown vendor, a malformed body, an unknown hotel
    forged = await world.post_signed(event, secret="not-the-secret")
    wrong_token = await world.post_native(
        "cloudbeds",
        {"event": "reservation/created", "propertyID": "hotel_123", "reservationID": "1", "timestamp": 1},
        token="nope",
    )
    unknown_vendor = await world.http.post("/api/webhooks/pms/opera", json=event)
    malformed = await world.post_signed({**event, "type": "nonsense"})
    unknown_hotel = await world.post_signed({**event, "hotelId": "hotel_999"})
    too_large = await world.post_signed({**event, "padding": "x" * 300_000})
    # then each gets its status in the spec's error shape, and the inbox and the stream stay empty
    statuses = [
        r.status_code for r in (forged, wrong_token, unknown_vendor, malformed, unknown_hotel, too_large)
    ]
    assert statuses == [401, 401, 400, 400, 400, 413]
    for answer in (forged, wrong_token, malformed):
        assert answer.json()["success"] is False and answer.json()["errorCode"]
    assert await world.container.webhook_inbox.counts() == {}
    assert await world.drain() == []


@pytest.mark.slow
async def test_a_storm_of_1000_events_with_duplicates_is_processed_once_each_by_competing_consumers(
    world: World,
) -> None:
    # given 1,000 distinct events, 200 of them delivered twice
    seen = count_effects(world)
    events = [world.spec_event() for _ in range(1000)]
    for batch in range(0, 1200, 50):
        deliveries = (events + events[:200])[batch : batch + 50]
        answers = await asyncio.gather(*(world.post_signed(e) for e in deliveries))
        assert {a.status_code for a in answers} == {200}
    # when four consumers of the group drain the stream concurrently
    consumers = [world.container.webhook_consumer(f"c{i}") for i in range(4)]

    async def drain(consumer: Any) -> list[Outcome]:
        done: list[Outcome] = []
        while got := await consumer.run_once(block_ms=0, take_over=False):
            done += got
        return done

    results = await asyncio.gather(*(drain(c) for c in consumers))
    # then every event was processed exactly once and nothing is left pending
    assert len(seen) == 1000 and set(seen.values()) == {1}
    assert sum(len(r) for r in results) == 1000
    assert sum(1 for r in results if r) >= 2, "the consumers shared the work"
    assert (await world.container.webhook_inbox.counts()) == {"processed": 1000}
    assert await world.container.webhook_stream.pending() == 0


async def test_a_consumer_killed_mid_event_is_taken_over_and_the_event_processed_once(world: World) -> None:
    # given consumer A claims an event and dies in the middle of it (never acknowledges)
    seen = count_effects(world)
    event = world.spec_event()
    await world.post_signed(event)
    entered, never = asyncio.Event(), asyncio.Event()

    async def die_here(_entry: InboxEntry) -> None:
        entered.set()
        await never.wait()

    world.container.webhook_processor.after_claim = die_here
    victim = asyncio.create_task(world.container.webhook_consumer("a").run_once(block_ms=0, take_over=False))
    await entered.wait()
    victim.cancel()
    world.container.webhook_processor.after_claim = _nothing
    consumer_b = world.container.webhook_consumer("b")
    # negative control: while A's lease runs, B neither reads it anew nor may claim it
    assert await consumer_b.run_once(block_ms=0, take_over=False) == []
    assert await consumer_b.run_once(block_ms=0, take_over=True, min_idle_ms=0) == [Outcome.BUSY]
    assert seen == {}
    # when A's lease has run out and B takes the message over (XAUTOCLAIM)
    await world.post_signed(event)  # a redelivery meanwhile changes nothing
    world.clock.advance(world.container.settings.webhook_lease_seconds + 1)
    outcomes = await consumer_b.run_once(block_ms=0, take_over=True, min_idle_ms=0)
    # then B processed it, once
    assert outcomes == [Outcome.PROCESSED]
    assert seen == {event["eventId"]: 1}
    assert await world.container.webhook_stream.pending() == 0


async def _nothing(_entry: InboxEntry) -> None:
    return None


async def test_redis_flushed_between_insert_and_enqueue_is_recovered_by_the_sweeper(world: World) -> None:
    # given an event stored in the inbox whose stream message Redis then lost (flush)
    seen = count_effects(world)
    event = world.spec_event()
    assert (await world.post_signed(event)).status_code == 200
    await world.redis.flushdb()
    # when consumers read: nothing is there (negative control: the stream alone would lose it)
    assert await world.drain() == []
    consumer = world.container.webhook_consumer("sweeper")
    assert await consumer.sweep() == 0  # not due yet
    # then once the row is due the sweeper enqueues it again and it is processed once
    world.clock.advance(world.container.settings.webhook_sweep_after_seconds + 1)
    assert await consumer.sweep() == 1
    assert await world.drain() == ["processed"]
    assert seen == {event["eventId"]: 1}
    # and a later sweep finds nothing more to do
    world.clock.advance(3600)
    assert await consumer.sweep() == 0


async def test_the_sweeper_does_not_copy_events_still_waiting_in_the_stream(world: World) -> None:
    # given three events queued and not yet read, older than the sweep delay (a backlog)
    seen = count_effects(world)
    for _ in range(3):
        await world.post_signed(world.spec_event())
    world.clock.advance(world.container.settings.webhook_sweep_after_seconds + 1)
    consumer = world.container.webhook_consumer("s")
    # when the sweeper runs: nothing is enqueued twice
    assert await consumer.sweep() == 0
    # then each event is handled once, and nothing is left over
    assert await world.drain() == ["processed"] * 3
    assert sorted(seen.values()) == [1, 1, 1]
    assert await consumer.sweep() == 0


async def test_an_enqueue_that_fails_still_answers_200_and_the_sweeper_delivers_it(world: World) -> None:
    # given Redis refuses the XADD
    seen = count_effects(world)

    async def broken_add(_row_id: int) -> str:
        raise ConnectionError("redis down")

    real_add = world.container.webhook_stream.add
    world.container.webhook_stream.add = broken_add  # type: ignore[method-assign]
    event = world.spec_event()
    # when
    answer = await world.post_signed(event)
    world.container.webhook_stream.add = real_add  # type: ignore[method-assign]
    # then the sender got its 200 (the inbox row is durable) and the sweeper enqueues it later
    assert answer.status_code == 200
    world.clock.advance(world.container.settings.webhook_sweep_after_seconds + 1)
    await world.container.webhook_consumer("s").sweep()
    await world.drain()
    assert seen == {event["eventId"]: 1}


async def test_an_event_that_keeps_failing_is_retried_with_backoff_then_dead_lettered_with_an_alert(
    world: World,
) -> None:
    # given effects that always fail
    calls: list[int] = []

    async def failing(entry: InboxEntry) -> None:
        calls.append(entry.attempts)
        raise RuntimeError("PMS said no")

    world.container.webhook_processor.apply = failing
    event = world.spec_event()
    await world.post_signed(event)
    consumer = world.container.webhook_consumer("r")
    # when it is tried, and re-enqueued by the sweeper each time its retry is due
    outcomes = await world.drain()
    for _ in range(5):
        world.clock.advance(3600)
        await consumer.sweep()
        outcomes += await world.drain()
    # then it was tried max_attempts (3) times, then dead-lettered once with one alert
    assert calls == [1, 2, 3]
    assert outcomes == ["retry", "retry", "dead"]
    assert (await world.container.webhook_inbox.counts()) == {"dead": 1}
    assert [a[0] for a in world.alerts.sent] == ["webhook_dead_letter"]
    assert world.alerts.sent[0][2]["attempts"] == 3


async def test_the_admin_webhook_endpoints_need_the_admin_token(world: World) -> None:
    for method, path in (
        ("GET", "/inbox"),
        ("GET", "/subscriptions/hotel_123"),
        ("POST", "/subscriptions/hotel_123"),
    ):
        answer = await world.http.request(method, f"/api/admin/webhooks{path}")
        assert answer.status_code == 401
    ok = await world.http.get(
        "/api/admin/webhooks/inbox", headers={"Authorization": "Bearer admin-world-token"}
    )
    assert ok.json() == {"success": True, "inbox": {}, "streamPending": 0}
    bad_id = await world.http.get(
        "/api/admin/webhooks/subscriptions/..%2Fetc", headers={"Authorization": "Bearer admin-world-token"}
    )
    assert bad_id.status_code in (400, 404)
