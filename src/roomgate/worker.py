"""`roomgate worker`: background jobs. Today: checkout recovery; each round is one pass over the ledger."""

from __future__ import annotations

import asyncio
import signal

from roomgate.config import Settings
from roomgate.logging import get_logger

log = get_logger(__name__)


async def run_worker(settings: Settings, *, once: bool, interval: float) -> int:
    """Run jobs once (`--once`) or every `interval` seconds until SIGINT/SIGTERM; returns an exit code."""
    from roomgate.container import build_container

    runtime = build_container(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    failures = 0
    try:
        while True:
            try:
                report = await runtime.recovery.run_once()
                log.info(
                    "recovery_round", confirmed=len(report.confirmed), failed=len(report.failed),
                    deferred=len(report.deferred),
                )
                if once:
                    print(  # noqa: T201 - the CLI's own progress line
                        f"recovery: {len(report.confirmed)} confirmed, {len(report.failed)} compensated, "
                        f"{len(report.deferred)} deferred",
                        flush=True,
                    )
                    return 1 if report.deferred else 0
            except Exception as exc:
                failures += 1
                log.error("worker_round_failed", error=type(exc).__name__, exc_info=exc)
                if once:
                    return 1
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
                return 0
            except TimeoutError:
                continue
    finally:
        await runtime.aclose()
