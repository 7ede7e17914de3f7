"""The `roomgate` command line: demo, serve, migrate, simulate, worker."""

from __future__ import annotations

import asyncio
import sys
from enum import StrEnum

import typer

from roomgate.config import SettingsError, load_settings

app = typer.Typer(
    help="roomgate — PMS integration layer: cached availability, atomic holds, checkout saga.",
    no_args_is_help=True,
    add_completion=False,
)


def _settings_or_exit(**overrides: object):  # type: ignore[no-untyped-def]
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None


@app.command()
def demo(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on (the built-in simulators are served on it too)."),
) -> None:
    """Run the embedded demo: SQLite, in-process Redis and built-in simulators; nothing else needed."""
    from roomgate.demo import run_demo

    run_demo(host=host, port=port)


@app.command()
def serve(
    host: str = typer.Option(None, help="Interface to listen on [default: ROOMGATE_HOST or 127.0.0.1]."),
    port: int = typer.Option(None, help="Port to listen on [default: ROOMGATE_PORT or 8000]."),
) -> None:
    """Serve the API with the configured database, Redis and vendors (production mode)."""
    import uvicorn

    from roomgate.app import create_app
    from roomgate.logging import configure_logging

    settings = _settings_or_exit()
    configure_logging(settings.log_level, settings.log_format)
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        access_log=False,
    )


@app.command()
def migrate(revision: str = typer.Argument("head", help="Alembic revision to upgrade to.")) -> None:
    """Upgrade the ledger database (DATABASE_URL, default SQLite under ./.roomgate/) to the latest schema."""
    from roomgate.ledger.migrate import upgrade

    settings = _settings_or_exit()
    target = settings.async_database_url
    typer.echo(f"migrating {_safe_url(target)} to {revision} ...")
    try:
        upgrade(target, revision)
    except Exception as exc:
        typer.secho(f"migration failed: {type(exc).__name__}: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.echo("done")


class Vendor(StrEnum):
    cloudbeds = "cloudbeds"
    mews = "mews"
    toss = "toss"
    stripe = "stripe"


@app.command()
def simulate(
    vendor: Vendor = typer.Argument(..., help="Which vendor to simulate."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(9001, help="Port to listen on."),
    seed: int = typer.Option(0, help="Seed for ids and random faults (runs are deterministic for a seed)."),
    api_key: str = typer.Option(
        None,
        "--api-key",
        help="Accept only this API/secret key (default: any key of the vendor's test form).",
    ),
) -> None:
    """Run a vendor simulator (the vendor's paths, auth, encodings and errors) with a /_sim/ control API."""
    import uvicorn

    from roomgate.simulators.registry import create_simulator

    sim = create_simulator(vendor.value, seed=seed, api_key=api_key)
    control = "/_sim/state, /_sim/faults, /_sim/reset"
    typer.echo(f"{vendor.value} simulator on http://{host}:{port}  (control API: {control})")
    uvicorn.run(sim, host=host, port=port, log_level="warning")


@app.command()
def worker(
    once: bool = typer.Option(False, "--once", help="Run every job once and exit."),
    interval: float = typer.Option(15.0, help="Seconds between rounds when running continuously."),
    consumers: int = typer.Option(1, min=0, max=32, help="Webhook consumers in this process (0: none)."),
) -> None:
    """Background jobs: checkout recovery, and webhook consumers (`--consumers`) with the inbox sweeper."""
    from roomgate.logging import configure_logging
    from roomgate.worker import run_worker

    settings = _settings_or_exit()
    configure_logging(settings.log_level, settings.log_format)
    code = asyncio.run(run_worker(settings, once=once, interval=interval, consumers=consumers))
    raise typer.Exit(code)


webhooks_app = typer.Typer(help="PMS webhook subscriptions of a hotel (Cloudbeds postWebhook/getWebhooks).")
app.add_typer(webhooks_app, name="webhooks")


class WebhookAction(StrEnum):
    subscribe = "subscribe"
    list = "list"
    unsubscribe = "unsubscribe"


def _webhooks(action: WebhookAction, hotel_id: str) -> None:
    from roomgate.container import build_container
    from roomgate.domain.errors import DomainError
    from roomgate.pms.errors import PMSError

    settings = _settings_or_exit()

    async def run() -> int:
        container = build_container(settings)
        subs = container.webhook_subscriptions
        try:
            if action is WebhookAction.unsubscribe:
                typer.echo(f"removed {await subs.unsubscribe(hotel_id)} subscription(s)")
                return 0
            found = await (
                subs.subscribe(hotel_id) if action is WebhookAction.subscribe else subs.list(hotel_id)
            )
            for sub in found:
                typer.echo(f"{sub.subscription_id}\t{sub.event}\t{sub.endpoint.split('?')[0]}")
            typer.echo(f"{len(found)} subscription(s) to roomgate for {hotel_id}")
            return 0
        except (DomainError, PMSError) as exc:
            typer.secho(str(exc), fg=typer.colors.RED, err=True)
            return 1
        finally:
            await container.aclose()

    raise typer.Exit(asyncio.run(run()))


@webhooks_app.command("subscribe")
def webhooks_subscribe(hotel_id: str = typer.Argument(..., help="The hotel (PMS property) id.")) -> None:
    """Subscribe roomgate's endpoint (ROOMGATE_WEBHOOK_PUBLIC_URL) to the hotel's reservation events."""
    _webhooks(WebhookAction.subscribe, hotel_id)


@webhooks_app.command("list")
def webhooks_list(hotel_id: str = typer.Argument(..., help="The hotel (PMS property) id.")) -> None:
    """List the hotel's subscriptions that point at roomgate."""
    _webhooks(WebhookAction.list, hotel_id)


@webhooks_app.command("unsubscribe")
def webhooks_unsubscribe(hotel_id: str = typer.Argument(..., help="The hotel (PMS property) id.")) -> None:
    """Remove roomgate's subscriptions from the hotel's PMS."""
    _webhooks(WebhookAction.unsubscribe, hotel_id)


def _safe_url(url: str) -> str:
    """The URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
