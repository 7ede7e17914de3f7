"""The Redis client across a restart: a private `redis-server` is killed (SIGKILL) and started empty.

Every pooled connection is dead afterwards and the server has forgotten every script. The next
command on each connection — plain commands, retried scripts (`AsyncScript`), the packed read and
the send-once scripts — must succeed. The negative control runs the same restart on redis-py's own
pool settings: the first command on each dead connection fails, which is the bug this fixes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from roomgate.cache import scripts
from roomgate.cache.client import REDIS_DOWN, create_redis
from roomgate.cache.holds import RedisHoldLedger
from roomgate.cache.inventory import InventoryCache
from roomgate.config import load_settings
from tests.private_redis import PrivateRedis, private_redis

pytestmark = [pytest.mark.redis]

CONNECTIONS = 8
NIGHTS = [date(2031, 3, 1) + timedelta(days=i) for i in range(3)]


@pytest.fixture
def server() -> Iterator[PrivateRedis]:
    with private_redis() as redis_server:
        yield redis_server


async def _open_connections(client: aioredis.Redis) -> None:
    """Make the pool hold CONNECTIONS live connections (commands that overlap in time)."""
    await asyncio.gather(*(client.blpop([f"nothing:{i}"], timeout=0.05) for i in range(CONNECTIONS)))
    assert len(client.connection_pool._available_connections) >= CONNECTIONS  # type: ignore[attr-defined]


async def test_every_pooled_connection_serves_its_next_command_after_a_restart(server: PrivateRedis) -> None:
    # given a client whose pool holds several connections, each having run every kind of call
    client = create_redis(server.url)
    inventory = InventoryCache(client, load_settings())
    holds = RedisHoldLedger(client)
    breaker = scripts.register_once(client, "breaker")
    try:
        await _open_connections(client)
        await inventory.get_many("hotel_r", ["room_a"], NIGHTS)
        # when Redis dies and comes back empty (no data, no scripts)
        server.restart_empty()
        # then the next call on every connection succeeds: plain commands, the packed read (EVALSHA
        # → NOSCRIPT → load), hold scripts (AsyncScript), a send-once script and a MULTI
        results = await asyncio.gather(
            *(client.hgetall(f"degraded:{{h{i}}}") for i in range(CONNECTIONS)),
            *(inventory.get_many("hotel_r", ["room_a"], NIGHTS) for _ in range(CONNECTIONS)),
            *(holds.release("hotel_r", f"h_{i}") for i in range(CONNECTIONS)),
            *(
                breaker(
                    keys=[f"breaker:{{h{i}}}:cloudbeds"],
                    args=["admit", 0, 1, 5, 2, 60000, 1, 30000, 86400000],
                )
                for i in range(CONNECTIONS)
            ),
            inventory.invalidate("hotel_r", "room_a", NIGHTS),
            return_exceptions=True,
        )
    finally:
        await client.aclose()
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []


async def test_negative_control_redis_py_pool_defaults_fail_the_first_command_per_connection(
    server: PrivateRedis,
) -> None:
    # given redis-py's pool as `from_url` builds it (no retry; dead-connection check skipped while
    # maintenance notifications are on, the default)
    pool = aioredis.BlockingConnectionPool.from_url(server.url, decode_responses=True)
    client = aioredis.Redis.from_pool(pool)
    try:
        await _open_connections(client)
        # when
        server.restart_empty()
        results: list[Any] = await asyncio.gather(
            *(client.hgetall(f"k{i}") for i in range(CONNECTIONS)), return_exceptions=True
        )
    finally:
        await client.aclose()
    # then commands on the dead connections fail: the harness sees the bug the real client avoids
    assert any(isinstance(r, RedisConnectionError) for r in results)


async def test_a_redis_that_stays_down_fails_fast_and_the_client_recovers_when_it_is_back(
    server: PrivateRedis,
) -> None:
    # given a working client
    client = create_redis(server.url)
    try:
        await _open_connections(client)
        # when Redis is down
        server.kill()
        # then a command fails with a connection error (retried, then given up; no hang)
        with pytest.raises(RedisConnectionError):
            await client.get("anything")
        # and when Redis is back, the same client works with no restart
        server.start()
        assert await client.set("back", "1") is True
        assert await client.get("back") == "1"
    finally:
        await client.aclose()


async def test_during_a_failover_a_replica_s_refusal_counts_as_redis_down_and_the_promoted_server_serves(
    server: PrivateRedis,
) -> None:
    # given the server is a read-only replica, as a failover looks before its promotion
    client = create_redis(server.url)
    admin = create_redis(server.url)
    try:
        await _open_connections(client)
        await admin.execute_command("REPLICAOF", "127.0.0.1", str(_closed_port()))
        # when a write arrives: the replica refuses it (retried, then reported as Redis down: the
        # app answers 503 or falls back, never a 500)
        with pytest.raises(REDIS_DOWN):
            await client.set("k", "v")
        # then once promoted, the same client's pooled connections write again
        await admin.execute_command("REPLICAOF", "NO", "ONE")
        results = await asyncio.gather(*(client.set(f"k{i}", "v") for i in range(CONNECTIONS)))
        assert results == [True] * CONNECTIONS
    finally:
        await client.aclose()
        await admin.aclose()


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
