"""roomgate on a local 3-master Redis Cluster: availability, checkout, holds raced by two processes.

The cache integration tests also run every Lua script, MULTI, breaker and rate-limit path on the same
cluster (the `cluster` parameter of `any_redis`); this module drives the whole app through HTTP.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from roomgate.cache import keys
from roomgate.cache.client import create_redis
from tests.e2e.stack import HOTEL, ROOM, checkout_body, running_stack, stay_dates
from tests.integration.test_holds_race import LAST_ROOMS, held_per_night, race

pytestmark = [pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
async def cluster(redis_cluster_url: str) -> Any:
    client = create_redis(redis_cluster_url)
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


async def test_two_processes_racing_for_the_last_rooms_on_a_cluster_exactly_n_win(
    cluster: Any, redis_cluster_url: str
) -> None:
    # given 3 rooms left, 50 contenders in 2 processes, each with its own cluster client
    # when
    winners = await race(cluster, redis_cluster_url, "race_cluster", "safe")
    # then
    assert len(winners) == LAST_ROOMS
    assert await held_per_night(cluster, "race_cluster") == [LAST_ROOMS, LAST_ROOMS]


async def test_negative_control_the_unsafe_path_oversells_on_a_cluster_too(
    cluster: Any, redis_cluster_url: str
) -> None:
    winners = await race(cluster, redis_cluster_url, "race_cluster_unsafe", "unsafe")
    assert len(winners) > LAST_ROOMS


def test_availability_and_checkout_through_two_servers_on_one_cluster(
    redis_cluster_url: str, tmp_path: Path
) -> None:
    # given two servers sharing one ledger and one cluster
    database = f"sqlite:///{tmp_path}/cluster.db"
    start, end = stay_dates(offset_days=45)
    with (
        running_stack(database, redis_url=redis_cluster_url) as first,
        running_stack(database, redis_url=redis_cluster_url) as second,
    ):
        # (each stack has its own simulator: the second one's answer can only come from the shared cache)
        first.set_sim_inventory(3, start, end)
        before = first.availability(start, end)
        assert before["success"] and [n["available"] for n in before["nights"]] == [3, 3]
        # when a guest books through the first server
        response = first.checkout(checkout_body(start, end), key="cluster-1")
        # then it is confirmed, and the second server's answer (same cluster) shows one room fewer
        assert response.status_code == 200, response.text
        booking = first.booking(response.json()["bookingId"])
        assert booking["status"] == "confirmed"
        seen = first.client.get(
            f"{second.url}/api/hotels/{HOTEL}/room-types/{ROOM}/inventory",
            params={"vendor": "cloudbeds", "from": start.isoformat(), "to": end.isoformat()},
        ).json()
        assert [n["available"] for n in seen["nights"]] == [2, 2]


def test_every_key_of_a_hotel_hashes_to_one_slot() -> None:
    # The premise of running multi-key scripts on a cluster: one hotel, one slot.
    from redis.crc import key_slot

    start, _ = stay_dates()
    names = [
        keys.inv(HOTEL, ROOM, start),
        keys.rate(HOTEL, ROOM, start),
        keys.lkg_inv(HOTEL, ROOM, start),
        keys.night_holds(HOTEL, ROOM, start),
        keys.hold(HOTEL, "h1"),
        keys.rooms(HOTEL),
        keys.view_version(HOTEL),
        keys.mutation(HOTEL, ROOM, start),
    ]
    assert len({key_slot(name.encode()) for name in names}) == 1
    assert key_slot(keys.rooms("hotel_a").encode()) != key_slot(keys.rooms("hotel_b").encode())
