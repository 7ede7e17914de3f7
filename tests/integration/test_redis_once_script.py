"""A script that is not idempotent is never sent twice, even when its reply is lost.

A proxy between the client and Redis drops the connection right after Redis has run the command,
before the reply reaches the client. The client's pool retries connection errors (that is how a
restart costs no request), so a script it re-sends runs twice: the negative control shows that with
a counter. `OnceScript` reports the error instead, and the counter moved once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlparse

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from roomgate.cache.client import create_redis
from roomgate.cache.once_script import OnceScript

pytestmark = [pytest.mark.redis]

INCR = "return redis.call('INCR', KEYS[1])"


class ReplyDroppingProxy:
    """TCP proxy to Redis; once `armed`, it swallows the next reply and closes that connection."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.armed = False
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(*self.target)

        async def upstream() -> None:
            while data := await client_r.read(65536):
                server_w.write(data)
                await server_w.drain()
            server_w.close()

        async def downstream() -> None:
            while data := await server_r.read(65536):
                if self.armed:  # Redis ran the command; its answer never arrives
                    self.armed = False
                    client_w.close()
                    server_w.close()
                    return
                client_w.write(data)
                await client_w.drain()
            client_w.close()

        await asyncio.gather(upstream(), downstream(), return_exceptions=True)


@pytest.fixture
async def proxied(real_redis_url: str, unique_id: str) -> AsyncIterator[tuple[ReplyDroppingProxy, str, str]]:
    target = urlparse(real_redis_url)
    proxy = ReplyDroppingProxy(target.hostname or "127.0.0.1", target.port or 6379)
    await proxy.start()
    url = f"redis://127.0.0.1:{proxy.port}{target.path or '/0'}"
    key = f"once-test:{unique_id}"
    yield proxy, url, key
    direct = create_redis(real_redis_url)
    await direct.delete(key)
    await direct.aclose()
    await proxy.close()


async def _counter(real_redis_url: str, key: str) -> int:
    direct = create_redis(real_redis_url)
    try:
        return int(await direct.get(key) or 0)
    finally:
        await direct.aclose()


async def test_a_send_once_script_whose_reply_is_lost_ran_exactly_once(
    proxied: tuple[ReplyDroppingProxy, str, str], real_redis_url: str
) -> None:
    proxy, url, key = proxied
    client = create_redis(url)
    script = OnceScript(client, INCR)
    try:
        assert await script(keys=[key], args=[]) == 1  # loads the script, connection established
        # given the next reply will be lost
        proxy.armed = True
        # when
        with pytest.raises(RedisConnectionError):
            await script(keys=[key], args=[])
        # then the caller learns the outcome is unknown, and the script ran once
        assert await _counter(real_redis_url, key) == 2
        # and the client carries on with a new connection
        assert await script(keys=[key], args=[]) == 3
    finally:
        with contextlib.suppress(Exception):
            await client.aclose()


async def test_negative_control_the_retrying_path_runs_the_same_script_twice(
    proxied: tuple[ReplyDroppingProxy, str, str], real_redis_url: str
) -> None:
    proxy, url, key = proxied
    client = create_redis(url)
    script = client.register_script(INCR)
    try:
        assert await script(keys=[key], args=[]) == 1
        proxy.armed = True
        # when the reply is lost, the pool's retry sends the script again on a new connection
        assert await script(keys=[key], args=[]) == 3
        # then it ran twice: why counting scripts use OnceScript
        assert await _counter(real_redis_url, key) == 3
    finally:
        with contextlib.suppress(Exception):
            await client.aclose()
