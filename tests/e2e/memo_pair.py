"""Two roomgate apps on one Redis and one clock: one remembers availability answers, the other
(`ROOMGATE_RESPONSE_MEMO_ENTRIES=0`) renders every answer; the Cloudbeds simulator behind both.

The apps run in the test's event loop (ASGI transport); each has its own container, so they are
two processes as far as the memo is concerned. The plain app's container is also "the other
process" that writes: holds, bookings, cancellations, webhook invalidations.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest

from roomgate.app import create_app
from roomgate.cache.client import create_redis
from roomgate.config import load_settings
from roomgate.container import Container, build_container
from roomgate.ledger.migrate import upgrade
from roomgate.simulators.registry import create_simulator
from roomgate.simulators.server import ServerThread
from tests.fake_keys import cloudbeds_key

HOTEL = "hotel_123"
KEY = cloudbeds_key("test_key_0001")


@dataclass
class MemoPair:
    memo: httpx2.AsyncClient
    plain: httpx2.AsyncClient
    memo_app: Any
    plain_app: Any
    sim: httpx2.AsyncClient  # the simulator's control API

    @property
    def writer(self) -> Container:
        """The other process's container (the one without a memo)."""
        return self.plain_app.state.container  # type: ignore[no-any-return]

    @property
    def memo_container(self) -> Container:
        return self.memo_app.state.container  # type: ignore[no-any-return]


@contextlib.contextmanager
def simulator() -> Iterator[str]:
    with ServerThread(create_simulator("cloudbeds", seed=0)) as sim:
        yield sim.url


@contextlib.asynccontextmanager
async def memo_pair(
    monkeypatch: pytest.MonkeyPatch,
    sim_url: str,
    database_url: str,
    new_redis: Callable[[], Any],
    clock: Any,
    **settings: Any,
) -> AsyncIterator[MemoPair]:
    """Both apps started (lifespans run), on clients `new_redis()` makes for the same server."""
    monkeypatch.setenv("CLOUDBEDS_BASE_URL", f"{sim_url}/api/v1.3")
    monkeypatch.setenv(f"PMS_{HOTEL}_API_KEY", KEY)
    upgrade(database_url)
    apps = []
    for entries in (64, 0):
        config = load_settings(
            database_url=database_url, ttl_jitter_ratio=0.0, response_memo_entries=entries, **settings
        )
        apps.append(
            create_app(config, container_factory=lambda s: build_container(s, clock=clock, redis=new_redis()))
        )
    memo_app, plain_app = apps
    async with (
        memo_app.router.lifespan_context(memo_app),
        plain_app.router.lifespan_context(plain_app),
        _client(memo_app) as memo,
        _client(plain_app) as plain,
        httpx2.AsyncClient(base_url=sim_url) as sim,
    ):
        yield MemoPair(memo, plain, memo_app, plain_app, sim)


def _client(app: Any) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://roomgate")


def redis_factory(kind: str, real_url: str | None) -> Callable[[], Any]:
    """New clients on one server: a shared in-process server, or the real test database."""
    if kind == "real":
        assert real_url is not None
        return lambda: create_redis(real_url)
    import fakeredis

    server = fakeredis.FakeServer()
    return lambda: create_redis(None, server=server)
