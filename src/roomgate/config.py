"""Typed settings, read once at start-up from the environment (and `.env` when present).

The spec's own names are honoured as they are (`DATABASE_URL`, `REDIS_URL`, `PAYMENT_API_KEY`,
`PMS_WEBHOOK_SECRET`, `PMS_<hotelId>_API_KEY`, vendor base URLs); everything else is `ROOMGATE_*`.
"""

from __future__ import annotations

import os
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path(".roomgate")


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class PaymentProvider(StrEnum):
    SANDBOX = "sandbox"
    TOSS = "toss"
    STRIPE = "stripe"


class SettingsError(RuntimeError):
    """A setting is missing or invalid; the message names the environment variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ROOMGATE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    env: Environment = Environment.DEVELOPMENT
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    log_level: str = "INFO"
    log_format: str = Field(default="json", pattern="^(json|console)$")

    # -- storage -------------------------------------------------------------------------------
    database_url: str = Field(default="", validation_alias=AliasChoices("DATABASE_URL"))
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REDIS_URL"))
    data_dir: Path = DEFAULT_DATA_DIR

    # -- cache (seconds) ---------------------------------------------------------------------
    inv_ttl_seconds: int = Field(default=90, gt=0)
    rate_ttl_seconds: int = Field(default=300, gt=0)
    hold_ttl_seconds: int = Field(default=180, gt=0)
    rooms_ttl_seconds: int = Field(default=3600, gt=0)
    lkg_ttl_seconds: int = Field(default=86400, gt=0)
    ttl_jitter_ratio: float = Field(default=0.1, ge=0, lt=1)
    # A cache miss reads the aligned blocks of this many nights around the request (1 = just the request).
    fill_block_days: int = Field(default=28, ge=1, le=366)
    # Warm availability answers kept rendered per process, served again while the hotel's view
    # version is unchanged and nothing they show has expired (0 turns the memo off).
    response_memo_entries: int = Field(default=2048, ge=0, le=1_000_000)

    # -- domain ---------------------------------------------------------------------------------
    max_stay_nights: int = Field(default=30, gt=0, le=365)
    max_range_days: int = Field(default=90, gt=0, le=730)

    # -- vendors ---------------------------------------------------------------------------------
    cloudbeds_base_url: str = Field(
        default="https://api.cloudbeds.com/api/v1.3", validation_alias=AliasChoices("CLOUDBEDS_BASE_URL")
    )
    mews_base_url: str = Field(default="https://api.mews.com", validation_alias=AliasChoices("MEWS_BASE_URL"))
    mews_client_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("MEWS_CLIENT_TOKEN")
    )
    toss_base_url: str = Field(
        default="https://api.tosspayments.com", validation_alias=AliasChoices("TOSS_BASE_URL")
    )
    stripe_base_url: str = Field(
        default="https://api.stripe.com", validation_alias=AliasChoices("STRIPE_BASE_URL")
    )
    pms_timeout_seconds: float = Field(default=10.0, gt=0)
    payment_timeout_seconds: float = Field(default=15.0, gt=0)

    payment_provider: PaymentProvider = Field(
        default=PaymentProvider.SANDBOX, validation_alias=AliasChoices("PAYMENT_PROVIDER")
    )
    payment_api_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("PAYMENT_API_KEY"))
    pms_webhook_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("PMS_WEBHOOK_SECRET")
    )

    # -- webhooks (issue 12: intake, durable queue, worker) ------------------------------------------
    # Shared secret token for vendors that cannot sign (Cloudbeds, Mews): `?token=` in the endpoint URL.
    webhook_url_token: SecretStr | None = None
    # A signed event whose `x-pms-timestamp` is further than this from now is refused (replays).
    webhook_tolerance_seconds: int = Field(default=300, gt=0, le=86_400)
    webhook_max_body_bytes: int = Field(default=262_144, ge=1024, le=10_485_760)
    # Tries before an event is dead-lettered (with an alert); backoff doubles from the base.
    webhook_max_attempts: int = Field(default=5, ge=1, le=100)
    webhook_retry_base_seconds: float = Field(default=5.0, gt=0, le=3600)
    # A consumer owns an event this long; after it, another consumer takes it over (XAUTOCLAIM).
    webhook_lease_seconds: float = Field(default=60.0, gt=0, le=3600)
    # An inbox row not processed this long after it was (re-)enqueued is enqueued again by the sweeper.
    webhook_sweep_after_seconds: float = Field(default=30.0, gt=0, le=86_400)
    # Nights refreshed when an event names none (a deleted reservation we never saw, a bare update).
    webhook_refresh_days: int = Field(default=30, ge=1, le=366)
    # Our endpoint as the PMS reaches it (for `roomgate webhooks subscribe`), e.g. https://rg.example.com
    webhook_public_url: str | None = Field(default=None, pattern=r"^https?://[^\s?#]+$")

    # -- resilience --------------------------------------------------------------------------------
    breaker_failure_threshold: int = Field(default=5, gt=0)
    breaker_success_threshold: int = Field(default=2, gt=0)
    breaker_open_seconds: float = Field(default=60.0, gt=0)
    retry_attempts: int = Field(default=3, ge=0, le=10)
    retry_base_delay_ms: int = Field(default=500, ge=0)
    retry_deadline_seconds: float = Field(default=8.0, gt=0)
    cloudbeds_rate_limit: int = Field(default=5, gt=0, description="requests per second per property")
    mews_rate_limit: int = Field(default=200, gt=0, description="requests per 30 s per access token")

    # -- operations --------------------------------------------------------------------------------
    admin_token: SecretStr | None = None
    recovery_after_seconds: int = Field(default=300, gt=0)
    debug_faults: str = ""

    @field_validator("database_url")
    @classmethod
    def _known_database_scheme(cls, value: str) -> str:
        if value and value.split(":", 1)[0].split("+", 1)[0] not in {
            "sqlite",
            "postgresql",
            "postgres",
            "mysql",
            "mariadb",
        }:
            raise ValueError("must be a sqlite:///, postgresql:// or mysql:// URL")
        return value

    @field_validator("redis_url")
    @classmethod
    def _known_redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and value.strip() == "":
            return None
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @model_validator(mode="after")
    def _production_guards(self) -> Settings:
        if self.env is Environment.PRODUCTION:
            if self.debug_faults:
                raise ValueError("ROOMGATE_DEBUG_FAULTS is refused when ROOMGATE_ENV=production")
            if not self.redis_url:
                raise ValueError(
                    "REDIS_URL is required when ROOMGATE_ENV=production (the in-process Redis is per process)"
                )
            if not self.database_url:
                raise ValueError("DATABASE_URL is required when ROOMGATE_ENV=production")
        return self

    # -- derived ---------------------------------------------------------------------------------
    @property
    def async_database_url(self) -> str:
        """The ledger URL with the async driver chosen for its database."""
        return to_async_database_url(self.database_url or f"sqlite:///{self.data_dir / 'roomgate.db'}")

    def pms_api_key(self, hotel_id: str) -> str | None:
        """`PMS_<hotelId>_API_KEY` from the environment or `.env` (the spec's per-hotel credential)."""
        name = f"PMS_{hotel_id}_API_KEY"
        value = os.environ.get(name)
        if value is None:
            value = _dotenv_values().get(name)
        return value or None


def env_value(name: str) -> str | None:
    """A per-hotel variable (`PMS_<hotelId>_WEBHOOK_SECRET`, ...) from the environment or `.env`."""
    value = os.environ.get(name)
    if value is None:
        value = _dotenv_values().get(name)
    return value or None


def to_async_database_url(url: str) -> str:
    """Map plain `sqlite:///`, `postgresql://` and `mysql://` URLs to their async drivers."""
    scheme, sep, rest = url.partition("://")
    base = scheme.split("+", 1)[0]
    driver = {
        "sqlite": "sqlite+aiosqlite",
        "postgresql": "postgresql+asyncpg",
        "postgres": "postgresql+asyncpg",
        "mysql": "mysql+aiomysql",
        "mariadb": "mysql+aiomysql",
    }.get(base)
    if driver is None or not sep:
        raise SettingsError(f"DATABASE_URL: unsupported URL scheme {scheme!r}")
    if "+" in scheme and base != "postgres":
        return url
    return f"{driver}://{rest}"


@lru_cache(maxsize=1)
def _dotenv_values() -> dict[str, str]:
    path = Path(".env")
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return values


def _env_name(field_name: str) -> str:
    if field_name.isupper():
        return field_name
    field = Settings.model_fields.get(field_name)
    alias = getattr(field, "validation_alias", None) if field else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"ROOMGATE_{field_name.upper()}"


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning validation failures into one message that names each variable."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = error.get("loc") or ("",)
            name = _env_name(str(loc[0])) if loc and loc[0] else "settings"
            problems.append(f"{name}: {error['msg']}")
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None
    if settings.debug_faults:
        from roomgate.services.faults import FaultPoints, FaultSpecError

        try:
            FaultPoints.parse(settings.debug_faults)
        except FaultSpecError as exc:
            raise SettingsError(f"invalid configuration: {exc}") from None
    return settings
