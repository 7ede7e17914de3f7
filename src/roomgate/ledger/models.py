"""Tables. The spec's `room_inventory`, `rate_plan` and `booking` keep its column names; the rest is ours.

The initial Alembic revision creates exactly this schema; `tests/integration/test_migrations.py`
checks that models and migrations never drift apart on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from roomgate.ledger.types import ExactDecimal, UTCDateTime, utcnow

ID = String(100)


class Base(DeclarativeBase):
    pass


class RoomInventory(Base):
    """Per-night inventory as last imported or synced from the PMS (spec DDL)."""

    __tablename__ = "room_inventory"
    __table_args__ = (
        Index("idx_room_inventory_hotel_room_date", "hotel_id", "room_type_id", "date"),
        UniqueConstraint("vendor", "hotel_id", "room_type_id", "date", name="uq_room_inventory_night"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    vendor: Mapped[str] = mapped_column(String(20), default="cloudbeds")
    hotel_id: Mapped[str] = mapped_column(ID)
    room_type_id: Mapped[str] = mapped_column(ID)
    date: Mapped[date] = mapped_column(Date)
    available: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RatePlan(Base):
    """Per-night price (spec DDL); `rules` holds the PMS rate plan id and restrictions."""

    __tablename__ = "rate_plan"
    __table_args__ = (
        Index("idx_rate_plan_hotel_room_date", "hotel_id", "room_type_id", "date"),
        UniqueConstraint("vendor", "hotel_id", "room_type_id", "date", name="uq_rate_plan_night"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    vendor: Mapped[str] = mapped_column(String(20), default="cloudbeds")
    hotel_id: Mapped[str] = mapped_column(ID)
    room_type_id: Mapped[str] = mapped_column(ID)
    date: Mapped[date] = mapped_column(Date)
    price: Mapped[Decimal] = mapped_column(ExactDecimal(10, 2))
    currency: Mapped[str] = mapped_column(String(10), default="KRW")
    rules: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class BookingRow(Base):
    """One checkout (spec DDL, extended with the saga's step results and our bookkeeping)."""

    __tablename__ = "booking"
    __table_args__ = (
        Index("idx_booking_status_updated", "status", "updated_at"),
        Index("idx_booking_hotel", "hotel_id", "room_type_id", "check_in"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    booking_id: Mapped[str] = mapped_column(ID, unique=True)
    vendor: Mapped[str] = mapped_column(String(20))
    hotel_id: Mapped[str] = mapped_column(ID)
    room_type_id: Mapped[str] = mapped_column(ID)
    check_in: Mapped[date] = mapped_column(Date)
    check_out: Mapped[date] = mapped_column(Date)
    adults: Mapped[int] = mapped_column(Integer, default=1)
    children: Mapped[int] = mapped_column(Integer, default=0)
    # pending · held · authorized · reserved · confirmed · failed · cancelled (domain/booking.py)
    status: Mapped[str] = mapped_column(String(20))
    hold_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    payment_provider: Mapped[str | None] = mapped_column(String(20), nullable=True)
    payment_auth_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    payment_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    pms_reservation_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    confirmation_number: Mapped[str | None] = mapped_column(ID, nullable=True)
    total_price: Mapped[Decimal | None] = mapped_column(ExactDecimal(10, 2), nullable=True)
    total_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    currency: Mapped[str] = mapped_column(String(10), default="KRW")
    guest_first_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    guest_last_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    guest_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    guest_phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error_message: Mapped[str | None] = mapped_column(String(500), nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # set by the repository from the injected clock (no wall-clock defaults: tests move time)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BookingEventRow(Base):
    """Append-only audit trail: one row per saga step, compensation or cancellation."""

    __tablename__ = "booking_event"
    __table_args__ = (Index("idx_booking_event_booking", "booking_id", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    booking_id: Mapped[str] = mapped_column(ID)
    event: Mapped[str] = mapped_column(String(50))
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Listing(Base):
    """A product on the marketplace (spec: listings), filled from the PMS by the admin import."""

    __tablename__ = "listings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    category: Mapped[str] = mapped_column(String(40), default="accommodation")
    name: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[Decimal | None] = mapped_column(ExactDecimal(9, 6), nullable=True)
    longitude: Mapped[Decimal | None] = mapped_column(ExactDecimal(9, 6), nullable=True)
    currency: Mapped[str] = mapped_column(String(10), default="KRW")
    average_price: Mapped[Decimal | None] = mapped_column(ExactDecimal(12, 2), nullable=True)
    max_occupancy: Mapped[int | None] = mapped_column(Integer, nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RoomTypeRow(Base):
    """A listing's room type, mapped to the PMS room type it sells (spec: room_types)."""

    __tablename__ = "room_types"
    __table_args__ = (
        UniqueConstraint("pms_vendor", "pms_hotel_id", "pms_room_type_id", name="uq_room_types_pms"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    pms_vendor: Mapped[str] = mapped_column(String(20))
    pms_hotel_id: Mapped[str] = mapped_column(ID)
    pms_room_type_id: Mapped[str] = mapped_column(ID)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    max_occupancy: Mapped[int] = mapped_column(Integer, default=2)
    total_rooms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    average_price: Mapped[Decimal | None] = mapped_column(ExactDecimal(12, 2), nullable=True)
    currency: Mapped[str] = mapped_column(String(10), default="KRW")


class PMSConfig(Base):
    """A hotel's PMS connection: vendor, id, encrypted API key and polling settings (spec: pms_config)."""

    __tablename__ = "pms_config"
    __table_args__ = (
        UniqueConstraint("vendor", "hotel_id", name="uq_pms_config_hotel"),
        # Redis keys, env variables and URLs name a hotel by its id alone: one vendor per hotel id.
        UniqueConstraint("hotel_id", name="uq_pms_config_hotel_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    listing_id: Mapped[int | None] = mapped_column(
        ForeignKey("listings.id", ondelete="SET NULL"), nullable=True
    )
    vendor: Mapped[str] = mapped_column(String(20))
    hotel_id: Mapped[str] = mapped_column(ID)
    api_key_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    key_version: Mapped[int] = mapped_column(Integer, default=1)
    webhook_token: Mapped[str | None] = mapped_column(String(100), nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    polling_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    polling_interval_seconds: Mapped[int] = mapped_column(Integer, default=300)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class WebhookEvent(Base):
    """Inbox of PMS webhooks: stored before processing, deduplicated by (vendor, event id); the truth
    the Redis Stream only wakes consumers up for."""

    __tablename__ = "webhook_event"
    __table_args__ = (
        UniqueConstraint("vendor", "event_id", name="uq_webhook_event"),
        Index("idx_webhook_event_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    vendor: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(50))
    hotel_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="received")
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # received · processing · retry · processed · dead (services/webhook_processor.py)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When the sweeper enqueues the row again if nobody has finished it by then.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A consumer's claim on the row; another may take it over after this.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class IdempotencyKey(Base):
    """Inbound `Idempotency-Key`s: claimed before work starts, the first answer stored for replay."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(50))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20), default="in_flight")
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    booking_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # from the store's injected clock
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PollingState(Base):
    """Polling sync state per hotel (survives restarts); writes are fenced by the poller's lease token."""

    __tablename__ = "polling_state"

    vendor: Mapped[str] = mapped_column(String(20), primary_key=True)
    hotel_id: Mapped[str] = mapped_column(ID, primary_key=True)
    is_running: Mapped[bool] = mapped_column(Boolean, default=True)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    stopped_reason: Mapped[str | None] = mapped_column(String(100), nullable=True)
    fence_token: Mapped[int] = mapped_column(BigInteger, default=0)
    delta_synced_to: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_changes: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
