"""Pick and build the connector for (vendor, hotel): credentials, base URL, shared HTTP client, clock."""

from __future__ import annotations

import hashlib

import httpx2

from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.config import Settings
from roomgate.pms.base import SUPPORTED_VENDORS, CredentialsProvider, PMSConnector
from roomgate.pms.cloudbeds import CloudbedsConnector
from roomgate.pms.errors import PMSAuthenticationError
from roomgate.pms.mews import MewsConnector


class UnknownVendorError(ValueError):
    """A vendor name no connector exists for."""

    def __init__(self, vendor: str) -> None:
        super().__init__(f"unknown PMS vendor {vendor!r}; supported: {', '.join(SUPPORTED_VENDORS)}")
        self.vendor = vendor


class EnvCredentials:
    """The spec's per-hotel credential: environment variable (or `.env` line) `PMS_<hotelId>_API_KEY`."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def api_key(self, vendor: str, hotel_id: str) -> str | None:
        return self._settings.pms_api_key(hotel_id)

    def source_hint(self, hotel_id: str) -> str:
        """Where the key is expected, for error messages (a name, never a value)."""
        return f"set {env_var_name(hotel_id)}"


def env_var_name(hotel_id: str) -> str:
    return f"PMS_{hotel_id}_API_KEY"


class PMSConnectorFactory:
    """`await factory.get_connector(vendor, hotel_id)`; async because credential stores may do I/O.

    Connectors are cached per (vendor, hotel, base URL, key fingerprint): Mews keeps its setup
    (service, rates, time zone) between calls, and a rotated key yields a fresh connector.
    """

    def __init__(
        self,
        settings: Settings,
        http_client: httpx2.AsyncClient,
        credentials: CredentialsProvider | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._settings = settings
        self._http = http_client
        self._credentials: CredentialsProvider = credentials or EnvCredentials(settings)
        self._clock = clock
        self._base_urls: dict[tuple[str, str], str] = {}
        self._cache: dict[tuple[str, str, str, str], PMSConnector] = {}

    def set_base_url(self, vendor: str, hotel_id: str, base_url: str | None) -> None:
        """Per-hotel base URL (Cloudbeds is multi-region: `/oauth/metadata` names a property's API URL)."""
        if base_url is None:
            self._base_urls.pop((vendor, hotel_id), None)
        else:
            self._base_urls[(vendor, hotel_id)] = base_url.rstrip("/")

    def base_url(self, vendor: str, hotel_id: str) -> str:
        default = self._settings.cloudbeds_base_url if vendor == "cloudbeds" else self._settings.mews_base_url
        return self._base_urls.get((vendor, hotel_id), default)

    async def get_connector(self, vendor: str, hotel_id: str) -> PMSConnector:
        """The connector for one hotel; raises `UnknownVendorError` or `PMSAuthenticationError`."""
        vendor = vendor.lower()
        if vendor not in SUPPORTED_VENDORS:
            raise UnknownVendorError(vendor)
        api_key = await self._credentials.api_key(vendor, hotel_id)
        if not api_key:
            raise PMSAuthenticationError(
                f"no API key configured for hotel {hotel_id!r} ({self._hint(hotel_id)})",
                vendor=vendor,
                hotel_id=hotel_id,
            )
        base_url = self.base_url(vendor, hotel_id)
        key = (vendor, hotel_id, base_url, hashlib.sha256(api_key.encode()).hexdigest())
        connector = self._cache.get(key)
        if connector is None:
            connector = self._build(vendor, hotel_id, api_key, base_url)
            self._cache = {k: v for k, v in self._cache.items() if k[:2] != (vendor, hotel_id)}
            self._cache[key] = connector
        return connector

    def build(self, vendor: str, hotel_id: str, api_key: str) -> PMSConnector:
        """A fresh, uncached connector with a key given by the caller (the admin preview)."""
        vendor = vendor.lower()
        if vendor not in SUPPORTED_VENDORS:
            raise UnknownVendorError(vendor)
        return self._build(vendor, hotel_id, api_key, self.base_url(vendor, hotel_id))

    def _hint(self, hotel_id: str) -> str:
        describe = getattr(self._credentials, "source_hint", None)
        return str(describe(hotel_id)) if callable(describe) else "check the hotel's PMS connection"

    def _build(self, vendor: str, hotel_id: str, api_key: str, base_url: str) -> PMSConnector:
        timeout = self._settings.pms_timeout_seconds
        if vendor == "cloudbeds":
            return CloudbedsConnector(
                hotel_id=hotel_id,
                api_key=api_key,
                http=self._http,
                base_url=base_url,
                timeout=timeout,
                clock=self._clock,
            )
        client_token = self._settings.mews_client_token
        if client_token is None or not client_token.get_secret_value():
            raise PMSAuthenticationError(
                "no Mews client token configured (set MEWS_CLIENT_TOKEN)", vendor=vendor, hotel_id=hotel_id
            )
        return MewsConnector(
            hotel_id=hotel_id,
            access_token=api_key,
            client_token=client_token.get_secret_value(),
            http=self._http,
            base_url=base_url,
            timeout=timeout,
            clock=self._clock,
            enterprise_id=hotel_id,
        )
