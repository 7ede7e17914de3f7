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

from dotenv import dotenv_values
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from roomgate.domain.rooms import MAX_ROOM_LINES, MAX_ROOMS
from roomgate.payments.key_kinds import key_problem

DEFAULT_DATA_DIR = Path(".roomgate")


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class PaymentProvider(StrEnum):
    SANDBOX = "sandbox"
    TOSS = "toss"
    STRIPE = "stripe"


# Each provider's own key variable; `PAYMENT_API_KEY` is the default provider's (the spec's name).
PROVIDER_KEY_VARIABLES = {
    PaymentProvider.TOSS: "TOSS_SECRET_KEY",
    PaymentProvider.STRIPE: "STRIPE_SECRET_KEY",
}


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
    # A multi-room checkout (`rooms`): at most this many lines and rooms in all (README).
    checkout_max_room_lines: int = Field(default=MAX_ROOM_LINES, gt=0, le=MAX_ROOM_LINES)
    checkout_max_rooms: int = Field(default=MAX_ROOMS, gt=0, le=MAX_ROOMS)
    max_range_days: int = Field(default=90, gt=0, le=730)
    # How far ahead (days from today, UTC) a night may be asked for or booked.
    max_advance_days: int = Field(default=1825, gt=0, le=3660)
    # Largest request body accepted (bytes); a bigger one is refused with 413 before it is read.
    max_body_bytes: int = Field(default=65_536, ge=1024, le=16 * 1024 * 1024)
    # How far below the pre-authorised amount the PMS's own total for a new reservation may be and
    # still be charged (the PMS's amount, a partial capture); the larger of the two limits applies.
    # 0 and 0: exact only. A PMS total above the authorised amount is never charged.
    price_tolerance_minor: int = Field(default=0, ge=0)
    price_tolerance_percent: float = Field(default=0.0, ge=0, le=100)

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
    # The providers a checkout may name (comma-separated); empty = `PAYMENT_PROVIDER` alone.
    payment_providers: str = Field(default="", validation_alias=AliasChoices("PAYMENT_PROVIDERS"))
    # The spec's key, for the default provider (`PAYMENT_PROVIDER`).
    payment_api_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("PAYMENT_API_KEY"))
    # Per-provider keys (win over `PAYMENT_API_KEY` for their provider), so two providers can run at once.
    toss_secret_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("TOSS_SECRET_KEY"))
    stripe_secret_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("STRIPE_SECRET_KEY")
    )
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

    # The worker's own /metrics (polling, webhooks, recovery live there); 0 = not exposed.
    worker_metrics_port: int = Field(default=0, ge=0, le=65535)
    # Inbound rate limit per client IP, requests per minute; 0 (the default) turns a class off, since
    # a marketplace back end calling from one address is the usual client.
    rate_limit_reads_per_minute: int = Field(default=0, ge=0)
    rate_limit_writes_per_minute: int = Field(default=0, ge=0)

    # -- operations --------------------------------------------------------------------------------
    admin_token: SecretStr | None = None
    # Fernet keys (comma-separated, first encrypts) for PMS credentials stored by the admin import.
    secret_key: SecretStr | None = None
    # How long a process trusts its copy of the database's hotel list before asking Redis whether
    # it changed (an unknown hotel id always asks at once).
    hotels_recheck_seconds: float = Field(default=1.0, ge=0, le=60)
    recovery_after_seconds: int = Field(default=300, gt=0)
    debug_faults: str = ""

    # -- polling sync, reconciliation and alerts ---------------------------------------------------------
    polling_days: int = Field(default=30, ge=1, le=365, description="nights from today each poll reads")
    polling_failure_limit: int = Field(default=5, ge=1, le=100)
    polling_jitter_ratio: float = Field(default=0.1, ge=0, lt=1)
    polling_tick_seconds: float = Field(default=5.0, gt=0, le=300)
    polling_delta_overlap_seconds: int = Field(default=120, ge=0, le=86400)
    reconcile_interval_seconds: int = Field(default=3600, ge=60)
    reconcile_days: int = Field(default=365, ge=1, le=730)
    alert_webhook_url: str | None = None
    alert_dedup_seconds: int = Field(default=900, ge=0)
    alert_timeout_seconds: float = Field(default=3.0, gt=0, le=30)

    @field_validator("alert_webhook_url")
    @classmethod
    def _http_alert_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value or None

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
        schemes = ("redis://", "rediss://", "unix://", "redis+cluster://", "rediss+cluster://")
        if value and not value.startswith(schemes):
            raise ValueError(
                "must be a redis://, rediss://, unix:// or redis+cluster://host:port[,host:port] URL"
            )
        return value

    @field_validator("payment_providers")
    @classmethod
    def _known_payment_providers(cls, value: str) -> str:
        names = [name.strip().lower() for name in value.split(",")] if value.strip() else []
        known = {p.value for p in PaymentProvider}
        for name in names:
            if name not in known:
                shown = name[:20] or "(empty)"
                raise ValueError(f"unknown provider {shown!r} (choose {', '.join(sorted(known))})")
        return ",".join(dict.fromkeys(names))

    @field_validator("secret_key")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        from roomgate.secrets_box import parse_keys

        parse_keys(value.get_secret_value())  # ValueError names the entry, never the key
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
        self._payment_guards()
        return self

    def _payment_guards(self) -> None:
        """Accepted providers are coherent, the sandbox is never on in production, and every enabled
        provider has a key of the right kind for this environment (live keys only in production)."""
        accepted = self.accepted_payment_providers
        listed = "PAYMENT_PROVIDERS" if self.payment_providers else "PAYMENT_PROVIDER"
        if self.payment_provider not in accepted:
            raise ValueError(
                f"PAYMENT_PROVIDER: {self.payment_provider.value} is not in PAYMENT_PROVIDERS "
                f"({self.payment_providers}); the default must be one of them"
            )
        production = self.env is Environment.PRODUCTION
        if production and PaymentProvider.SANDBOX in accepted:
            raise ValueError(
                f"{listed}: the sandbox takes no money and is refused when ROOMGATE_ENV=production"
            )
        for provider in accepted:
            if provider is PaymentProvider.SANDBOX:
                continue
            variable, key = self.payment_key(provider)
            if key is None:
                if provider is self.payment_provider:
                    variable = f"PAYMENT_API_KEY (or {variable})"
                raise ValueError(f"{variable}: required for the enabled payment provider {provider.value}")
        for provider in (PaymentProvider.TOSS, PaymentProvider.STRIPE):
            variable, key = self.payment_key(provider)
            if key is not None:
                problem = key_problem(provider.value, key.get_secret_value(), production=production)
                if problem:
                    raise ValueError(f"{variable}: {problem}")

    # -- derived ---------------------------------------------------------------------------------
    @property
    def async_database_url(self) -> str:
        """The ledger URL with the async driver chosen for its database."""
        return to_async_database_url(self.database_url or f"sqlite:///{self.data_dir / 'roomgate.db'}")

    @property
    def accepted_payment_providers(self) -> tuple[PaymentProvider, ...]:
        """The providers a checkout may use: `PAYMENT_PROVIDERS`, else `PAYMENT_PROVIDER` alone."""
        if not self.payment_providers:
            return (self.payment_provider,)
        return tuple(PaymentProvider(name) for name in self.payment_providers.split(","))

    def payment_key(self, provider: PaymentProvider) -> tuple[str, SecretStr | None]:
        """The provider's secret key and the variable it comes from (named in every complaint about it):
        its own `TOSS_SECRET_KEY`/`STRIPE_SECRET_KEY`, else `PAYMENT_API_KEY` for the default provider."""
        own_variable = PROVIDER_KEY_VARIABLES.get(provider, "PAYMENT_API_KEY")
        own = {PaymentProvider.TOSS: self.toss_secret_key, PaymentProvider.STRIPE: self.stripe_secret_key}
        if own.get(provider) is not None:
            return own_variable, own[provider]
        if provider is self.payment_provider and self.payment_api_key is not None:
            return "PAYMENT_API_KEY", self.payment_api_key
        return own_variable, None

    def pms_api_key(self, hotel_id: str) -> str | None:
        """`PMS_<hotelId>_API_KEY` from the environment or `.env` (the spec's per-hotel credential)."""
        return env_value(f"PMS_{hotel_id}_API_KEY")


def env_value(name: str) -> str | None:
    """A per-hotel variable (`PMS_<hotelId>_WEBHOOK_SECRET`, ...) from the environment or `.env`."""
    value = os.environ.get(name)
    if value is None:
        value = dotenv_variables().get(name)
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
def dotenv_variables() -> dict[str, str]:
    """`.env` in the working directory, parsed by python-dotenv (as pydantic-settings does)."""
    return {key: value for key, value in dotenv_values(".env").items() if value is not None}


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
            message = str(error["msg"]).removeprefix("Value error, ")
            if loc and loc[0]:
                problems.append(f"{_env_name(str(loc[0]))}: {message}")
            else:  # a check across settings: its message starts with the variable it names
                problems.append(message)
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None
    if settings.debug_faults:
        from roomgate.services.faults import FaultPoints, FaultSpecError

        try:
            FaultPoints.parse(settings.debug_faults)
        except FaultSpecError as exc:
            raise SettingsError(f"invalid configuration: {exc}") from None
    return settings
