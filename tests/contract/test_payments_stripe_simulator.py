"""The Stripe simulator speaks Stripe: auth, form encoding, PaymentIntents, refunds, search, idempotency."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from roomgate.clock import FakeClock
from roomgate.simulators.stripe import create_app
from tests.contract.payments_harness import Sim, fixture, running

SECRET = "sk_test_simulatorTests001"
AUTH = {"Authorization": f"Bearer {SECRET}"}
HOLD = {
    "amount": "15000",
    "currency": "krw",
    "capture_method": "manual",
    "confirm": "true",
    "payment_method": "pm_card_visa",
}


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    clock = FakeClock()
    async with running(create_app(seed=2, clock=clock), "in-process", clock) as running_sim:
        yield running_sim


async def post(sim: Sim, path: str, data: dict[str, Any], key: str | None = None) -> httpx2.Response:
    headers = {**AUTH, **({"Idempotency-Key": key} if key is not None else {})}
    return await sim.client.post(f"{sim.base_url}{path}", data=data, headers=headers)


async def get(sim: Sim, path: str, **params: Any) -> httpx2.Response:
    return await sim.client.get(f"{sim.base_url}{path}", params=params, headers=AUTH)


async def test_basic_and_bearer_auth_with_a_test_secret_key_are_accepted(sim: Sim) -> None:
    basic = {"Authorization": "Basic " + base64.b64encode(f"{SECRET}:".encode()).decode()}
    publishable = {"Authorization": "Bearer pk_test_publishableOnly"}

    assert (await sim.client.get(f"{sim.base_url}/v1/refunds/re_x", headers=basic)).status_code == 404
    assert (await sim.client.get(f"{sim.base_url}/v1/refunds/re_x", headers=AUTH)).status_code == 404
    refused = await sim.client.get(f"{sim.base_url}/v1/refunds/re_x", headers=publishable)
    missing = await sim.client.get(f"{sim.base_url}/v1/refunds/re_x")
    assert (refused.status_code, missing.status_code) == (401, 401)
    assert refused.json()["error"]["type"] == "invalid_request_error"


async def test_manual_capture_flow_and_expanded_charge(sim: Sim) -> None:
    created = (await post(sim, "/v1/payment_intents", {**HOLD, "metadata[booking_id]": "bk-1"})).json()
    assert (created["status"], created["amount_capturable"], created["metadata"]) == (
        "requires_capture",
        15_000,
        {"booking_id": "bk-1"},
    )

    captured = (await post(sim, f"/v1/payment_intents/{created['id']}/capture", {})).json()
    expanded = (
        await get(sim, f"/v1/payment_intents/{created['id']}", **{"expand[]": "latest_charge"})
    ).json()

    assert (captured["status"], captured["amount_received"]) == ("succeeded", 15_000)
    assert expanded["latest_charge"]["id"] == captured["latest_charge"]
    assert (expanded["latest_charge"]["captured"], expanded["latest_charge"]["refunded"]) == (True, False)


async def test_decline_body_has_the_documented_shape(sim: Sim) -> None:
    response = await post(
        sim, "/v1/payment_intents", {**HOLD, "payment_method": "pm_card_chargeDeclinedInsufficientFunds"}
    )

    documented = fixture("stripe_error_card_declined.json")["error"]
    error = response.json()["error"]
    assert response.status_code == 402
    assert set(documented) <= set(error)
    assert (error["type"], error["code"], error["decline_code"]) == (
        documented["type"],
        documented["code"],
        documented["decline_code"],
    )
    assert error["payment_intent"]["status"] == "requires_payment_method"


async def test_capture_in_a_wrong_state_and_uncaptured_holds_lapse_after_seven_days(sim: Sim) -> None:
    created = (await post(sim, "/v1/payment_intents", HOLD)).json()
    sim.clock.advance(7 * 24 * 3600)

    response = await post(sim, f"/v1/payment_intents/{created['id']}/capture", {})

    error = response.json()["error"]
    assert (response.status_code, error["code"]) == (400, "payment_intent_unexpected_state")
    assert error["payment_intent"]["status"] == "canceled"
    assert error["payment_intent"]["cancellation_reason"] == "automatic"


async def test_refund_rules(sim: Sim) -> None:
    created = (await post(sim, "/v1/payment_intents", {**HOLD, "capture_method": "automatic"})).json()
    intent = {"payment_intent": created["id"]}

    too_much = await post(sim, "/v1/refunds", {**intent, "amount": "15001"})
    part = await post(sim, "/v1/refunds", {**intent, "amount": "5000", "reason": "requested_by_customer"})
    rest = await post(sim, "/v1/refunds", intent)
    again = await post(sim, "/v1/refunds", intent)

    assert (too_much.status_code, too_much.json()["error"]["code"]) == (400, "amount_too_large")
    assert (part.json()["amount"], rest.json()["amount"]) == (5_000, 10_000)
    assert (again.status_code, again.json()["error"]["code"]) == (400, "charge_already_refunded")
    charge = (await get(sim, f"/v1/payment_intents/{created['id']}", **{"expand[]": "latest_charge"})).json()
    assert (charge["latest_charge"]["amount_refunded"], charge["latest_charge"]["refunded"]) == (15_000, True)


async def test_search_by_metadata_handles_quotes(sim: Sim) -> None:
    await post(sim, "/v1/payment_intents", {**HOLD, "metadata[booking_id]": "bk-o'neil"})
    await post(sim, "/v1/payment_intents", {**HOLD, "metadata[booking_id]": "bk-other"})

    found = (
        await get(sim, "/v1/payment_intents/search", query="metadata['booking_id']:'bk-o\\'neil'")
    ).json()
    bad = await get(sim, "/v1/payment_intents/search", query="amount>10")

    assert found["object"] == "search_result"
    assert [i["metadata"]["booking_id"] for i in found["data"]] == ["bk-o'neil"]
    assert bad.status_code == 400


async def test_idempotent_replay_is_marked_and_executes_once(sim: Sim) -> None:
    first = await post(sim, "/v1/payment_intents", HOLD, key="k-1")
    replay = await post(sim, "/v1/payment_intents", HOLD, key="k-1")

    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert len((await sim.state())["payment_intents"]) == 1


async def test_same_key_with_other_parameters_or_endpoint_is_an_idempotency_error(sim: Sim) -> None:
    first = (await post(sim, "/v1/payment_intents", HOLD, key="k-2")).json()

    other_params = await post(sim, "/v1/payment_intents", {**HOLD, "amount": "1"}, key="k-2")
    other_endpoint = await post(sim, f"/v1/payment_intents/{first['id']}/capture", {}, key="k-2")

    for response in (other_params, other_endpoint):
        assert (response.status_code, response.json()["error"]["type"]) == (400, "idempotency_error")
    assert response.json().keys() == fixture("stripe_error_idempotency.json").keys()


async def test_keys_are_pruned_after_24_hours(sim: Sim) -> None:
    await post(sim, "/v1/payment_intents", HOLD, key="k-3")
    sim.clock.advance(24 * 3600)

    await post(sim, "/v1/payment_intents", HOLD, key="k-3")

    assert len((await sim.state())["payment_intents"]) == 2


async def test_validation_errors_and_injected_faults_are_not_stored(sim: Sim) -> None:
    invalid = await post(sim, "/v1/payment_intents", {"currency": "krw"}, key="k-4")
    await sim.faults(status=503)
    faulted = await post(sim, "/v1/payment_intents", HOLD, key="k-4")
    await sim.faults()

    valid = await post(sim, "/v1/payment_intents", HOLD, key="k-4")

    assert (invalid.status_code, invalid.json()["error"]["code"]) == (400, "parameter_missing")
    assert (faulted.status_code, faulted.json()["error"]["type"]) == (503, "api_error")
    assert valid.status_code == 200 and "Idempotent-Replayed" not in valid.headers


async def create_or_time_out(sim: Sim, key: str) -> str:
    """The status code, or "timeout" when no answer came within a second."""
    try:
        async with asyncio.timeout(1.0):  # ASGITransport has no network timeouts of its own
            response = await sim.client.post(
                f"{sim.base_url}/v1/payment_intents", data=HOLD, headers={**AUTH, "Idempotency-Key": key}
            )
    except TimeoutError:
        return "timeout"
    return str(response.status_code)


async def test_concurrent_requests_with_one_key_execute_once(sim: Sim) -> None:
    # given requests are held inside the endpoint (they hang until their client gives up)
    await sim.faults(hang=True, endpoints=["createPaymentIntent"])

    # when two requests share a key
    outcomes = await asyncio.gather(create_or_time_out(sim, "k-5"), create_or_time_out(sim, "k-5"))

    # then one ran (and hung) and the other was refused as a concurrent duplicate
    assert sorted(outcomes) == ["409", "timeout"]
    assert (await sim.state())["calls"]["createPaymentIntent"] == 1


async def test_negative_control_different_keys_both_execute(sim: Sim) -> None:
    await sim.faults(hang=True, endpoints=["createPaymentIntent"])

    outcomes = await asyncio.gather(create_or_time_out(sim, "k-6"), create_or_time_out(sim, "k-7"))

    # the harness does see two executions when the keys differ
    assert outcomes == ["timeout", "timeout"]
    assert (await sim.state())["calls"]["createPaymentIntent"] == 2


async def test_unknown_payment_method_and_missing_intent(sim: Sim) -> None:
    unknown = await post(sim, "/v1/payment_intents", {**HOLD, "payment_method": "pm_card_bogus"})
    missing = await get(sim, "/v1/payment_intents/pi_missing")

    assert (unknown.status_code, unknown.json()["error"]["code"]) == (400, "resource_missing")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "resource_missing")


async def test_authentication_required_card_needs_action(sim: Sim) -> None:
    response = await post(
        sim, "/v1/payment_intents", {**HOLD, "payment_method": "pm_card_authenticationRequired"}
    )
    assert (response.status_code, response.json()["status"]) == (200, "requires_action")


async def test_reset_forgets_intents_and_keys(sim: Sim) -> None:
    await post(sim, "/v1/payment_intents", HOLD, key="k-8")
    await sim.client.post(f"{sim.base_url}/_sim/reset")

    again = await post(sim, "/v1/payment_intents", HOLD, key="k-8")

    assert "Idempotent-Replayed" not in again.headers
    assert len((await sim.state())["payment_intents"]) == 1
