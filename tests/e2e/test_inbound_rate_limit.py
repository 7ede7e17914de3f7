"""Inbound rate limit: per client and traffic class, shared by every server process through Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from roomgate.api.inbound_limit import LEASE, InboundRateLimit, bucket_key, traffic_class
from roomgate.app import create_app
from roomgate.clock import FakeClock
from roomgate.config import load_settings
from roomgate.container import build_container
from roomgate.ledger.migrate import upgrade

READS_PER_MINUTE = 12


@pytest.fixture
async def servers(tmp_path: Path, any_redis: Any) -> AsyncIterator[tuple[Any, ...]]:
    """Two app instances (two server processes) on one Redis and one clock."""
    database = f"sqlite:///{tmp_path}/limit.db"
    upgrade(database)
    clock = FakeClock()
    apps = []
    for _ in range(2):
        settings = load_settings(
            database_url=database,
            rate_limit_reads_per_minute=READS_PER_MINUTE,
            rate_limit_writes_per_minute=2,
        )
        apps.append(
            create_app(settings, container_factory=lambda s: build_container(s, clock=clock, redis=any_redis))
        )
    clients = []
    async with apps[0].router.lifespan_context(apps[0]), apps[1].router.lifespan_context(apps[1]):
        for app in apps:
            transport = httpx2.ASGITransport(app=app, client=("203.0.113.7", 5000))
            clients.append(httpx2.AsyncClient(transport=transport, base_url="http://roomgate"))
        yield clients[0], clients[1], clock
        for client in clients:
            await client.aclose()


async def test_two_servers_together_admit_the_limit_and_refuse_the_rest(servers: tuple[Any, ...]) -> None:
    # given two servers and one client alternating between them
    first, second, _ = servers
    # when it sends three times its per-minute allowance within one instant
    statuses = []
    for n in range(READS_PER_MINUTE * 3):
        response = await (first if n % 2 else second).get("/api/bookings/bk_missing")
        statuses.append(response.status_code)
    # then exactly the allowance got through (404: the booking does not exist), the rest is 429
    assert statuses.count(404) == READS_PER_MINUTE
    assert statuses.count(429) == READS_PER_MINUTE * 2


async def test_a_refusal_has_the_spec_shape_and_retry_after_and_time_refills_the_bucket(
    servers: tuple[Any, ...],
) -> None:
    first, _, clock = servers
    for _ in range(READS_PER_MINUTE):
        await first.get("/api/bookings/bk_missing")
    # when
    refused = await first.get("/api/bookings/bk_missing")
    # then
    assert refused.status_code == 429
    assert refused.json() == {
        "success": False,
        "error": f"요청이 너무 많습니다. {refused.headers['retry-after']}초 후에 다시 시도하세요",
        "errorCode": "RATE_LIMITED",
    }
    assert 1 <= int(refused.headers["retry-after"]) <= 60 // READS_PER_MINUTE + 1
    assert refused.headers.get("x-request-id")
    # when a minute passes
    clock.advance(60)
    assert (await first.get("/api/bookings/bk_missing")).status_code == 404


async def test_writes_have_their_own_bucket_and_admin_and_health_are_not_limited(
    servers: tuple[Any, ...],
) -> None:
    first, _, _ = servers
    for _ in range(READS_PER_MINUTE):
        await first.get("/api/bookings/bk_missing")
    assert (await first.get("/api/bookings/bk_missing")).status_code == 429
    # writes: 2 per minute, untouched by the reads
    assert (await first.post("/api/bookings/bk_missing/cancel")).status_code != 429
    for _ in range(5):
        assert (await first.get("/healthz")).status_code == 200
        assert (await first.get("/api/admin/degraded")).status_code != 429


def test_traffic_classes_and_keys() -> None:
    assert traffic_class("GET", "/api/hotels/h/availability") == "reads"
    assert traffic_class("POST", "/api/booking/checkout") == "writes"
    assert traffic_class("GET", "/api/admin/degraded") is None
    assert traffic_class("POST", "/api/webhooks/pms/cloudbeds") is None
    assert traffic_class("GET", "/healthz") is None
    # one hotel-free hash tag per client: a bucket is one key, one slot on a cluster
    assert bucket_key("203.0.113.7", "reads").startswith("inrate:{") and "203.0.113.7" not in bucket_key(
        "203.0.113.7", "reads"
    )


async def test_negative_control_without_the_shared_bucket_two_servers_admit_twice_the_limit(
    servers: tuple[Any, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given each server keeping its own bucket (a per-process limiter): the key includes the instance
    first, second, _ = servers
    original = bucket_key

    def per_process_key(client: str, traffic: str) -> str:
        return original(client, traffic) + f":{id(first) if per_process_key.turn % 2 else id(second)}"

    per_process_key.turn = 0  # type: ignore[attr-defined]
    monkeypatch.setattr("roomgate.api.inbound_limit.bucket_key", per_process_key)
    statuses = []
    for n in range(READS_PER_MINUTE * 3):
        per_process_key.turn = n  # type: ignore[attr-defined]
        statuses.append((await (first if n % 2 else second).get("/api/bookings/bk_missing")).status_code)
    # then the harness sees the overrun the shared bucket prevents
    assert statuses.count(404) == READS_PER_MINUTE * 2


def test_a_lease_is_small_next_to_any_sane_limit() -> None:
    assert 1 <= LEASE <= 10 and InboundRateLimit.__doc__
