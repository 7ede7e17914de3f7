"""Simulator webhook controls: Cloudbeds subscriptions, other-channel bookings, delivery faults."""

from __future__ import annotations

from typing import Any

import httpx2

from roomgate.simulators import cloudbeds, mews
from tests.fake_keys import cloudbeds_key

KEY = {"x-api-key": cloudbeds_key("sim_webhooks")}


def client(app: Any) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://sim")


async def test_cloudbeds_subscriptions_are_validated_listed_and_deleted() -> None:
    async with client(cloudbeds.create_app()) as sim:
        form = {"propertyID": "hotel_123", "object": "reservation", "action": "created"}
        # a subscription needs an http(s) endpoint
        bad = await sim.post("/api/v1.3/postWebhook", data={**form, "endpointUrl": "ftp://x"}, headers=KEY)
        assert bad.status_code == 400 and bad.json()["success"] is False
        made = await sim.post(
            "/api/v1.3/postWebhook", data={**form, "endpointUrl": "https://rg/x"}, headers=KEY
        )
        again = await sim.post(
            "/api/v1.3/postWebhook", data={**form, "endpointUrl": "https://rg/x"}, headers=KEY
        )
        sub_id = made.json()["data"]["subscriptionID"]
        assert again.json()["data"]["subscriptionID"] == sub_id  # identical subscription: same id
        listed = (
            await sim.get("/api/v1.3/getWebhooks", params={"propertyID": "hotel_123"}, headers=KEY)
        ).json()
        assert [(s["id"], s["event"], s["subscriptionData"]) for s in listed["data"]] == [
            (sub_id, {"entity": "reservation", "action": "created"}, {"endpoint": "https://rg/x"})
        ]
        # deleteWebhook takes query parameters; an unknown id is refused
        gone = await sim.delete("/api/v1.3/deleteWebhook", params={"subscriptionID": sub_id}, headers=KEY)
        assert gone.json() == {"success": True}
        missing = await sim.delete("/api/v1.3/deleteWebhook", params={"subscriptionID": sub_id}, headers=KEY)
        assert missing.json()["success"] is False


async def test_another_channel_books_all_rooms_or_none_and_faults_are_validated() -> None:
    for module in (cloudbeds, mews):
        async with client(module.create_app()) as sim:
            body = {"roomTypeId": "room_456", "from": "2027-03-01", "to": "2027-03-03", "quantity": 5}
            assert (await sim.post("/_sim/properties/hotel_123/reservations", json=body)).status_code == 200
            # every room is gone now: the next booking is refused and takes nothing
            short = await sim.post("/_sim/properties/hotel_123/reservations", json={**body, "quantity": 1})
            assert short.status_code == 409
            unknown = await sim.post("/_sim/properties/nope/reservations", json=body)
            assert unknown.status_code == 404
            assert len((await sim.get("/_sim/state")).json()["reservations"]) == 5
            # delivery faults are bounded
            assert (await sim.put("/_sim/webhooks/faults", json={"drop": 2})).status_code == 422
            assert (
                await sim.put("/_sim/webhooks/faults", json={"duplicate": 0.5, "reorder": True})
            ).status_code == 200
