"""Shared fixtures: service discovery (skip, or fail under ROOMGATE_REQUIRE_SERVICES=1), Redis clients."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlparse

import pytest

from roomgate.cache.client import create_redis, fresh_in_process_redis

REQUIRE_SERVICES = os.environ.get("ROOMGATE_REQUIRE_SERVICES") == "1"

REDIS_TEST_URL = os.environ.get("ROOMGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
POSTGRES_TEST_URL = os.environ.get("ROOMGATE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_TEST_URL = os.environ.get("ROOMGATE_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")


def service_missing(name: str, url: str, why: str = "not reachable") -> None:
    """Skip with a visible reason, or fail when the run requires every service."""
    message = f"{name} at {url} {why}"
    if REQUIRE_SERVICES:
        pytest.fail(f"ROOMGATE_REQUIRE_SERVICES=1 and {message}", pytrace=False)
    pytest.skip(message)


def tcp_reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1.0):
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


@pytest.fixture(params=["in-process", "real"])
async def any_redis(request: pytest.FixtureRequest) -> AsyncIterator[object]:
    """The same test against the in-process Redis (fakeredis + Lua) and a real server."""
    if request.param == "in-process":
        client = fresh_in_process_redis()
        yield client
        await client.aclose()
        return
    url = request.getfixturevalue("real_redis_url")
    client = create_redis(url)
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


@pytest.fixture
def unique_id() -> str:
    return uuid.uuid4().hex[:10]
