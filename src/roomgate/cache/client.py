"""Create the Redis client: a real server from `REDIS_URL`, or the in-process one (fakeredis + Lua)."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

# One in-process server per process, so every client of the embedded mode sees the same data.
_FAKE_SERVER: Any = None

# redis-py 8's default pool raises MaxConnectionsError past 100 connections; a blocking pool makes a
# burst of concurrent requests wait (up to POOL_WAIT_SECONDS) for a free connection instead.
MAX_CONNECTIONS = 100
POOL_WAIT_SECONDS = 5.0


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

        from roomgate.cache.fakeredis_cjson import patch_fakeredis_cjson

        patch_fakeredis_cjson()

        return fakeredis.FakeAsyncRedis(
            server=server or in_process_server(),
            decode_responses=True,
            connection_pool_class=aioredis.BlockingConnectionPool,
            max_connections=MAX_CONNECTIONS,
        )
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        decode_responses=True,
        socket_timeout=5.0,
        socket_connect_timeout=2.0,
        health_check_interval=30,
        max_connections=MAX_CONNECTIONS,
        timeout=POOL_WAIT_SECONDS,
    )
    return aioredis.Redis.from_pool(pool)


def fresh_in_process_redis() -> aioredis.Redis:
    """A client on a brand-new in-process server (tests)."""
    import fakeredis

    from roomgate.cache.fakeredis_cjson import patch_fakeredis_cjson

    patch_fakeredis_cjson()

    return fakeredis.FakeAsyncRedis(
        server=fakeredis.FakeServer(),
        decode_responses=True,
        connection_pool_class=aioredis.BlockingConnectionPool,
        max_connections=MAX_CONNECTIONS,
    )
