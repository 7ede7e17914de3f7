"""A remembered availability answer is byte for byte what a fresh render says at the same moment.

Two apps share Redis, the clock and the PMS simulator: one remembers answers
(api/view_memo.py), the other renders every request. A seeded random walk of writes from "the
other process" (holds, releases, conversions, bookings, cancellations, PMS changes with webhook
invalidations, room-list refreshes) and clock moves (hold expiry, cache TTLs) is interleaved
with the same GETs on both; every answer must match. The negative control remembers without
asking Redis, and the same walk must catch it serving stale answers.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from roomgate.cache.hold_models import HoldStatus
from roomgate.cache.hotel_read import HotelRead
from roomgate.clock import FakeClock
from tests.e2e.memo_pair import HOTEL, MemoPair, memo_pair, redis_factory, simulator
from tests.redis_wire import WireCounter

ROOMS = ["room_456", "room_457", "room_458"]
START = date.today() + timedelta(days=40)
STAY_PATH = f"/api/hotels/{HOTEL}/availability"


def stay_url(offset: int, nights: int, adults: int) -> str:
    check_in = START + timedelta(days=offset)
    check_out = check_in + timedelta(days=nights)
    return f"{STAY_PATH}?vendor=cloudbeds&checkIn={check_in}&checkOut={check_out}&adults={adults}"


def inventory_url(room: str, offset: int, nights: int) -> str:
    start = START + timedelta(days=offset)
    return (
        f"/api/hotels/{HOTEL}/room-types/{room}/inventory?vendor=cloudbeds"
        f"&from={start}&to={start + timedelta(days=nights)}"
    )


URLS = [stay_url(0, 5, 2), stay_url(2, 4, 3), inventory_url("room_458", 0, 6)]


def memo_count(outcome: str) -> float:
    return REGISTRY.get_sample_value("roomgate_response_memo_total", {"outcome": outcome}) or 0.0


@pytest.fixture(params=["in-process", "real"])
def new_redis(request: pytest.FixtureRequest) -> Callable[[], Any]:
    if request.param == "real":
        request.getfixturevalue("real_redis")  # the test database, flushed before and after
        return redis_factory("real", request.getfixturevalue("real_redis_url"))
    return redis_factory("in-process", None)


class Walk:
    """The random walk: writes from the other process and clock moves, then the same GETs on both."""

    def __init__(self, pair: MemoPair, clock: FakeClock, seed: int) -> None:
        self.pair, self.clock, self.rng = pair, clock, random.Random(seed)
        self.holds: list[str] = []
        self.mismatches: list[str] = []

    async def step(self, n: int) -> None:
        writer, rng = self.pair.writer, self.rng
        room = rng.choice(ROOMS)
        first = rng.randrange(0, 6)
        nights = [START + timedelta(days=first + i) for i in range(rng.randrange(1, 4))]
        op = rng.choice(["hold", "hold", "release", "convert", "clock", "pms", "book", "cancel", "rooms"])
        if op == "hold":
            outcome = await writer.hold_ledger.create_hold(HOTEL, room, nights, rng.choice([1, 2]), f"h{n}")
            if outcome.status is HoldStatus.HELD:
                self.holds.append(f"h{n}")
        elif op == "release" and self.holds:
            await writer.hold_ledger.release(HOTEL, rng.choice(self.holds))
        elif op == "convert" and self.holds:
            await writer.hold_ledger.convert(HOTEL, rng.choice(self.holds))
        elif op == "clock":
            self.clock.advance(rng.choice([1, 30, 91, 181, 301]))
        elif op == "pms":  # the PMS changed, and its webhook told us which nights
            body = {
                "roomTypeId": room,
                "from": str(nights[0]),
                "to": str(nights[-1] + timedelta(days=1)),
                "available": rng.randrange(4),
            }
            (await self.pair.sim.put(f"/_sim/properties/{HOTEL}/inventory", json=body)).raise_for_status()
            await writer.inventory.invalidate(HOTEL, room, nights)
        elif op == "book":
            await writer.inventory.decrement_inventory(HOTEL, room, nights)
        elif op == "cancel":
            await writer.inventory.increment_inventory(HOTEL, room, nights)
        elif op == "rooms":
            await writer.inventory.invalidate_room_types(HOTEL)
        # Time moves on, if only a little: a PMS read begun in the very millisecond of a local write
        # is treated as older than it (inventory_fill.py) and both apps would answer from the PMS.
        self.clock.advance(0.01)
        await self.compare(f"step {n} ({op})")

    async def compare(self, label: str) -> None:
        for url in URLS:
            await self.pair.plain.get(url)  # refills whatever expired, as any request would
            remembered = await self.pair.memo.get(url)
            rendered = await self.pair.plain.get(url)
            assert rendered.status_code == 200, rendered.text
            if (remembered.status_code, remembered.content) != (200, rendered.content):
                self.mismatches.append(f"{label} {url}: {remembered.text} != {rendered.text}")


async def walk(pair: MemoPair, clock: FakeClock, seed: int, steps: int = 60) -> Walk:
    run = Walk(pair, clock, seed)
    await run.compare("warm-up")
    await run.compare("warm")
    for n in range(steps):
        await run.step(n)
    return run


@pytest.mark.parametrize("seed", [1, 2])
async def test_remembered_answers_match_fresh_renders_through_a_random_walk(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, new_redis: Callable[[], Any], seed: int
) -> None:
    # given two apps on one Redis and clock
    clock = FakeClock(time.time())
    before = {outcome: memo_count(outcome) for outcome in ("hit", "changed", "expired")}
    with simulator() as sim_url:
        async with memo_pair(monkeypatch, sim_url, f"sqlite:///{tmp_path}/m.db", new_redis, clock) as pair:
            # when the walk runs
            run = await walk(pair, clock, seed)
    # then every remembered answer was the fresh one
    assert run.mismatches == []
    # and the walk went through every path of the memo, not around it
    for outcome, count in before.items():
        assert memo_count(outcome) - count >= 5, outcome


async def test_negative_control_a_memo_that_does_not_ask_redis_serves_stale_answers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # given a memo app whose revalidation trusts itself ("unchanged" without asking Redis)
    clock = FakeClock(time.time())
    with simulator() as sim_url:
        async with memo_pair(
            monkeypatch, sim_url, f"sqlite:///{tmp_path}/m.db", redis_factory("in-process", None), clock
        ) as pair:
            inventory = pair.memo_container.inventory
            read_hotel = inventory.read_hotel

            async def blind(
                hotel_id: str, ids: Any, nights: Any, *, expect_version: str | None = None
            ) -> Any:
                if expect_version is not None:
                    return HotelRead(hotel_id, None, [], 0, ids, nights, "fresh", unchanged=True)
                return await read_hotel(hotel_id, ids, nights)

            monkeypatch.setattr(inventory, "read_hotel", blind)
            # when the same walk runs
            run = await walk(pair, clock, seed=1)
    # then the harness sees it serve answers a fresh render contradicts
    assert run.mismatches


async def warm_pair_answer(pair: MemoPair, url: str) -> dict[str, Any]:
    """Render `url` on the memo app until it is remembered; returns the remembered answer."""
    for _ in range(3):
        answer = await pair.memo.get(url)
        assert answer.status_code == 200, answer.text
    assert len(pair.memo_app.state.view_memo) >= 1
    return answer.json()  # type: ignore[no-any-return]


async def test_a_remembered_answer_and_a_changed_one_each_cost_one_round_trip(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # given a remembered 30-night answer
    clock = FakeClock(time.time())
    url = stay_url(0, 30, 2)
    with simulator() as sim_url:
        async with memo_pair(
            monkeypatch, sim_url, f"sqlite:///{tmp_path}/m.db", redis_factory("in-process", None), clock
        ) as pair:
            before = await warm_pair_answer(pair, url)
            wire = WireCounter(pair.memo_container.redis)
            hits = memo_count("hit")
            # when it is asked again, then another process holds a room, then it is asked again
            again = await pair.memo.get(url)
            assert wire.round_trips == [["EVALSHA"]] and memo_count("hit") == hits + 1
            nights = [START + timedelta(days=i) for i in range(30)]
            held = await pair.writer.hold_ledger.create_hold(HOTEL, "room_456", nights, 1, "h-one")
            assert held.status is HoldStatus.HELD
            wire.round_trips.clear()
            after = await pair.memo.get(url)
    # then the changed answer came from the same single call (the revalidation's full read)
    assert wire.round_trips == [["EVALSHA"]]
    assert again.json() == before
    first = [o for o in after.json()["roomTypes"] if o["roomTypeId"] == "room_456"]
    was = [o for o in before["roomTypes"] if o["roomTypeId"] == "room_456"]
    assert [n["available"] for n in first[0]["nights"]] == [n["available"] - 1 for n in was[0]["nights"]]


async def test_a_hold_that_expires_frees_its_rooms_in_remembered_answers_without_any_write(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # given cache copies that stay fresh for an hour, a remembered answer that counts a 180 s hold
    clock = FakeClock(time.time())
    url = inventory_url("room_456", 0, 3)
    ttl = {"inv_ttl_seconds": 3600, "rate_ttl_seconds": 3600}
    with simulator() as sim_url:
        async with memo_pair(
            monkeypatch,
            sim_url,
            f"sqlite:///{tmp_path}/m.db",
            redis_factory("in-process", None),
            clock,
            **ttl,
        ) as pair:
            free = [n["available"] for n in (await warm_pair_answer(pair, url))["nights"]]
            nights = [START, START + timedelta(days=1)]
            await pair.writer.hold_ledger.create_hold(HOTEL, "room_456", nights, 2, "h-exp")
            held = [n["available"] for n in (await warm_pair_answer(pair, url))["nights"]]
            # when the hold lapses (nothing is written: expiry needs no job)
            clock.advance(181)
            lapsed = [n["available"] for n in (await pair.memo.get(url)).json()["nights"]]
            # and, as a control, when the remembered answer is made to ignore its expiry
            await pair.writer.hold_ledger.create_hold(HOTEL, "room_456", nights, 2, "h-exp-2")
            await warm_pair_answer(pair, url)
            memo = pair.memo_app.state.view_memo
            for key, entry in list(memo._entries.items()):
                memo.put(key, replace(entry, stamp=replace(entry.stamp, valid_until_ms=2**62)))
            clock.advance(181)
            ignored = [n["available"] for n in (await pair.memo.get(url)).json()["nights"]]
    # then
    assert held == [free[0] - 2, free[1] - 2, free[2]]
    assert lapsed == free
    assert ignored == held  # the control: without the expiry bound the lapsed hold is still counted


async def test_errors_fills_and_fallbacks_are_never_remembered(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clock = FakeClock(time.time())
    bad = f"{STAY_PATH}?vendor=cloudbeds&checkIn=2027-01-10&checkOut=2027-01-01"
    url = stay_url(0, 3, 2)
    with simulator() as sim_url:
        async with memo_pair(
            monkeypatch, sim_url, f"sqlite:///{tmp_path}/m.db", redis_factory("in-process", None), clock
        ) as pair:
            memo = pair.memo_app.state.view_memo
            # given / when a bad request, twice
            assert [(await pair.memo.get(bad)).status_code for _ in range(2)] == [400, 400]
            # and a first answer that came from the PMS
            assert (await pair.memo.get(url)).json()["source"] == "pms"
            # then neither is remembered
            assert len(memo) == 0
            # when the PMS goes down and the fresh copies expire: answers fall back to last-known-good
            (await pair.sim.put("/_sim/faults", json={"errorRate": 1.0, "status": 503})).raise_for_status()
            clock.advance(400)
            fallback = await pair.memo.get(url)
            # then that answer is served but not remembered either
            assert fallback.status_code == 200 and fallback.json()["source"] == "cache"
            assert len(memo) == 0


async def test_a_remembered_answer_keeps_the_request_id_and_the_route_metrics(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clock = FakeClock(time.time())
    url = stay_url(1, 2, 2)
    labels = {"method": "GET", "route": "/api/hotels/{hotel_id}/availability", "status": "200"}
    with simulator() as sim_url:
        async with memo_pair(
            monkeypatch, sim_url, f"sqlite:///{tmp_path}/m.db", redis_factory("in-process", None), clock
        ) as pair:
            await warm_pair_answer(pair, url)
            hits, served = (
                memo_count("hit"),
                REGISTRY.get_sample_value("roomgate_http_requests_total", labels),
            )
            # when
            answer = await pair.memo.get(url, headers={"x-request-id": "req-memo-1"})
    # then
    assert memo_count("hit") == hits + 1
    assert answer.headers["x-request-id"] == "req-memo-1"
    assert answer.headers["content-type"] == "application/json"
    assert REGISTRY.get_sample_value("roomgate_http_requests_total", labels) == (served or 0) + 1
