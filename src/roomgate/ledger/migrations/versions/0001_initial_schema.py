"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import roomgate.ledger.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "booking",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("booking_id", sa.String(length=100), nullable=False),
        sa.Column("vendor", sa.String(length=20), nullable=False),
        sa.Column("hotel_id", sa.String(length=100), nullable=False),
        sa.Column("room_type_id", sa.String(length=100), nullable=False),
        sa.Column("check_in", sa.Date(), nullable=False),
        sa.Column("check_out", sa.Date(), nullable=False),
        sa.Column("adults", sa.Integer(), nullable=False),
        sa.Column("children", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("hold_id", sa.String(length=100), nullable=True),
        sa.Column("payment_provider", sa.String(length=20), nullable=True),
        sa.Column("payment_auth_id", sa.String(length=200), nullable=True),
        sa.Column("payment_status", sa.String(length=20), nullable=True),
        sa.Column("pms_reservation_id", sa.String(length=100), nullable=True),
        sa.Column("confirmation_number", sa.String(length=100), nullable=True),
        sa.Column("total_price", roomgate.ledger.types.ExactDecimal(precision=10, scale=2), nullable=True),
        sa.Column("total_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=10), nullable=False),
        sa.Column("guest_first_name", sa.String(length=100), nullable=True),
        sa.Column("guest_last_name", sa.String(length=100), nullable=True),
        sa.Column("guest_email", sa.String(length=254), nullable=True),
        sa.Column("guest_phone", sa.String(length=40), nullable=True),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("error_message", sa.String(length=500), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", roomgate.ledger.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", roomgate.ledger.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", roomgate.ledger.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("booking_id"),
    )
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.create_index("idx_booking_hotel", ["hotel_id", "room_type_id", "check_in"], unique=False)
        batch_op.create_index("idx_booking_status_updated", ["status", "updated_at"], unique=False)

    op.create_table(
        "booking_event",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("booking_id", sa.String(length=100), nullable=False),
        sa.Column("event", sa.String(length=50), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("created_at", roomgate.ledger.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("booking_event", schema=None) as batch_op:
        batch_op.create_index("idx_booking_event_booking", ["booking_id", "id"], unique=False)

    op.create_table(
        "idempotency_key",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=50), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.JSON(), nullable=True),
        sa.Column("booking_id", sa.String(length=100), nullable=True),
        sa.Column("locked_until", roomgate.ledger.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", roomgate.ledger.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", roomgate.ledger.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope", "key", name="uq_idempotency_key"),
    )
    op.create_table(
        "listings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("latitude", roomgate.ledger.types.ExactDecimal(precision=9, scale=6), nullable=True),
        sa.Column("longitude", roomgate.ledger.types.ExactDecimal(precision=9, scale=6), nullable=True),
        sa.Column("currency", sa.String(length=10), nullable=False),
        sa.Column("average_price", roomgate.ledger.types.ExactDecimal(precision=12, scale=2), nullable=True),
        sa.Column("max_occupancy", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", roomgate.ledger.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", roomgate.ledger.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "rate_plan",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("vendor", sa.String(length=20), nullable=False),
        sa.Column("hotel_id", sa.String(length=100), nullable=False),
        sa.Column("room_type_id", sa.String(length=100), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("price", roomgate.ledger.types.ExactDecimal(precision=10, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=10), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("vendor", "hotel_id", "room_type_id", "date", name="uq_rate_plan_night"),
    )
    with op.batch_alter_table("rate_plan", schema=None) as batch_op:
        batch_op.create_index(
            "idx_rate_plan_hotel_room_date", ["hotel_id", "room_type_id", "date"], unique=False
        )

    op.create_table(
        "room_inventory",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("vendor", sa.String(length=20), nullable=False),
        sa.Column("hotel_id", sa.String(length=100), nullable=False),
        sa.Column("room_type_id", sa.String(length=100), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("updated_at", roomgate.ledger.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("vendor", "hotel_id", "room_type_id", "date", name="uq_room_inventory_night"),
    )
    with op.batch_alter_table("room_inventory", schema=None) as batch_op:
        batch_op.create_index(
            "idx_room_inventory_hotel_room_date", ["hotel_id", "room_type_id", "date"], unique=False
        )

    op.create_table(
        "webhook_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("vendor", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=50), nullable=False),
        sa.Column("hotel_id", sa.String(length=100), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("received_at", roomgate.ledger.types.UTCDateTime(), nullable=False),
        sa.Column("processed_at", roomgate.ledger.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("vendor", "event_id", name="uq_webhook_event"),
    )
    op.create_table(
        "pms_config",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=True),
        sa.Column("vendor", sa.String(length=20), nullable=False),
        sa.Column("hotel_id", sa.String(length=100), nullable=False),
        sa.Column("api_key_encrypted", sa.Text(), nullable=True),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("webhook_token", sa.String(length=100), nullable=True),
        sa.Column("polling_enabled", sa.Boolean(), nullable=False),
        sa.Column("polling_interval_seconds", sa.Integer(), nullable=False),
        sa.Column("last_sync_at", roomgate.ledger.types.UTCDateTime(), nullable=True),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("created_at", roomgate.ledger.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", roomgate.ledger.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("vendor", "hotel_id", name="uq_pms_config_hotel"),
    )
    op.create_table(
        "room_types",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("pms_vendor", sa.String(length=20), nullable=False),
        sa.Column("pms_hotel_id", sa.String(length=100), nullable=False),
        sa.Column("pms_room_type_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("max_occupancy", sa.Integer(), nullable=False),
        sa.Column("total_rooms", sa.Integer(), nullable=True),
        sa.Column("average_price", roomgate.ledger.types.ExactDecimal(precision=12, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pms_vendor", "pms_hotel_id", "pms_room_type_id", name="uq_room_types_pms"),
    )


def downgrade() -> None:
    op.drop_table("room_types")
    op.drop_table("pms_config")
    op.drop_table("webhook_event")
    with op.batch_alter_table("room_inventory", schema=None) as batch_op:
        batch_op.drop_index("idx_room_inventory_hotel_room_date")

    op.drop_table("room_inventory")
    with op.batch_alter_table("rate_plan", schema=None) as batch_op:
        batch_op.drop_index("idx_rate_plan_hotel_room_date")

    op.drop_table("rate_plan")
    op.drop_table("listings")
    op.drop_table("idempotency_key")
    with op.batch_alter_table("booking_event", schema=None) as batch_op:
        batch_op.drop_index("idx_booking_event_booking")

    op.drop_table("booking_event")
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_index("idx_booking_status_updated")
        batch_op.drop_index("idx_booking_hotel")

    op.drop_table("booking")
