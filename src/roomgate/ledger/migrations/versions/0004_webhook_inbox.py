"""webhook inbox: attempts, retry time and consumer lease

Revision ID: 0004
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import roomgate.ledger.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_event") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("next_attempt_at", roomgate.ledger.types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("locked_until", roomgate.ledger.types.UTCDateTime(), nullable=True))
        batch.create_index("idx_webhook_event_due", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("webhook_event") as batch:
        batch.drop_index("idx_webhook_event_due")
        batch.drop_column("locked_until")
        batch.drop_column("next_attempt_at")
        batch.drop_column("attempts")
