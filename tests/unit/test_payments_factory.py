"""`create_gateway` builds the named adapter with that provider's own key, and never picks a default."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest

from roomgate.cache.client import fresh_in_process_redis
from roomgate.config import Environment, PaymentProvider, SettingsError, load_settings
from roomgate.payments.factory import create_gateway
from roomgate.payments.sandbox import SandboxGateway
from roomgate.payments.stripe import StripeGateway
from roomgate.payments.toss import TossGateway
from tests.fake_keys import toss_live

KEYS = {"toss_secret_key": "test_sk_factory", "stripe_secret_key": "sk_test_factory"}


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
    # given settings with a key per provider
    settings = load_settings(**KEYS)

    # when
    gateway = create_gateway(provider, settings, http, fresh_in_process_redis())

    # then
    assert isinstance(gateway, expected)
    assert gateway.name == provider


async def test_each_provider_gets_its_own_key(http: httpx2.AsyncClient) -> None:
    # given Toss as the default (its key in PAYMENT_API_KEY) and Stripe's own key beside it
    settings = load_settings(
        payment_provider=PaymentProvider.TOSS,
        payment_providers="toss,stripe",
        payment_api_key="test_sk_default",
        stripe_secret_key="sk_test_own",
    )

    # when both gateways are built, then each authenticates with its own key
    toss = create_gateway("toss", settings, http, fresh_in_process_redis())
    stripe = create_gateway("stripe", settings, http, fresh_in_process_redis())
    assert isinstance(toss, TossGateway) and toss._secret == "test_sk_default"
    assert isinstance(stripe, StripeGateway) and stripe._secret == "sk_test_own"


async def test_the_default_key_is_not_lent_to_another_provider(http: httpx2.AsyncClient) -> None:
    # given PAYMENT_API_KEY for the default provider (Toss) and no Stripe key
    settings = load_settings(payment_provider=PaymentProvider.TOSS, payment_api_key="test_sk_default")

    # when a Stripe gateway is asked for, then it is refused, naming Stripe's variable
    with pytest.raises(SettingsError, match="STRIPE_SECRET_KEY"):
        create_gateway("stripe", settings, http, fresh_in_process_redis())


@pytest.mark.parametrize("provider", ["toss", "stripe"])
async def test_vendor_provider_without_a_key_fails_naming_the_variable(
    provider: str, http: httpx2.AsyncClient
) -> None:
    with pytest.raises(SettingsError, match=f"{provider.upper()}_SECRET_KEY"):
        create_gateway(provider, load_settings(), http, fresh_in_process_redis())


async def test_unknown_provider_is_refused(http: httpx2.AsyncClient) -> None:
    with pytest.raises(SettingsError, match="unknown payment provider 'paypal'"):
        create_gateway("paypal", load_settings(), http, fresh_in_process_redis())


async def test_the_sandbox_is_refused_in_production(http: httpx2.AsyncClient) -> None:
    # given production settings (the settings themselves refuse to enable the sandbox there)
    settings = load_settings(
        env=Environment.PRODUCTION,
        redis_url="redis://127.0.0.1:6379/0",
        database_url="postgresql://u@h/db",
        payment_provider=PaymentProvider.TOSS,
        payment_api_key=toss_live("factory"),
    )

    # when a booking recorded with the sandbox is settled, no sandbox gateway is built
    with pytest.raises(SettingsError, match="sandbox"):
        create_gateway("sandbox", settings, http, fresh_in_process_redis())
