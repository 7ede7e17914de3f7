"""The `roomgate` command line: demo, serve, migrate, simulate, worker.

Run it as `.venv/bin/roomgate` after `make install` (or `source .venv/bin/activate`, then `roomgate`).
Every option's help names its default and, where one exists, the environment variable it falls back
to. Output carries no colour when it is not a terminal or when NO_COLOR is set."""

from __future__ import annotations

import asyncio
import os
import sys
from enum import StrEnum

import typer

from roomgate import __version__
from roomgate.config import Settings, SettingsError, load_settings

app = typer.Typer(
    help="roomgate — PMS integration layer: cached availability, atomic holds, checkout saga.\n\n"
    "Configuration comes from the environment (and ./.env): DATABASE_URL, REDIS_URL, PMS_<hotelId>_API_KEY, "
    "PMS_<hotelId>_VENDOR, ROOMGATE_* (see the README's Configuration table).",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)


def _say_error(message: str) -> None:
    # click strips the colour when stderr is not a terminal; NO_COLOR drops it everywhere
    typer.secho(message, fg=None if os.environ.get("NO_COLOR") else typer.colors.RED, err=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"roomgate {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(
        False, "--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """roomgate — PMS integration layer: cached availability, atomic holds, checkout saga."""


def _settings_or_exit(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        _say_error(str(exc))
        raise typer.Exit(2) from None


def _migrated_or_exit(settings: Settings) -> None:
    """Refuse to run on a database without the current schema (a never-migrated one answered 500s)."""
    from roomgate.ledger.migrate import schema_problem

    try:
        problem = schema_problem(settings.async_database_url)
    except Exception as exc:  # unreachable now: start anyway, /readyz reports it until it answers
        _say_error(f"warning: could not check the database schema ({type(exc).__name__}); /readyz will tell")
        return
    if problem:
        _say_error(f"roomgate: {problem}")
        raise typer.Exit(2)


@app.command()
def demo(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on (the built-in simulators are served on it too)."),
) -> None:
    """Run the embedded demo: SQLite (./.roomgate/demo.db), in-process Redis and the built-in simulators;
    nothing else needed. Recovery runs inside it every 15 s (no `roomgate worker` needed)."""
    from roomgate.demo import run_demo

    run_demo(host=host, port=port)


@app.command()
def serve(
    host: str = typer.Option(
        None,
        help="Interface to listen on.",
        envvar="ROOMGATE_HOST",
        show_envvar=True,
        show_default="127.0.0.1",
    ),
    port: int = typer.Option(
        None, help="Port to listen on.", envvar="ROOMGATE_PORT", show_envvar=True, show_default="8000"
    ),
) -> None:
    """Serve the API with the configured database (DATABASE_URL, migrated by `roomgate migrate`), Redis
    (REDIS_URL) and vendors. Refuses to start on a database without the current schema."""
    import uvicorn

    from roomgate.app import create_app
    from roomgate.logging import configure_logging

    settings = _settings_or_exit()
    _migrated_or_exit(settings)
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
    """Upgrade the ledger database (DATABASE_URL; default SQLite ./.roomgate/roomgate.db, under
    ROOMGATE_DATA_DIR) to the latest schema."""
    from roomgate.ledger.migrate import safe_url, upgrade

    settings = _settings_or_exit()
    target = settings.async_database_url
    typer.echo(f"migrating {safe_url(target)} to {revision} ...")
    try:
        upgrade(target, revision)
    except Exception as exc:
        _say_error(f"migration failed: {type(exc).__name__}: {exc}")
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
        help="Accept only this API/secret key.",
        show_default="any key of the vendor's test form",
    ),
) -> None:
    """Run a vendor simulator (the vendor's paths, auth, encodings and errors) with a /_sim/ control API."""
    import uvicorn

    from roomgate.simulators.registry import create_simulator

    sim = create_simulator(vendor.value, seed=seed, api_key=api_key)
    control = "/_sim/state, /_sim/faults, /_sim/reset, /_sim/properties/{id}"
    typer.echo(f"{vendor.value} simulator on http://{host}:{port}  (control API: {control})")
    uvicorn.run(sim, host=host, port=port, log_level="warning")


WORKER_NEEDS_REDIS = (
    "roomgate worker needs REDIS_URL, the Redis your `roomgate serve` processes share (the in-process Redis "
    "belongs to one process, so a worker could not see their holds and sandbox payments); `roomgate demo` "
    "needs no worker: it runs recovery itself every 15 s."
)


@app.command()
def worker(
    once: bool = typer.Option(False, "--once", help="Run every job once and exit."),
    interval: float = typer.Option(15.0, help="Seconds between rounds when running continuously."),
    consumers: int = typer.Option(1, min=0, max=32, help="Webhook consumers in this process (0: none)."),
) -> None:
    """Background jobs: checkout recovery (finish or compensate bookings left unfinished for
    ROOMGATE_RECOVERY_AFTER_SECONDS), webhook consumers (`--consumers`) with the inbox sweeper, polling
    sync and reconciliation. Uses the same DATABASE_URL and REDIS_URL as `roomgate serve`."""
    from roomgate.logging import configure_logging
    from roomgate.worker import run_worker

    settings = _settings_or_exit()
    if not settings.redis_url:
        _say_error(WORKER_NEEDS_REDIS)
        raise typer.Exit(2)
    _migrated_or_exit(settings)
    configure_logging(settings.log_level, settings.log_format)
    code = asyncio.run(run_worker(settings, once=once, interval=interval, consumers=consumers))
    raise typer.Exit(code)


secrets_app = typer.Typer(
    help="Stored PMS credentials: encryption keys (ROOMGATE_SECRET_KEY).", no_args_is_help=True
)
app.add_typer(secrets_app, name="secrets")


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
            _say_error(str(exc))
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


@secrets_app.command("generate-key")
def secrets_generate_key() -> None:
    """Print a new Fernet key for ROOMGATE_SECRET_KEY (to stdout only; nothing is logged or stored)."""
    from roomgate.secrets_box import generate_key

    typer.echo(generate_key())


@secrets_app.command("rotate")
def secrets_rotate() -> None:
    """Re-encrypt every stored PMS credential with the first key of ROOMGATE_SECRET_KEY.

    Put the new key first and keep the old ones after it (`NEW,OLD`) on every process, run this,
    then drop the old key."""
    from roomgate.ledger.db import create_engine, session_factory
    from roomgate.ledger.listings import ListingRepository
    from roomgate.secrets_box import SecretBox
    from roomgate.services.secret_rotation import RotationResult, rotate_stored_keys

    settings = _settings_or_exit()
    if settings.secret_key is None:
        _say_error("ROOMGATE_SECRET_KEY is not set")
        raise typer.Exit(2)
    box = SecretBox.from_setting(settings.secret_key.get_secret_value())
    assert box is not None

    def progress(done: int, total: int) -> None:
        typer.echo(f"re-encrypted {done}/{total}")

    async def run() -> RotationResult:
        engine = create_engine(settings.async_database_url)
        try:
            return await rotate_stored_keys(ListingRepository(session_factory(engine)), box, progress)
        finally:
            await engine.dispose()

    result = asyncio.run(run())
    typer.echo(
        f"done: {result.rotated} re-encrypted, {result.changed_meanwhile} changed meanwhile, "
        f"{result.undecryptable} unreadable of {result.total}"
    )
    if result.undecryptable:
        _say_error("some credentials cannot be decrypted with any configured key: add the old key back")
        raise typer.Exit(1)


@app.command()
def sync(
    vendor: str = typer.Argument(..., help="The hotel's PMS vendor: cloudbeds or mews."),
    hotel_id: str = typer.Argument(..., metavar="HOTEL_ID", help="The hotel id (PMS_<hotelId>_API_KEY)."),
) -> None:
    """Poll one hotel now (rooms, counts and prices for the polling window, reservations delta)."""
    from roomgate.cli_sync import PMSVendor, run_sync

    if vendor not in {v.value for v in PMSVendor}:
        _say_error(f"unknown vendor {vendor!r}; use cloudbeds or mews")
        raise typer.Exit(2)
    run_sync(_settings_or_exit(), vendor, hotel_id)


polling = typer.Typer(help="Polling sync operations.", no_args_is_help=True)
app.add_typer(polling, name="polling")


@polling.command("status")
def polling_status() -> None:
    """Polling status of every configured hotel."""
    from roomgate.cli_sync import show_status

    show_status(_settings_or_exit())


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
