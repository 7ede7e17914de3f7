"""The Redis client factory: a burst of concurrent commands waits for a pooled connection."""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import MaxConnectionsError

BURST = 1000


async def test_a_burst_beyond_the_pool_size_waits_instead_of_failing(any_redis: Any) -> None:
    # given a client from create_redis / fresh_in_process_redis (pool of 100)
    # when far more commands than connections run at once
    results = await asyncio.gather(*(any_redis.incr("burst") for _ in range(BURST)))
    # then every one of them succeeded
    assert sorted(results) == list(range(1, BURST + 1))


async def test_negative_control_redis_py_default_pool_fails_the_same_burst(real_redis_url: str) -> None:
    # given redis-py's own default client (non-blocking pool of 100)
    client = aioredis.Redis.from_url(real_redis_url, decode_responses=True)
    try:
        # when
        results = await asyncio.gather(
            *(client.incr("burst-control") for _ in range(BURST)), return_exceptions=True
        )
    finally:
        await client.delete("burst-control")
        await client.aclose()
    # then part of the same burst fails, which is why create_redis uses a blocking pool
    assert any(isinstance(r, MaxConnectionsError) for r in results)
