"""The admin import's world: Cloudbeds and Mews simulators that accept one key each, and roomgate
(in a thread, or as `roomgate serve` processes) with a secret key for stored credentials."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2

from roomgate.app import create_app
from roomgate.cache.client import create_redis, fresh_in_process_redis
from roomgate.config import load_settings
from roomgate.container import build_container
from roomgate.ledger.migrate import upgrade
from roomgate.simulators.registry import create_simulator
from roomgate.simulators.server import ServerThread
from tests.fake_keys import cloudbeds_key

ADMIN_TOKEN = "admin-import-test-token"
CB_KEY = cloudbeds_key("import_key_7f3a9c41d2")
MEWS_TOKEN = "mews-access-token-b81e55aa"
# A fixed Fernet key for tests (32 url-safe base64 bytes); never a production value.
SECRET_KEY = "r2V0aGlzaXNhdGVzdGtleWZvcnJvb21nYXRlMTIzNDU="
ENV_HOTEL = "hotel_123"  # configured by environment variable
NEW_HOTEL = "hotel_777"  # in the simulators, not configured: the one to import


@dataclass
class Sims:
    cloudbeds: str
    mews: str


@contextlib.contextmanager
def vendor_sims() -> Iterator[Sims]:
    with (
        ServerThread(create_simulator("cloudbeds", api_key=CB_KEY)) as cloudbeds,
        ServerThread(create_simulator("mews", api_key=MEWS_TOKEN)) as mews,
    ):
        yield Sims(cloudbeds.url, mews.url)


def roomgate_env(sims: Sims, **extra: str) -> dict[str, str]:
    return {
        "CLOUDBEDS_BASE_URL": f"{sims.cloudbeds}/api/v1.3",
        "MEWS_BASE_URL": sims.mews,
        "MEWS_CLIENT_TOKEN": "mews-client-token-test",
        f"PMS_{ENV_HOTEL}_API_KEY": CB_KEY,
        "PAYMENT_PROVIDER": "sandbox",
        "ROOMGATE_ADMIN_TOKEN": ADMIN_TOKEN,
        "ROOMGATE_SECRET_KEY": SECRET_KEY,
        "ROOMGATE_PMS_TIMEOUT_SECONDS": "3",
        "ROOMGATE_RETRY_ATTEMPTS": "0",
        **extra,
    }


@dataclass
class AdminStack:
    url: str
    sims: Sims
    client: httpx2.Client

    def admin(self, method: str, path: str, **kw: Any) -> httpx2.Response:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", **kw.pop("headers", {})}
        return self.client.request(method, f"{self.url}/api/admin{path}", headers=headers, **kw)

    def sim_faults(self, vendor: str, **faults: Any) -> None:
        base = self.sims.cloudbeds if vendor == "cloudbeds" else self.sims.mews
        self.client.put(f"{base}/_sim/faults", json=faults).raise_for_status()


@contextlib.contextmanager
def patched_environ(values: dict[str, str]) -> Iterator[None]:
    previous = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def admin_stack(
    database_url: str, *, redis_url: str | None = None, sims: Sims | None = None, **env: str
) -> Iterator[AdminStack]:
    """roomgate in a thread on a real socket, with both simulators (or the ones given)."""
    upgrade(database_url)
    with contextlib.ExitStack() as stack:
        sims = sims or stack.enter_context(vendor_sims())
        stack.enter_context(patched_environ(roomgate_env(sims, **env)))
        settings = load_settings(database_url=database_url, redis_url=redis_url)

        def container_factory(s):  # type: ignore[no-untyped-def]
            return build_container(
                s, redis=create_redis(redis_url) if redis_url else fresh_in_process_redis()
            )

        server = stack.enter_context(ServerThread(create_app(settings, container_factory=container_factory)))
        client = stack.enter_context(httpx2.Client(timeout=30))
        yield AdminStack(server.url, sims, client)
