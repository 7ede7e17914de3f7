"""polling state per hotel

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import roomgate.ledger.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "polling_state",
        sa.Column("vendor", sa.String(length=20), nullable=False),
        sa.Column("hotel_id", sa.String(length=100), nullable=False),
        sa.Column("is_running", sa.Boolean(), nullable=False),
        sa.Column("last_sync_at", roomgate.ledger.types.UTCDateTime(), nullable=True),
        sa.Column("next_sync_at", roomgate.ledger.types.UTCDateTime(), nullable=True),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("stopped_reason", sa.String(length=100), nullable=True),
        sa.Column("fence_token", sa.BigInteger(), nullable=False),
        sa.Column("delta_synced_to", roomgate.ledger.types.UTCDateTime(), nullable=True),
        sa.Column("last_changes", sa.JSON(), nullable=True),
        sa.Column("updated_at", roomgate.ledger.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("vendor", "hotel_id"),
    )


def downgrade() -> None:
    op.drop_table("polling_state")
