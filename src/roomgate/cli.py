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
) -> None:
    """Background jobs: checkout recovery (finish or compensate bookings left unfinished)."""
    from roomgate.logging import configure_logging
    from roomgate.worker import run_worker

    settings = _settings_or_exit()
    configure_logging(settings.log_level, settings.log_format)
    code = asyncio.run(run_worker(settings, once=once, interval=interval))
    raise typer.Exit(code)


secrets_app = typer.Typer(
    help="Stored PMS credentials: encryption keys (ROOMGATE_SECRET_KEY).", no_args_is_help=True
)
app.add_typer(secrets_app, name="secrets")


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
        typer.secho("ROOMGATE_SECRET_KEY is not set", fg=typer.colors.RED, err=True)
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
        typer.secho(
            "some credentials cannot be decrypted with any configured key: add the old key back",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1)


def _safe_url(url: str) -> str:
    """The URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
