"""A hotel whose PMS credentials are gone while its availability is still cached.

Pricing is served from the cache, so nothing would notice the missing credentials until the saga
needs the PMS connector. The saga asks for the connector before its first side effect: the checkout
is refused before a booking, a hold or a pre-authorisation exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from roomgate.config import to_async_database_url
from tests.e2e.saga_harness import HOTEL, ROOM, checkout_body, running_roomgate, running_vendors, stay


async def test_a_checkout_for_a_disconnected_hotel_is_refused_before_any_money_is_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await checkout_side_effects(tmp_path, monkeypatch, disconnect=True) == NOTHING


async def test_negative_control_a_connected_hotel_shows_every_side_effect_the_probes_look_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the same probes after a checkout that went through see each trace the refusal must not leave
    assert await checkout_side_effects(tmp_path, monkeypatch, disconnect=False) == SideEffects(
        status=(200, None),
        booking_named=True,
        booking_rows=1,
        payment_keys=True,
        hold_keys=True,
        pms_reservations_posted=1,
    )


@dataclass(frozen=True)
class SideEffects:
    status: tuple[int, str | None]
    booking_named: bool  # the answer names a booking (x-booking-id)
    booking_rows: int
    payment_keys: bool  # the sandbox gateway stored an authorisation
    hold_keys: bool
    pms_reservations_posted: int


# refused before anything happened: no booking written, no card pre-authorised, no room held, the PMS
# never asked (at once: nothing is left for recovery to undo)
NOTHING = SideEffects(
    status=(404, "NOT_FOUND"),
    booking_named=False,
    booking_rows=0,
    payment_keys=False,
    hold_keys=False,
    pms_reservations_posted=0,
)


async def checkout_side_effects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, disconnect: bool
) -> SideEffects:
    database = f"sqlite:///{tmp_path}/ledger.db"
    with running_vendors("cloudbeds") as vendors:
        async with running_roomgate(database, vendors, monkeypatch) as roomgate:
            # given the stay's availability cached, and then (maybe) the hotel's PMS credentials removed
            start, end = stay(offset_days=80)
            params = {"vendor": "cloudbeds", "from": start.isoformat(), "to": end.isoformat()}
            inventory_url = f"/api/hotels/{HOTEL}/room-types/{ROOM}/inventory"
            warm = await roomgate.client.get(inventory_url, params=params)
            assert warm.status_code == 200, warm.text
            if disconnect:
                monkeypatch.delenv(f"PMS_{HOTEL}_API_KEY")
            # when a guest checks out
            response = await roomgate.checkout(checkout_body(start, end))
            # then these are the traces it left
            redis = roomgate.container.redis
            return SideEffects(
                status=(response.status_code, response.json().get("errorCode")),
                booking_named="x-booking-id" in response.headers,
                booking_rows=await booking_rows(database),
                payment_keys=[k async for k in redis.scan_iter("pay:sandbox:*")] != [],
                hold_keys=[k async for k in redis.scan_iter("hold:*")] != [],
                pms_reservations_posted=vendors.state("cloudbeds")["calls"].get("postReservation", 0),
            )


async def booking_rows(database_url: str) -> int:
    engine = create_async_engine(to_async_database_url(database_url))
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text("SELECT COUNT(*) FROM booking"))).scalar_one())
    finally:
        await engine.dispose()
