"""Async engine and sessions for SQLite, PostgreSQL and MariaDB/MySQL from one URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from roomgate.config import to_async_database_url


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Engine with the async driver for `url`; SQLite gets WAL, a busy timeout and immediate transactions."""
    async_url = to_async_database_url(url)
    parsed = make_url(async_url)
    kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # A local file never drops a connection: no `SELECT 1` round trip (a thread hop under
        # aiosqlite) before every transaction.
        kwargs["pool_pre_ping"] = False
        engine = create_async_engine(async_url, **kwargs)
        _sqlite_recipe(engine)
        return engine
    if parsed.get_backend_name() == "mysql":
        kwargs["pool_recycle"] = 3600
    return create_async_engine(async_url, pool_size=10, max_overflow=10, **kwargs)


def _sqlite_recipe(engine: AsyncEngine) -> None:
    # SQLAlchemy's documented recipe: let us emit BEGIN ourselves, so writers queue on the
    # database lock (busy_timeout) instead of failing when a read transaction tries to upgrade.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    """Raise if the database cannot answer `SELECT 1`."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
