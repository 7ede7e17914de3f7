"""`create_gateway` picks the adapter by name or by PAYMENT_PROVIDER and refuses a bad configuration."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest

from roomgate.cache.client import fresh_in_process_redis
from roomgate.config import SettingsError, load_settings
from roomgate.payments.factory import create_gateway
from roomgate.payments.sandbox import SandboxGateway
from roomgate.payments.stripe import StripeGateway
from roomgate.payments.toss import TossGateway


@pytest.fixture
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient() as client:
        yield client


@pytest.mark.parametrize(
    ("provider", "expected"), [("sandbox", SandboxGateway), ("toss", TossGateway), ("stripe", StripeGateway)]
)
async def test_named_provider_gets_its_adapter(
    provider: str, expected: type, http: httpx2.AsyncClient
) -> None:
    # given settings with a payment key
    settings = load_settings(payment_api_key="test_sk_factory")

    # when
    gateway = create_gateway(provider, settings, http, fresh_in_process_redis())

    # then
    assert isinstance(gateway, expected)
    assert gateway.name == provider


async def test_default_provider_comes_from_settings(
    http: httpx2.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given PAYMENT_PROVIDER=stripe in the environment
    monkeypatch.setenv("PAYMENT_PROVIDER", "stripe")
    monkeypatch.setenv("PAYMENT_API_KEY", "sk_test_factory")

    # when no provider is named
    gateway = create_gateway(None, load_settings(), http, fresh_in_process_redis())

    # then
    assert isinstance(gateway, StripeGateway)


@pytest.mark.parametrize("provider", ["toss", "stripe"])
async def test_vendor_provider_without_api_key_fails_naming_the_variable(
    provider: str, http: httpx2.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAYMENT_API_KEY", raising=False)
    with pytest.raises(SettingsError, match="PAYMENT_API_KEY"):
        create_gateway(provider, load_settings(), http, fresh_in_process_redis())


async def test_unknown_provider_is_refused(http: httpx2.AsyncClient) -> None:
    with pytest.raises(SettingsError, match="unknown provider 'paypal'"):
        create_gateway("paypal", load_settings(), http, fresh_in_process_redis())
