"""Shared fixtures: service discovery (skip, or fail under ROOMGATE_REQUIRE_SERVICES=1), Redis clients."""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from roomgate.cache.client import create_redis, fresh_in_process_redis

REQUIRE_SERVICES = os.environ.get("ROOMGATE_REQUIRE_SERVICES") == "1"

REDIS_TEST_URL = os.environ.get("ROOMGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
POSTGRES_TEST_URL = os.environ.get("ROOMGATE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_TEST_URL = os.environ.get("ROOMGATE_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")


def skip_on_cluster(client: object, why: str) -> None:
    """Some tests look inside one server's connection pool; a cluster client has one pool per node."""
    if hasattr(client, "nodes_manager"):
        pytest.skip(f"not for a Redis Cluster client: {why}")


def second_client(client: Any) -> Any:
    """Another client on the same Redis (as another process would have): same in-process server, same
    URL, or the same cluster."""
    if hasattr(client, "nodes_manager"):
        return create_redis(client.url)
    kwargs = client.connection_pool.connection_kwargs
    if kwargs.get("server") is not None:
        return create_redis(None, server=kwargs["server"])
    return create_redis(f"redis://{kwargs['host']}:{kwargs['port']}/{kwargs.get('db', 0)}")


def service_missing(name: str, url: str, why: str = "not reachable") -> None:
    """Skip with a visible reason, or fail when the run requires every service."""
    message = f"{name} at {url} {why}"
    if REQUIRE_SERVICES:
        pytest.fail(f"ROOMGATE_REQUIRE_SERVICES=1 and {message}", pytrace=False)
    pytest.skip(message)


def tcp_reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1.0
        ):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def real_redis_url() -> str:
    if not tcp_reachable(REDIS_TEST_URL, 6379):
        service_missing("Redis", REDIS_TEST_URL)
    return REDIS_TEST_URL


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if not tcp_reachable(POSTGRES_TEST_URL, 5432):
        service_missing("PostgreSQL", POSTGRES_TEST_URL)
    return POSTGRES_TEST_URL


@pytest.fixture(scope="session")
def mysql_url() -> str:
    if not tcp_reachable(MYSQL_TEST_URL, 3306):
        service_missing("MariaDB/MySQL", MYSQL_TEST_URL)
    return MYSQL_TEST_URL


@pytest.fixture
async def real_redis(real_redis_url: str) -> AsyncIterator[object]:
    """A client on the real Redis test database, flushed before and after."""
    client = create_redis(real_redis_url)
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


@pytest.fixture(scope="session")
def redis_cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local 3-master Redis Cluster, started once per run (redis-server --cluster-enabled yes)."""
    from tests import redis_cluster

    if redis_cluster.binaries() is None:
        service_missing("Redis Cluster", "127.0.0.1", "cannot start: redis-server or redis-cli not installed")
    with redis_cluster.local_cluster(tmp_path_factory.mktemp("redis-cluster")) as url:
        yield url


@pytest.fixture(params=["in-process", "real", "cluster"])
async def any_redis(request: pytest.FixtureRequest) -> AsyncIterator[object]:
    """The same test against the in-process Redis (fakeredis + Lua), a real server and a Redis Cluster."""
    if request.param == "in-process":
        client = fresh_in_process_redis()
        yield client
        await client.aclose()
        return
    fixture = "redis_cluster_url" if request.param == "cluster" else "real_redis_url"
    url = request.getfixturevalue(fixture)
    client = create_redis(url)
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


def flush_redis(url: str) -> None:
    """Empty one Redis database (a test's own), from synchronous test code."""
    import asyncio

    async def flush() -> None:
        client = create_redis(url)
        await client.flushdb()
        await client.aclose()

    asyncio.run(flush())


@pytest.fixture
def postgres_db(postgres_url: str) -> Iterator[str]:
    """A brand-new PostgreSQL database migrated to head, dropped afterwards."""
    from roomgate.ledger.migrate import upgrade
    from tests import databases

    url = databases.create_postgres_database(postgres_url)
    upgrade(url)
    yield url
    databases.drop_postgres_database(postgres_url, url)


@pytest.fixture
def unique_id() -> str:
    return uuid.uuid4().hex[:10]


LEDGER_BACKENDS = ["sqlite", "postgresql", "mysql"]


@contextlib.contextmanager
def empty_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A brand-new empty database on `backend`, dropped afterwards."""
    from tests import databases

    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/ledger-{uuid.uuid4().hex[:6]}.db"
        return
    if backend == "postgresql":
        admin = request.getfixturevalue("postgres_url")
        url = databases.create_postgres_database(admin)
        try:
            yield url
        finally:
            databases.drop_postgres_database(admin, url)
        return
    admin = request.getfixturevalue("mysql_url")
    url = databases.create_mysql_database(admin)
    try:
        yield url
    finally:
        databases.drop_mysql_database(admin, url)


@pytest.fixture(params=LEDGER_BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend: SQLite, PostgreSQL, MariaDB."""
    with empty_database(request.param, request, tmp_path) as url:
        yield url


@pytest.fixture(params=LEDGER_BACKENDS)
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database on each backend, migrated to head."""
    from roomgate.ledger.migrate import upgrade

    with empty_database(request.param, request, tmp_path) as url:
        upgrade(url)
        yield url


@pytest.fixture
def sqlite_ledger_url(tmp_path: Path) -> str:
    """A migrated SQLite ledger (fast default for service tests)."""
    from roomgate.ledger.migrate import upgrade

    url = f"sqlite:///{tmp_path}/ledger.db"
    upgrade(url)
    return url
