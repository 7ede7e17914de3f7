"""Pick the payment gateway named by `PAYMENT_PROVIDER` (sandbox | toss | stripe)."""

from __future__ import annotations

import httpx2
from redis.asyncio import Redis

from roomgate.config import PaymentProvider, Settings, SettingsError
from roomgate.payments.base import PaymentGateway
from roomgate.payments.sandbox import SandboxGateway
from roomgate.payments.stripe import StripeGateway
from roomgate.payments.toss import TossGateway


def create_gateway(
    provider: str | None, settings: Settings, http_client: httpx2.AsyncClient, redis: Redis
) -> PaymentGateway:
    """The gateway for `provider` (default: `settings.payment_provider`) on the shared client and Redis."""
    name = provider or settings.payment_provider.value
    try:
        chosen = PaymentProvider(name.lower())
    except ValueError:
        choices = ", ".join(p.value for p in PaymentProvider)
        raise SettingsError(f"PAYMENT_PROVIDER: unknown provider {name!r} (choose {choices})") from None
    if chosen is PaymentProvider.TOSS:
        return TossGateway.from_settings(settings, http_client, redis)
    if chosen is PaymentProvider.STRIPE:
        return StripeGateway.from_settings(settings, http_client)
    return SandboxGateway(redis)
