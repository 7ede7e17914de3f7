"""Build the payment gateway for a provider name (sandbox | toss | stripe) with its configured key.

There is no default here: a checkout names its provider (the API resolves `PAYMENT_PROVIDER` for a
request that names none), and compensation, cancellation and recovery use the one the booking recorded.
"""

from __future__ import annotations

import httpx2
from redis.asyncio import Redis

from roomgate.config import Environment, PaymentProvider, Settings, SettingsError
from roomgate.payments.base import PaymentGateway
from roomgate.payments.sandbox import SandboxGateway
from roomgate.payments.stripe import StripeGateway
from roomgate.payments.toss import TossGateway


def create_gateway(
    provider: str, settings: Settings, http_client: httpx2.AsyncClient, redis: Redis
) -> PaymentGateway:
    """The gateway for `provider` on the shared client and Redis; SettingsError if it cannot act here."""
    try:
        chosen = PaymentProvider(provider)
    except ValueError:
        choices = ", ".join(p.value for p in PaymentProvider)
        raise SettingsError(f"unknown payment provider {provider[:20]!r} (choose {choices})") from None
    if chosen is PaymentProvider.SANDBOX:
        if settings.env is Environment.PRODUCTION:
            raise SettingsError("the sandbox payment provider is refused when ROOMGATE_ENV=production")
        return SandboxGateway(redis)
    variable, key = settings.payment_key(chosen)
    if key is None:
        raise SettingsError(f"{variable}: required for the payment provider {chosen.value}")
    if chosen is PaymentProvider.TOSS:
        return TossGateway.from_settings(settings, http_client, redis, secret_key=key.get_secret_value())
    return StripeGateway.from_settings(settings, http_client, secret_key=key.get_secret_value())
