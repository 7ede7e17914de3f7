"""Run Alembic migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

import asyncio
import concurrent.futures
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

from roomgate.config import to_async_database_url

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["database_url"] = to_async_database_url(url)
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade the database at `url` to `revision`; safe to call from inside a running event loop."""
    _run_outside_loop(lambda: command.upgrade(alembic_config(url), revision))


def downgrade(url: str, revision: str = "base") -> None:
    _run_outside_loop(lambda: command.downgrade(alembic_config(url), revision))


def _run_outside_loop(fn: object) -> None:
    # env.py drives the async engine with asyncio.run(), which cannot nest in a running loop.
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        fn()  # type: ignore[operator]
        return
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(fn).result()  # type: ignore[arg-type]


def schema_problem(url: str) -> str | None:
    """None when the database at `url` is at the latest schema, else one sentence saying what to do."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())

    def revisions(sync: Any) -> set[str]:
        return set(MigrationContext.configure(sync).get_current_heads())

    async def current() -> set[str]:
        engine = create_async_engine(to_async_database_url(url))
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(revisions)
        finally:
            await engine.dispose()

    found: set[str] = set()

    def read() -> None:
        found.update(asyncio.run(current()))

    # A SQLite file that does not exist was never migrated (and is not created by looking).
    sqlite_file = make_url(to_async_database_url(url)).database if url.startswith("sqlite") else None
    if not sqlite_file or sqlite_file == ":memory:" or Path(sqlite_file).is_file():
        _run_outside_loop(read)
    if found == heads:
        return None
    state = "was never migrated" if not found else f"is at revision {', '.join(sorted(found))}"
    return (
        f"the database {safe_url(url)} {state}, not the latest schema ({', '.join(sorted(heads))}): "
        "run `roomgate migrate` (with the same DATABASE_URL) first"
    )


def safe_url(url: str) -> str:
    """The URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(to_async_database_url(url)).render_as_string(hide_password=True)
