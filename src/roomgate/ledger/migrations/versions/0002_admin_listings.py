"""admin import: pms_config.enabled, one vendor per hotel id

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pms_config", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.create_unique_constraint("uq_pms_config_hotel_id", ["hotel_id"])


def downgrade() -> None:
    with op.batch_alter_table("pms_config", schema=None) as batch_op:
        batch_op.drop_constraint("uq_pms_config_hotel_id", type_="unique")
        batch_op.drop_column("enabled")
