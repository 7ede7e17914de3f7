"""`make demo` (in-process Redis) answers every stay length exactly as `roomgate serve` with a real
Redis does: the same availability, inventory and checkout requests — 1 to 30 nights, 1 to 4 guests,
each asked cold and again warm, checkouts repeated — go to two stacks, one per Redis, each with its
own identically seeded PMS simulator, and every status and body must match (booking ids,
confirmation numbers and ages aside). Issue 10: the demo answered 500 on the second identical
1-night inventory request, 1- and 9-night stays for 3–4 guests and repeated 1-night checkouts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import redis

from tests.e2e.stack import HOTEL, Stack, checkout_body, running_stack
from tests.report import report

pytestmark = [pytest.mark.slow, pytest.mark.redis]

VOLATILE = {"bookingId", "confirmationNumber", "ageSeconds"}
FIRST = date.today() + timedelta(days=45)


def normalised(response: Any) -> tuple[int, Any]:
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in VOLATILE}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return response.status_code, strip(response.json())


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory, real_redis_url: str) -> Iterator[list[Stack]]:
    redis.Redis.from_url(real_redis_url).flushdb()
    folder = tmp_path_factory.mktemp("pair")
    with (
        running_stack(f"sqlite:///{folder}/demo.db") as demo,
        running_stack(f"sqlite:///{folder}/served.db", redis_url=real_redis_url) as served,
    ):
        yield [demo, served]
    redis.Redis.from_url(real_redis_url).flushdb()


class Exchange:
    """Sends each request to both stacks (in step, so cache ages advance alike) and compares."""

    def __init__(self, stacks: list[Stack]) -> None:
        self.stacks = stacks
        self.compared = 0
        self.statuses: dict[int, int] = {}

    def same(self, label: str, send: Any) -> tuple[int, Any]:
        demo, served = (normalised(send(stack)) for stack in self.stacks)
        assert demo == served, f"{label}: demo {demo} != real Redis {served}"
        self.compared += 1
        self.statuses[demo[0]] = self.statuses.get(demo[0], 0) + 1
        return demo

    def availability(self, start: date, nights: int, adults: int) -> tuple[int, Any]:
        params = {
            "vendor": "cloudbeds",
            "checkIn": start.isoformat(),
            "checkOut": (start + timedelta(days=nights)).isoformat(),
            "adults": adults,
        }
        return self.same(
            f"availability {nights} nights {adults} guests",
            lambda s: s.client.get(f"{s.url}/api/hotels/{HOTEL}/availability", params=params),
        )

    def inventory(self, room: str, start: date, nights: int) -> tuple[int, Any]:
        params = {
            "vendor": "cloudbeds",
            "from": start.isoformat(),
            "to": (start + timedelta(days=nights)).isoformat(),
        }
        return self.same(
            f"inventory {room} {nights} nights",
            lambda s: s.client.get(f"{s.url}/api/hotels/{HOTEL}/room-types/{room}/inventory", params=params),
        )

    def checkout(self, room: str, price: int, start: date, nights: int) -> tuple[int, Any]:
        body = checkout_body(start, start + timedelta(days=nights), room=room, price=price)
        return self.same(f"checkout {room} {nights} nights", lambda s: s.checkout(body))


def test_every_stay_length_answers_the_same_on_the_in_process_and_a_real_redis(
    stacks: list[Stack], request: pytest.FixtureRequest
) -> None:
    exchange = Exchange(stacks)
    # when: every stay length for every party size, cold then warm, and each room type's inventory
    for nights in range(1, 31):
        start = FIRST + timedelta(days=nights * 3)
        for adults in range(1, 5):
            first = exchange.availability(start, nights, adults)
            again = exchange.availability(start, nights, adults)
            assert first[0] == again[0] == 200
        for room in ("room_456", "room_457", "room_458"):
            assert exchange.inventory(room, start, nights)[0] == 200
            assert exchange.inventory(room, start, nights)[0] == 200
    # and checkouts, one-night ones repeated, each followed by the availability they change
    for nights, room, price in [(1, "room_457", 98000)] * 3 + [
        (2, "room_456", 125000),
        # the Family Suite carries 10 % VAT and a 2,000 KRW nightly city fee: 210,000 → 233,000 a night
        (9, "room_458", 233000),
    ]:
        start = FIRST + timedelta(days=200)
        status, _ = exchange.checkout(room, price, start, nights)
        assert status in (200, 409)
        exchange.availability(start, nights, 2)
        exchange.inventory(room, start, nights)
    # then (asserted per request): the same answers throughout
    summary = f"demo vs real Redis: {exchange.compared} requests compared, statuses {exchange.statuses}"
    report(request, summary)
    assert exchange.statuses.get(500, 0) == 0
