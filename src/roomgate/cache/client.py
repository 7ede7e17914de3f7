"""Create the Redis client: a real server from `REDIS_URL`, or the in-process one (fakeredis + Lua).

A Redis restart or failover must cost no request (README, *When Redis restarts or is down*):
- a pooled connection the server closed is replaced before anything is sent on it. redis-py's pool
  checks this only while maintenance notifications are off (with them on, the default, it hands out
  the dead connection and the command fails with "Connection closed by server"), so they are off;
- a command that still meets a connection error (the server died while it was in flight) is sent
  again on a new connection by redis-py's `Retry`, with jittered exponential backoff. Only connection
  errors are retried, never a timeout (the command may be running: a retry could apply it twice, and
  would multiply the wait). Commands that must not run twice use `OnceScript` (cache/once_script.py).
"""

from __future__ import annotations

import asyncio
from typing import Any, cast
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.maint_notifications import MaintNotificationsConfig

# One in-process server per process, so every client of the embedded mode sees the same data.
_FAKE_SERVER: Any = None

# redis-py 8's default pool raises MaxConnectionsError past 100 connections; a blocking pool makes a
# burst of concurrent requests wait (up to POOL_WAIT_SECONDS) for a free connection instead.
MAX_CONNECTIONS = 100
POOL_WAIT_SECONDS = 5.0
CLUSTER_SCHEMES = ("redis+cluster://", "rediss+cluster://")

# A connection error is retried this many times (after 20 ms, 40 ms, 80 ms, … up to 500 ms, jittered):
# enough to ride out a restart's refused connections for a moment, short enough that a Redis that
# stays down is reported (503) within about a second.
RETRIES = 3
RETRY_BASE_SECONDS = 0.02
RETRY_CAP_SECONDS = 0.5

# What "Redis is unreachable" looks like to a caller (BusyLoadingError, a restart loading its data,
# is a ConnectionError too; READONLY is a failover not finished yet: we still talk to a replica).
# Callers that answer without Redis catch exactly these.
REDIS_DOWN: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError, ReadOnlyError)


def connection_retry() -> Retry:
    """redis-py's retry policy for the pool: connection errors, and READONLY (a replica refused the
    write, so nothing ran; the retry reconnects, reaching the new primary once the failover is done);
    jittered exponential backoff."""
    backoff = ExponentialWithJitterBackoff(base=RETRY_BASE_SECONDS, cap=RETRY_CAP_SECONDS)
    return Retry(backoff, RETRIES, supported_errors=(RedisConnectionError, ReadOnlyError))


def in_process_server() -> Any:
    global _FAKE_SERVER
    if _FAKE_SERVER is None:
        import fakeredis

        _FAKE_SERVER = fakeredis.FakeServer()
    return _FAKE_SERVER


def create_redis(url: str | None, *, server: Any = None) -> aioredis.Redis:
    """A decoded-strings async client; `url=None` means the in-process Redis."""
    if url is None:
        import fakeredis

        return fakeredis.FakeAsyncRedis(
            server=server or in_process_server(),
            decode_responses=True,
            connection_pool_class=aioredis.BlockingConnectionPool,
            max_connections=MAX_CONNECTIONS,
        )
    if url.startswith(CLUSTER_SCHEMES):
        return create_cluster_client(url)
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        decode_responses=True,
        socket_timeout=5.0,
        socket_connect_timeout=2.0,
        health_check_interval=30,
        max_connections=MAX_CONNECTIONS,
        timeout=POOL_WAIT_SECONDS,
        retry=connection_retry(),
        maint_notifications_config=MaintNotificationsConfig(enabled=False),
    )
    return aioredis.Redis.from_pool(pool)


def cluster_nodes(url: str) -> list[tuple[str, int]]:
    """`redis+cluster://host:port,host:port/` → the seed nodes (one is enough; more survive a dead seed)."""
    netloc = urlsplit(url).netloc.rsplit("@", 1)[-1]
    nodes = []
    for part in netloc.split(","):
        host, _, port = part.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"REDIS_URL: cluster node {part!r} is not host:port")
        nodes.append((host.strip("[]"), int(port)))
    return nodes


class BoundedRedisCluster(RedisCluster):
    """redis-py's cluster client raises MaxConnectionsError when a node's pool is exhausted; like the
    blocking pool of the single-server client, a burst here waits for a free slot instead."""

    def __init__(self, *args: Any, url: str, max_in_flight: int = MAX_CONNECTIONS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.url = url  # for a second client on the same cluster
        self._in_flight = asyncio.Semaphore(max_in_flight)

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        async with self._in_flight:
            return await super().execute_command(*args, **kwargs)


def create_cluster_client(url: str) -> aioredis.Redis:
    """A Redis Cluster client. Every multi-key script and MULTI of roomgate stays in one hotel's slot
    (the `{hotelId}` hash tag), so the cluster client routes each call to the shard that owns it."""
    parts = urlsplit(url)
    client = BoundedRedisCluster(
        url=url,
        startup_nodes=[ClusterNode(host, port) for host, port in cluster_nodes(url)],
        username=parts.username or None,
        password=parts.password or None,
        ssl=url.startswith("rediss+"),
        decode_responses=True,
        socket_timeout=5.0,
        socket_connect_timeout=2.0,
        max_connections=MAX_CONNECTIONS,
    )
    # The services only use commands both clients share; the cast keeps one client type in signatures.
    return cast(aioredis.Redis, client)


def fresh_in_process_redis() -> aioredis.Redis:
    """A client on a brand-new in-process server (tests)."""
    import fakeredis

    return fakeredis.FakeAsyncRedis(
        server=fakeredis.FakeServer(),
        decode_responses=True,
        connection_pool_class=aioredis.BlockingConnectionPool,
        max_connections=MAX_CONNECTIONS,
    )
