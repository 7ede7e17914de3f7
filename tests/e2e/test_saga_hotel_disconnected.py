"""A hotel whose PMS credentials are gone while its availability is still cached.

Pricing is served from the cache, so nothing would notice the missing credentials until the saga
needs the PMS connector. The saga asks for the connector before its first side effect: the checkout
is refused before a booking, a hold or a pre-authorisation exists.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from roomgate.config import to_async_database_url
from tests.e2e.saga_harness import HOTEL, ROOM, checkout_body, running_roomgate, running_vendors, stay


async def test_a_checkout_for_a_disconnected_hotel_is_refused_before_any_money_is_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_vendors("cloudbeds") as vendors:
        async with running_roomgate(f"sqlite:///{tmp_path}/ledger.db", vendors, monkeypatch) as roomgate:
            # given the stay's availability cached, and then the hotel's PMS credentials removed
            start, end = stay(offset_days=80)
            params = {"vendor": "cloudbeds", "from": start.isoformat(), "to": end.isoformat()}
            inventory_url = f"/api/hotels/{HOTEL}/room-types/{ROOM}/inventory"
            warm = await roomgate.client.get(inventory_url, params=params)
            assert warm.status_code == 200, warm.text
            monkeypatch.delenv(f"PMS_{HOTEL}_API_KEY")
            # when a guest checks out
            response = await roomgate.checkout(checkout_body(start, end))
            # then the checkout is refused
            assert response.status_code == 404 and response.json()["errorCode"] == "NOT_FOUND"
            # and it was refused before anything happened: no booking written, no card pre-authorised,
            # no room held (at once: nothing is left for recovery to undo)
            assert "x-booking-id" not in response.headers  # only a booking that exists is named
            assert await booking_rows(f"sqlite:///{tmp_path}/ledger.db") == 0
            assert [k async for k in roomgate.container.redis.scan_iter("pay:sandbox:*")] == []
            inventory = await roomgate.client.get(inventory_url, params=params)
            assert [n["available"] for n in inventory.json()["nights"]] == [5, 5]


async def booking_rows(database_url: str) -> int:
    engine = create_async_engine(to_async_database_url(database_url))
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text("SELECT COUNT(*) FROM booking"))).scalar_one())
    finally:
        await engine.dispose()
