"""`roomgate worker` exposes its own Prometheus metrics (polling, recovery) when asked to."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx2

from roomgate.ledger.migrate import upgrade
from tests.e2e.processes import free_port, process_env


def test_the_worker_serves_its_metrics_on_the_configured_port(tmp_path: Path, real_redis_url: str) -> None:
    # given a migrated database, the shared Redis and a free port
    database = f"sqlite:///{tmp_path}/worker.db"
    upgrade(database)
    port = free_port()
    env = {"DATABASE_URL": database, "REDIS_URL": real_redis_url, "ROOMGATE_WORKER_METRICS_PORT": str(port)}
    worker = subprocess.Popen(
        [sys.executable, "-m", "roomgate.cli", "worker", "--interval", "30"],
        env=process_env(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # when the worker is up
        body = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "roomgate_polls_total" not in body:
            assert worker.poll() is None, "the worker exited"
            try:
                body = httpx2.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            except httpx2.HTTPError:
                time.sleep(0.1)
        # then polling, recovery and alert metrics are there to scrape
        for family in ("roomgate_polls_total", "roomgate_recovered_bookings_total", "roomgate_alerts_total"):
            assert f"# TYPE {family.removesuffix('_total')}" in body, family
    finally:
        worker.terminate()
        worker.wait(timeout=20)


async def test_each_recovery_round_publishes_its_backlog() -> None:
    from types import SimpleNamespace

    from prometheus_client import REGISTRY

    from roomgate.services.recovery import RecoveryReport
    from roomgate.worker import recovery_round

    # given a round that found two bookings it could not settle and one it confirmed
    report = RecoveryReport(confirmed=["bk_1"], deferred=["bk_2", "bk_3"])

    async def run_once() -> RecoveryReport:
        return report

    container = SimpleNamespace(recovery=SimpleNamespace(run_once=run_once))
    # when
    await recovery_round(container)  # type: ignore[arg-type]
    # then
    value = REGISTRY.get_sample_value
    assert value("roomgate_recovery_backlog", {"outcome": "deferred"}) == 2
    assert value("roomgate_recovery_backlog", {"outcome": "confirmed"}) == 1
    assert value("roomgate_recovery_backlog", {"outcome": "needs_operator"}) == 0
