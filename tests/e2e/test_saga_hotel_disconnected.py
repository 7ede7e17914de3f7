"""A hotel whose PMS credentials are gone while its availability is still cached.

Pricing is served from the cache, so nothing notices the missing credentials until the saga needs
the PMS connector — after it has held rooms and pre-authorised the guest's card.
"""

from __future__ import annotations

from pathlib import Path

import pytest

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
            # and, once recovery has had its turn, no money is held and no room is held for it
            booking_id = response.headers.get("x-booking-id")
            if booking_id and await roomgate.container.bookings.find(booking_id):
                await roomgate.age(booking_id)
                await roomgate.container.recovery.run_once()
            payment = await roomgate.container.gateway("sandbox").find_by_booking(booking_id or "")
            assert payment is None or payment.status.value == "voided"
            inventory = await roomgate.client.get(inventory_url, params=params)
            assert [n["available"] for n in inventory.json()["nights"]] == [5, 5]
