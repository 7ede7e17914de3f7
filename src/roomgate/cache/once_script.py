"""A Lua script that is sent at most once per call: for the few scripts that are not idempotent.

The client's pool retries a command whose connection breaks (cache/client.py). That is right for
reads and for scripts whose second run changes nothing (holds by hold id, snapshots, releases), but a
script that moves a counter (a cached room count, a breaker's failure count) could be applied twice
if the connection broke after Redis ran it. Such a script is sent here on one pooled connection
with no retry: the pool still replaces a connection the server had closed before anything is sent,
and NOSCRIPT (Redis restarted and lost its script cache, so nothing ran) loads the script and sends
it again; any other connection error reaches the caller, who treats the outcome as unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError


class OnceScript:
    """`await script(keys=[...], args=[...])`, like redis-py's `AsyncScript`, without retries."""

    def __init__(self, redis: aioredis.Redis, source: str) -> None:
        self.redis = redis
        self.script = redis.register_script(source)
        # Only a pooled client hands out connections; any other (single connection, cluster) gets
        # redis-py's own path.
        self._pooled = isinstance(redis, aioredis.Redis) and not redis.single_connection_client

    async def __call__(self, *, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        if not self._pooled:
            return await self.script(keys=keys, args=args)
        try:
            return await self._send(keys, args)
        except NoScriptError:  # the script did not run: load it, then send once more
            self.script.sha = await self.redis.script_load(self.script.script)
            return await self._send(keys, args)

    async def _send(self, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        pool = self.redis.connection_pool
        connection = await pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            await connection.send_command("EVALSHA", self.script.sha, len(keys), *keys, *args)
            return await connection.read_response()
        finally:
            await pool.release(connection)
