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
# The key the demo configures and prints for the admin page. Cloudbeds keys have no test form (every
# `cbat_…` reads as live), so it is put together at run time: no committed line holds one.
DEMO_CLOUDBEDS_KEY = f"cb{'at'}_demo_roomgate"
DEMO_MEWS_HOTEL = "hotel_555"  # only in the Mews simulator: one hotel, one vendor
DEMO_MEWS_TOKEN = "demo-mews-access-token"
DATA_DIR = Path(".roomgate")
# In the simulators but configured nowhere: the hotel a person adds from the admin page.
IMPORTABLE_HOTEL = "hotel_900"
IMPORTABLE_PROPERTY: dict[str, Any] = {
    "name": "Roomgate Demo Hotel Jeju",
    "currency": "KRW",
    "timezone": "Asia/Seoul",
    "address": {
        "line1": "72 Jungmungwangwang-ro",
        "line2": "Seogwipo-si",
        "city": "Jeju",
        "zip": "63535",
        "country": "KR",
        "latitude": "33.2490",
        "longitude": "126.4124",
    },
    "roomTypes": [
        {
            "id": "room_901",
            "name": "Garden Twin",
            "shortName": "GTW",
            "maxGuests": 2,
            "totalRooms": 6,
            "nightlyRate": "110000",
            "description": "Garden view, two single beds",
        },
        {
            "id": "room_902",
            "name": "Ocean Suite",
            "shortName": "OST",
            "maxGuests": 4,
            "totalRooms": 2,
            "nightlyRate": "260000",
            "description": "Sea view, living room, 52 m²",
        },
    ],
}


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
        f"PMS_{DEMO_MEWS_HOTEL}_API_KEY": DEMO_MEWS_TOKEN,
        f"PMS_{DEMO_MEWS_HOTEL}_VENDOR": "mews",
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
    os.environ.setdefault("ROOMGATE_SECRET_KEY", demo_secret_key(DATA_DIR))
    os.environ.setdefault("ROOMGATE_WEBHOOK_URL_TOKEN", secrets.token_urlsafe(18))
    return env


def demo_secret_key(data_dir: Path) -> str:
    """The demo's fixed Fernet key for stored PMS credentials, kept (mode 600) beside its database
    so a restarted demo still reads what it stored. Never printed or logged."""
    from roomgate.secrets_box import generate_key

    path = data_dir / "demo-secret.key"
    if not path.is_file():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(generate_key() + "\n", encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


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
    from roomgate.simulators.seed import PropertySeed

    mounts = {}
    for vendor in SIMULATORS:
        try:
            mounts[f"/sim/{vendor}"] = create_simulator(vendor)
        except ImportError:  # a simulator not built yet must not break the demo
            continue
        if vendor in {"cloudbeds", "mews"}:
            state = mounts[f"/sim/{vendor}"].state.simulator.state
            state.upsert_property(IMPORTABLE_HOTEL, PropertySeed.model_validate(IMPORTABLE_PROPERTY))
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
    mews_query = f"vendor=mews&checkIn={check_in}&checkOut={check_out}&adults=2"
    return f"""
roomgate demo is up — SQLite at {DATA_DIR / "demo.db"}, in-process Redis, built-in simulators.

  API docs       {base}/docs
  Health         {base}/healthz   ·   {base}/readyz   ·   {base}/metrics
  Cloudbeds sim  {base}/sim/cloudbeds/api/v1.3/getHotelDetails?propertyID=hotel_123
                 (header x-api-key: {DEMO_CLOUDBEDS_KEY})
  Admin page     {base}/admin   (sign in with the admin token)
  Admin token    {admin_token}
                 curl -H 'Authorization: Bearer {admin_token}' {base}/api/admin/status

The whole flow, ready to paste (bash):

1. Availability of the seeded Cloudbeds hotel:
  curl '{base}/api/hotels/hotel_123/availability?{query}'

2. Book the spec's example (2 nights × 125,000 KRW); the booking id is kept in $BOOKING:
  BOOKING=$(curl -s -X POST {base}/api/booking/checkout -H 'Content-Type: application/json' \\
       -H "Idempotency-Key: demo-$RANDOM" -d '{body}' \\
       | tee /dev/stderr | sed -E 's/.*"bookingId":"([^"]+)".*/\\1/'); echo; echo "$BOOKING"

3. The booking: state, payment status and every saga step:
  curl {base}/api/bookings/$BOOKING

4. Cancel it (PMS cancel, refund, rooms back on sale):
  curl -X POST {base}/api/bookings/$BOOKING/cancel

The Mews hotel ({DEMO_MEWS_HOTEL}, PMS_{DEMO_MEWS_HOTEL}_VENDOR=mews; hotel_123 is a Cloudbeds hotel):
  curl '{base}/api/hotels/{DEMO_MEWS_HOTEL}/availability?{mews_query}'

5. Add the demo's importable hotel from the admin page: 숙박 카테고리 상품 추가 → PMS 연동 →
  PMS Cloudbeds, 호텔 ID {IMPORTABLE_HOTEL}, API 키 {DEMO_CLOUDBEDS_KEY} (the simulator takes any cbat_… key)
  → 불러오기 → 저장; it is bookable at once, without a restart:
  curl '{base}/api/hotels/{IMPORTABLE_HOTEL}/availability?{query}'
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
