"""`roomgate demo`: the whole product on one port with nothing but Python.

SQLite under ./.roomgate/, the in-process Redis (fakeredis with Lua), and the vendor simulators
mounted under /sim/<vendor>; the Cloudbeds connector talks real HTTP to its simulator.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DEMO_HOTEL = "hotel_123"
DEMO_ROOM_TYPE = "room_456"
DEMO_CLOUDBEDS_KEY = "cbat_demo_roomgate"
DATA_DIR = Path(".roomgate")


def demo_environment(host: str, port: int) -> dict[str, str]:
    """Environment for the embedded mode; anything the user already exported wins, except storage."""
    base = f"http://{_client_host(host)}:{port}"
    env = {
        "ROOMGATE_ENV": "development",
        "DATABASE_URL": f"sqlite:///{DATA_DIR / 'demo.db'}",
        "CLOUDBEDS_BASE_URL": f"{base}/sim/cloudbeds/api/v1.3",
        "MEWS_BASE_URL": f"{base}/sim/mews",
        "MEWS_CLIENT_TOKEN": "demo-client-token",
        "TOSS_BASE_URL": f"{base}/sim/toss",
        "STRIPE_BASE_URL": f"{base}/sim/stripe",
        f"PMS_{DEMO_HOTEL}_API_KEY": DEMO_CLOUDBEDS_KEY,
        "PMS_hotel_777_API_KEY": DEMO_CLOUDBEDS_KEY,
        "PAYMENT_PROVIDER": "sandbox",
        "ROOMGATE_LOG_FORMAT": "console",
        # The mounted simulators deliver their webhooks to this very server.
        "ROOMGATE_WEBHOOK_PUBLIC_URL": base,
    }
    # The demo is embedded by definition: always SQLite + in-process Redis.
    os.environ.pop("REDIS_URL", None)
    for key, value in env.items():
        if key in {"DATABASE_URL", "ROOMGATE_ENV"}:
            os.environ[key] = value
        else:
            os.environ.setdefault(key, value)
    os.environ.setdefault("ROOMGATE_ADMIN_TOKEN", secrets.token_urlsafe(18))
    os.environ.setdefault("ROOMGATE_WEBHOOK_URL_TOKEN", secrets.token_urlsafe(18))
    return env


def wire_demo_webhooks(mounts: dict[str, Any], public_url: str, token: str) -> None:
    """Point the mounted simulators' webhooks at this server: Cloudbeds subscriptions for the demo
    hotels (as `roomgate webhooks subscribe` would make them), the Mews General Webhook URL."""
    from urllib.parse import quote

    from roomgate.services.webhook_subscriptions import EVENTS

    cloudbeds = mounts.get("/sim/cloudbeds")
    if cloudbeds is not None:
        endpoint = f"{public_url}/api/webhooks/pms/cloudbeds?token={quote(token, safe='')}"
        for hotel in (DEMO_HOTEL, "hotel_777"):
            for event in EVENTS:
                obj, _, action = event.partition("/")
                form = {"propertyID": hotel, "object": obj, "action": action, "endpointUrl": endpoint}
                cloudbeds.state.simulator.webhooks.subscribe(form)
    mews = mounts.get("/sim/mews")
    if mews is not None:
        mews.state.simulator.webhooks.url = (
            f"{public_url}/api/webhooks/pms/mews?token={quote(token, safe='')}"
        )


def _client_host(host: str) -> str:
    return "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def demo_mounts() -> dict[str, Any]:
    from roomgate.simulators.registry import SIMULATORS, create_simulator

    mounts = {}
    for vendor in SIMULATORS:
        try:
            mounts[f"/sim/{vendor}"] = create_simulator(vendor)
        except ImportError:  # a simulator not built yet must not break the demo
            continue
    return mounts


def banner(host: str, port: int, admin_token: str) -> str:
    base = f"http://{_client_host(host)}:{port}"
    check_in = datetime.now(UTC).date() + timedelta(days=30)
    check_out = check_in + timedelta(days=2)
    body = (
        '{"vendor":"cloudbeds","hotelId":"hotel_123","roomTypeId":"room_456",'
        f'"checkIn":"{check_in}","checkOut":"{check_out}",'
        '"guestInfo":{"firstName":"홍","lastName":"길동","email":"hong@example.com","phone":"+82-10-1234-5678"},'
        '"adults":2,"children":0,"payment":{"cardToken":"tok_visa_1234","amount":250000,"currency":"KRW"}}'
    )
    query = f"vendor=cloudbeds&checkIn={check_in}&checkOut={check_out}&adults=2&children=0"
    return f"""
roomgate demo is up — SQLite at {DATA_DIR / "demo.db"}, in-process Redis, built-in simulators.

  API docs       {base}/docs
  Health         {base}/healthz   ·   {base}/readyz   ·   {base}/metrics
  Cloudbeds sim  {base}/sim/cloudbeds/api/v1.3/getHotelDetails?propertyID=hotel_123
                 (header x-api-key: {DEMO_CLOUDBEDS_KEY})
  Admin token    {admin_token}

Availability of the seeded hotel:
  curl '{base}/api/hotels/hotel_123/availability?{query}'

Book the spec's example (2 nights × 125,000 KRW):
  curl -X POST {base}/api/booking/checkout -H 'Content-Type: application/json' \\
       -H 'Idempotency-Key: demo-1' -d '{body}'
"""


def run_demo(host: str = "127.0.0.1", port: int = 8000) -> None:
    import uvicorn

    from roomgate.app import create_app
    from roomgate.config import load_settings
    from roomgate.ledger.migrate import upgrade
    from roomgate.logging import configure_logging

    if not _port_free(host, port):
        raise SystemExit(
            f"port {port} on {host} is in use; try `make demo PORT=8123` or `roomgate demo --port 8123`"
        )
    demo_environment(host, port)
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    DATA_DIR.mkdir(exist_ok=True)
    print(f"applying migrations to {settings.async_database_url} ...", flush=True)  # noqa: T201
    upgrade(settings.async_database_url)
    mounts = demo_mounts()
    token = settings.webhook_url_token.get_secret_value() if settings.webhook_url_token else ""
    wire_demo_webhooks(mounts, settings.webhook_public_url or "", token)
    app = create_app(settings, mounts=mounts, background_recovery_seconds=15, webhook_consumers=1)
    admin_token = settings.admin_token.get_secret_value() if settings.admin_token else ""
    print(banner(host, port, admin_token), flush=True)  # noqa: T201
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)
