"""`roomgate sync <vendor> <hotelId>` (poll now, with a progress bar) and `roomgate polling status`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table

from roomgate.config import Settings
from roomgate.container import Container, build_container
from roomgate.domain.errors import DomainError
from roomgate.domain.polling import PollingStatus, PollOutcome
from roomgate.pms.errors import PMSError

T = TypeVar("T")


class PMSVendor(StrEnum):
    cloudbeds = "cloudbeds"
    mews = "mews"


async def _with_container(settings: Settings, job: Callable[[Container], Awaitable[T]]) -> T:
    container = build_container(settings)
    await container.start()
    try:
        return await job(container)
    finally:
        await container.aclose()


def _run(settings: Settings, job: Callable[[Container], Awaitable[T]]) -> T:
    try:
        return asyncio.run(_with_container(settings, job))
    except DomainError as exc:
        typer.secho(f"{exc.code.value}: {exc.user_message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    except PMSError as exc:
        typer.secho(f"PMS error: {type(exc).__name__}: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None


def run_sync(settings: Settings, vendor: str, hotel_id: str) -> None:
    console = Console(stderr=True)
    with Progress(
        TextColumn(f"sync {vendor}/{hotel_id}"),
        BarColumn(),
        TaskProgressColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("poll", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        async def job(container: Container) -> PollOutcome:
            return await container.polling.sync_now(vendor, hotel_id, progress)

        outcome = _run(settings, job)
    for name, value in outcome.as_dict().items():
        typer.echo(f"{name}: {value}")


def _status_table(statuses: list[PollingStatus]) -> Table:
    table = Table("hotelId", "vendor", "isRunning", "lastSyncAt", "nextSyncAt", "errorCount", "stoppedReason")
    for s in statuses:
        table.add_row(
            s.hotel_id,
            s.vendor,
            "yes" if s.is_running else "no",
            s.last_sync_at.isoformat(timespec="seconds") if s.last_sync_at else "-",
            s.next_sync_at.isoformat(timespec="seconds") if s.next_sync_at else "-",
            str(s.error_count),
            s.stopped_reason or "-",
        )
    return table


def show_status(settings: Settings) -> None:
    async def job(container: Container) -> list[PollingStatus]:
        return await container.polling.statuses()

    Console(width=140).print(_status_table(_run(settings, job)))
