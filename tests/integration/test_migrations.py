"""Migrations upgrade, match the models and downgrade on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from roomgate.ledger.db import create_engine
from roomgate.ledger.migrate import downgrade, upgrade
from roomgate.ledger.models import Base

SPEC_COLUMNS = {
    "room_inventory": {"id", "hotel_id", "room_type_id", "date", "available", "total", "updated_at"},
    "rate_plan": {"id", "hotel_id", "room_type_id", "date", "price", "currency", "rules"},
    "booking": {
        "id",
        "booking_id",
        "hotel_id",
        "room_type_id",
        "check_in",
        "check_out",
        "status",
        "hold_id",
        "payment_auth_id",
        "total_price",
        "currency",
        "created_at",
        "updated_at",
    },
}
DESIGN_TABLES = {"listings", "room_types", "pms_config", "webhook_event", "idempotency_key", "booking_event"}


async def _tables_and_diff(url: str) -> tuple[dict[str, set[str]], list[object]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:

            def inspect_sync(sync_conn):  # type: ignore[no-untyped-def]
                insp = inspect(sync_conn)
                tables = {t: {c["name"] for c in insp.get_columns(t)} for t in insp.get_table_names()}
                ctx = MigrationContext.configure(sync_conn, opts={"compare_type": False})
                return tables, compare_metadata(ctx, Base.metadata)

            return await conn.run_sync(inspect_sync)
    finally:
        await engine.dispose()


async def test_upgrade_creates_spec_and_design_tables_matching_models(empty_database_url: str) -> None:
    # given an empty database
    # when it is upgraded to head
    upgrade(empty_database_url)
    tables, diff = await _tables_and_diff(empty_database_url)
    # then the spec's columns and the design's tables exist, and models match the migration exactly
    for table, columns in SPEC_COLUMNS.items():
        assert columns <= tables[table], f"{table} lacks {columns - tables[table]}"
    assert set(tables) >= DESIGN_TABLES
    assert diff == []


async def test_upgrade_is_idempotent_and_downgrade_removes_everything(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    upgrade(empty_database_url)  # a second run is a no-op, not an error
    downgrade(empty_database_url, "base")
    tables, _ = await _tables_and_diff(empty_database_url)
    assert set(tables) <= {"alembic_version"}


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
def test_cli_migrate_upgrades_the_configured_database(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from roomgate.cli import app

    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert "done" in result.output
