"""EVALSHA for calls that repeat a long KEYS list: the keys' wire encoding is built once.

redis-py packs every argument of every call in Python (~0.5 µs each). The warm availability read
names ~270 keys, so packing them cost more than parsing the reply. Here the caller keeps each key
list as a `KeyBlock` (names plus their RESP bytes) and only the few arguments are packed per call.
The command still goes through the client's connection pool; NOSCRIPT loads the script and sends
again, and a connection error repeats the call through redis-py's `AsyncScript` and its retries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError

from roomgate.cache import scripts


def resp_bulk(values: Iterable[str | int]) -> bytes:
    """The RESP bulk strings of `values`, as they appear inside a command."""
    parts = []
    for value in values:
        data = str(value).encode("utf-8")
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


@dataclass(frozen=True, slots=True)
class KeyBlock:
    """Key names and their RESP encoding, built once and sent as they are."""

    names: tuple[str, ...]
    packed: bytes

    @classmethod
    def of(cls, names: Sequence[str]) -> KeyBlock:
        """Encode `names` (UTF-8, like the client's default encoder)."""
        return cls(tuple(names), resp_bulk(names))


class PackedScript:
    """A Lua script of `cache/lua/` called with pre-encoded KEYS blocks; same reply as `AsyncScript`."""

    def __init__(self, redis: aioredis.Redis, name: str) -> None:
        self.redis = redis
        self.script = scripts.register(redis, name)
        # Only a pooled client hands out connections; any other (single connection, cluster) gets
        # redis-py's own path.
        self._pooled = isinstance(redis, aioredis.Redis) and not redis.single_connection_client

    async def __call__(self, blocks: Sequence[KeyBlock], args: Sequence[str | int]) -> Any:
        """Run the script with the blocks' keys (in order) as KEYS and `args` as ARGV."""
        if not self._pooled:
            return await self.script(keys=[name for block in blocks for name in block.names], args=args)
        count = sum(len(block.names) for block in blocks)
        head = b"*%d\r\n$7\r\nEVALSHA\r\n" % (3 + count + len(args))
        body = b"".join([*(block.packed for block in blocks), resp_bulk(args)])
        try:
            try:
                return await self._send(head + resp_bulk([self.script.sha, count]) + body)
            except NoScriptError:  # Redis restarted or flushed its scripts: load, then once more
                self.script.sha = await self.redis.script_load(self.script.script)
                return await self._send(head + resp_bulk([self.script.sha, count]) + body)
        except (RedisConnectionError, RedisTimeoutError):
            names = [name for block in blocks for name in block.names]
            return await self.script(keys=names, args=args)  # with the client's retry policy

    async def _send(self, command: bytes) -> Any:
        pool = self.redis.connection_pool
        connection = await pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            # On any failure mid-command the connection disconnects itself, so it never goes back
            # to the pool with an unread reply.
            await connection.send_packed_command(command)
            return await connection.read_response()
        finally:
            await pool.release(connection)
