"""Two real processes, one real Redis, the Cloudbeds simulator on a real socket.

- An outage (simulator answering 500) opens the shared breaker after exactly five failed calls in
  total; negative control: per-process (in-memory) breakers let ten through.
- The outbound rate limit holds across both processes at the simulator; negative control: with the
  limiter off the simulator sees bursts far above the limit.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import httpx2
import pytest

from roomgate.simulators.cloudbeds import create_app
from roomgate.simulators.server import ServerThread

pytestmark = [pytest.mark.slow, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
BREAKER_KEY = "breaker:{hotel_123}:cloudbeds"
Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


class ArrivalLog:
    """ASGI wrapper recording when each vendor API request reached the server, and from which worker."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.arrivals: list[tuple[float, str]] = []

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            worker = dict(scope["headers"]).get(b"x-worker", b"").decode()
            self.arrivals.append((time.monotonic(), worker))
        await self.app(scope, receive, send)


async def run_workers(redis_url: str, base_url: str, *, calls: int, extra: list[str]) -> list[dict[str, Any]]:
    """Start two worker processes that wait for each other, then collect their JSON reports."""
    barrier = f"barrier:{uuid.uuid4().hex}"
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.integration.resilience_worker",
            "--redis",
            redis_url,
            "--base-url",
            base_url,
            "--calls",
            str(calls),
            "--worker",
            name,
            "--barrier",
            barrier,
            *extra,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for name in ("A", "B")
    ]
    reports = []
    for process in processes:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=90)
        assert process.returncode == 0, stderr.decode()[-2000:]
        reports.append(json.loads(stdout.decode().strip().splitlines()[-1]))
    return reports


async def simulator(base_url: str, method: str, path: str, body: Any = None) -> dict[str, Any]:
    async with httpx2.AsyncClient(base_url=base_url) as http:
        response = await http.request(method, path, json=body)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result


async def outage_calls(real_redis: Any, redis_url: str, breaker: str) -> tuple[int, list[dict[str, Any]]]:
    """Vendor calls the simulator saw while answering 500 to everything, and the workers' reports."""
    with ServerThread(create_app()) as server:
        await simulator(server.url, "PUT", "/_sim/faults", {"status": 500})
        reports = await run_workers(redis_url, server.url, calls=3, extra=["--breaker", breaker])
        state = await simulator(server.url, "GET", "/_sim/state")
    return int(state["calls"].get("getRoomTypes", 0)), reports


async def test_an_outage_costs_exactly_five_failed_calls_across_two_processes(
    real_redis: Any, real_redis_url: str
) -> None:
    # given / when two processes call a dead PMS through one Redis breaker
    seen, reports = await outage_calls(real_redis, real_redis_url, "redis")
    # then the vendor saw five calls in total, and every call ended refused or failed
    assert seen == 5
    assert sum(report["vendor_failures"] for report in reports) == 5
    for report in reports:
        assert sum(report["outcomes"].values()) == 3
        assert set(report["outcomes"]) <= {"PMSTransientError", "PMSUnavailable"}
    assert await real_redis.hget(BREAKER_KEY, "state") == "OPEN"


async def test_negative_control_per_process_breakers_let_ten_through(
    real_redis: Any, real_redis_url: str
) -> None:
    # given / when the same outage with one in-memory breaker per process
    seen, reports = await outage_calls(real_redis, real_redis_url, "memory")
    # then the harness sees the difference: five per process
    assert seen == 10
    assert [report["vendor_failures"] for report in reports] == [5, 5]


PERIOD_MS = 1000


def busiest_window(admitted_ms: list[int], window_ms: int = PERIOD_MS) -> int:
    """The most admissions in any `window_ms` (the limiter's own sliding window: (t - window, t])."""
    times = sorted(admitted_ms)
    return max(sum(1 for t in times if start <= t < start + window_ms) for start in times)


def test_busiest_window_counts_the_limiters_own_windows() -> None:
    # one period apart leaves the window (the script removes scores <= now - window); one ms less does not
    assert busiest_window([0, 1, 2, 3, 4, 1000]) == 5
    assert busiest_window([0, 1, 2, 3, 4, 999]) == 6


async def rate_limited_arrivals(
    redis_url: str, extra: list[str]
) -> tuple[list[tuple[float, str]], list[Any]]:
    log = ArrivalLog(create_app())
    with ServerThread(log) as server:
        reports = await run_workers(redis_url, server.url, calls=8, extra=extra)
    return log.arrivals, reports


async def test_the_rate_limit_holds_across_two_processes(real_redis: Any, real_redis_url: str) -> None:
    # given / when two processes make 8 calls each, limited to 5 per second per credential
    arrivals, reports = await rate_limited_arrivals(real_redis_url, ["--rate-limit", "5/1"])
    # then all 16 calls succeeded and reached the simulator, both processes calling at the same time ...
    assert [report["outcomes"] for report in reports] == [{"ok": 8}, {"ok": 8}]
    assert len(arrivals) == 16 and {who for _, who in arrivals} == {"A", "B"}
    spans = {report["worker"]: report["admitted_ms"] for report in reports}
    assert [len(spans["A"]), len(spans["B"])] == [8, 8]
    assert min(spans["A"]) < max(spans["B"]) and min(spans["B"]) < max(spans["A"])
    # ... and the shared log never admitted more than 5 in any one-second window. Judged on the times the
    # limiter admitted at, not on arrival times at the server, which scheduling and network jitter move.
    assert busiest_window(spans["A"] + spans["B"]) <= 5


async def test_negative_control_without_the_limiter_the_server_sees_bursts(
    real_redis: Any, real_redis_url: str
) -> None:
    # given / when the same two processes without a limiter
    arrivals, reports = await rate_limited_arrivals(real_redis_url, [])
    # then the same check sees far more than the limit
    assert [report["outcomes"] for report in reports] == [{"ok": 8}, {"ok": 8}]
    assert len(arrivals) == 16
    assert busiest_window([t for report in reports for t in report["admitted_ms"]]) > 5
