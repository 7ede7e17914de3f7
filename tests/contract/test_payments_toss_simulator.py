"""The Toss simulator speaks Toss: auth, Payment objects, error codes, expiry and Idempotency-Key replay."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from roomgate.clock import FakeClock
from roomgate.simulators.toss import create_app
from tests.contract.payments_harness import Sim, fixture, running

SECRET = "test_sk_simulatorTests001"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{SECRET}:".encode()).decode()}


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    clock = FakeClock()
    async with running(create_app(seed=1, clock=clock), "in-process", clock) as running_sim:
        yield running_sim


async def authenticated(sim: Sim, order_id: str = "order-sim-01", amount: int = 15_000, **extra: Any) -> str:
    response = await sim.client.post(
        f"{sim.base_url}/_sim/payments", json={"orderId": order_id, "amount": amount, **extra}
    )
    assert response.status_code == 200
    return str(response.json()["paymentKey"])


async def post(
    sim: Sim, path: str, body: dict[str, Any], key: str | None = None, **headers: str
) -> httpx2.Response:
    extra = {"Idempotency-Key": key} if key is not None else {}
    return await sim.client.post(f"{sim.base_url}{path}", json=body, headers={**AUTH, **extra, **headers})


async def get(sim: Sim, path: str) -> httpx2.Response:
    return await sim.client.get(f"{sim.base_url}{path}", headers=AUTH)


def confirm_body(payment_key: str, order_id: str = "order-sim-01", amount: int = 15_000) -> dict[str, Any]:
    # the documented request body, with this payment's values
    return {
        **fixture("toss_confirm_request.json"),
        "paymentKey": payment_key,
        "orderId": order_id,
        "amount": amount,
    }


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "UNAUTHORIZED_KEY"),
        ("Bearer " + SECRET, "UNAUTHORIZED_KEY"),
        (
            "Basic " + base64.b64encode(SECRET.encode()).decode(),
            "INCORRECT_BASIC_AUTH_FORMAT",
        ),  # no trailing colon
        ("Basic !!!notbase64", "INCORRECT_BASIC_AUTH_FORMAT"),
        ("Basic " + base64.b64encode(b"test_ck_clientKeyOnly:").decode(), "UNAUTHORIZED_KEY"),
    ],
)
async def test_requests_without_a_secret_key_in_basic_auth_are_refused(
    sim: Sim, header: str | None, code: str
) -> None:
    key = await authenticated(sim)
    headers = {"Authorization": header} if header else {}

    response = await sim.client.get(f"{sim.base_url}/v1/payments/{key}", headers=headers)

    assert response.status_code == 401
    assert response.json()["code"] == code


async def test_widget_secret_keys_are_accepted_and_a_configured_key_is_exclusive() -> None:
    clock = FakeClock()
    gsk = {"Authorization": "Basic " + base64.b64encode(b"test_gsk_widgetKey01:").decode()}
    async with running(create_app(clock=clock), "in-process", clock) as open_sim:
        key = await authenticated(open_sim)
        assert (
            await open_sim.client.get(f"{open_sim.base_url}/v1/payments/{key}", headers=gsk)
        ).status_code == 200
    async with running(create_app(secret_key=SECRET, clock=clock), "in-process", clock) as strict:
        key = await authenticated(strict)
        assert (
            await strict.client.get(f"{strict.base_url}/v1/payments/{key}", headers=gsk)
        ).status_code == 401
        assert (
            await strict.client.get(f"{strict.base_url}/v1/payments/{key}", headers=AUTH)
        ).status_code == 200


async def test_unknown_payment_answers_the_documented_error_body(sim: Sim) -> None:
    response = await get(sim, "/v1/payments/tgen_unknown")

    documented = fixture("toss_error_not_found.json")
    assert response.status_code == 404
    assert response.json().keys() == documented.keys()
    assert response.json()["code"] == documented["code"]


async def test_payment_object_carries_every_documented_field(sim: Sim) -> None:
    key = await authenticated(sim)
    assert (await post(sim, "/v1/payments/confirm", confirm_body(key))).status_code == 200

    payment = (await get(sim, f"/v1/payments/{key}")).json()

    assert set(fixture("toss_payment_aborted.json")) <= set(payment)
    assert (payment["status"], payment["totalAmount"], payment["balanceAmount"]) == ("DONE", 15_000, 15_000)
    assert payment["approvedAt"].endswith("+09:00")
    assert (await get(sim, "/v1/payments/orders/order-sim-01")).json()["paymentKey"] == key


async def test_confirm_rejects_another_order_or_amount_with_tosss_codes(sim: Sim) -> None:
    key = await authenticated(sim)

    other_order = await post(sim, "/v1/payments/confirm", confirm_body(key, order_id="order-sim-99"))
    other_amount = await post(sim, "/v1/payments/confirm", confirm_body(key, amount=14_000))

    assert (other_order.status_code, other_order.json()["code"]) == (404, "NOT_FOUND_PAYMENT_SESSION")
    assert (other_amount.status_code, other_amount.json()["code"]) == (400, "INVALID_REQUEST")
    assert (await get(sim, f"/v1/payments/{key}")).json()["status"] == "IN_PROGRESS"


async def test_confirm_twice_without_a_key_is_already_processed(sim: Sim) -> None:
    key = await authenticated(sim)
    assert (await post(sim, "/v1/payments/confirm", confirm_body(key))).status_code == 200

    again = await post(sim, "/v1/payments/confirm", confirm_body(key))

    assert (again.status_code, again.json()["code"]) == (400, "ALREADY_PROCESSED_PAYMENT")


async def test_authentication_expires_after_ten_minutes(sim: Sim) -> None:
    # given an authentication nine minutes and 59 seconds old is still approvable
    early, late = await authenticated(sim, "order-early1"), await authenticated(sim, "order-late01")
    sim.clock.advance(599)
    assert (await post(sim, "/v1/payments/confirm", confirm_body(early, "order-early1"))).status_code == 200

    # when one more second passes
    sim.clock.advance(1)
    response = await post(sim, "/v1/payments/confirm", confirm_body(late, "order-late01"))

    # then the session is gone and the payment reads EXPIRED, as Toss documents it
    assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND_PAYMENT_SESSION")
    payment = (await get(sim, f"/v1/payments/{late}")).json()
    documented = fixture("toss_payment_expired.json")
    assert (payment["status"], payment["failure"]) == (documented["status"], documented["failure"])


async def test_card_company_refusal_aborts_the_payment(sim: Sim) -> None:
    key = await authenticated(sim, rejectCode="REJECT_CARD_PAYMENT")

    response = await post(sim, "/v1/payments/confirm", confirm_body(key))

    assert (response.status_code, response.json()["code"]) == (403, "REJECT_CARD_PAYMENT")
    payment = (await get(sim, f"/v1/payments/{key}")).json()
    assert (payment["status"], payment["failure"]["code"]) == ("ABORTED", "REJECT_CARD_PAYMENT")


async def test_idempotency_key_replays_the_first_answer_even_for_another_body(sim: Sim) -> None:
    # given two authenticated payments
    first, second = await authenticated(sim, "order-first1"), await authenticated(sim, "order-secnd1")
    answer = await post(sim, "/v1/payments/confirm", confirm_body(first, "order-first1"), key="k-1")

    # when the same key is sent for the other payment (Toss scopes keys by key + API key + URL + method)
    replay = await post(sim, "/v1/payments/confirm", confirm_body(second, "order-secnd1"), key="k-1")

    # then the first answer comes back and the second payment is untouched
    assert (replay.status_code, replay.json()) == (answer.status_code, answer.json())
    assert (await get(sim, f"/v1/payments/{second}")).json()["status"] == "IN_PROGRESS"
    assert (await sim.state())["calls"]["confirm"] == 2


async def test_idempotency_key_is_scoped_by_url_and_forgotten_after_fifteen_days(sim: Sim) -> None:
    key = await authenticated(sim)
    await post(sim, "/v1/payments/confirm", confirm_body(key), key="k-2")
    cancel = await post(sim, f"/v1/payments/{key}/cancel", fixture("toss_cancel_request.json"), key="k-2")
    assert (
        cancel.status_code == 200 and cancel.json()["status"] == "PARTIAL_CANCELED"
    )  # another URL: executed

    sim.clock.advance(15 * 24 * 3600)
    again = await post(sim, "/v1/payments/confirm", confirm_body(key), key="k-2")

    assert (again.status_code, again.json()["code"]) == (400, "ALREADY_PROCESSED_PAYMENT")


async def test_idempotency_key_longer_than_300_characters_is_refused(sim: Sim) -> None:
    key = await authenticated(sim)
    response = await post(sim, "/v1/payments/confirm", confirm_body(key), key="k" * 301)
    assert (response.status_code, response.json()["code"]) == (400, "INVALID_REQUEST")


async def test_injected_faults_are_never_stored_under_a_key(sim: Sim) -> None:
    key = await authenticated(sim)
    await sim.faults(status=500, endpoints=["confirm"])
    failed = await post(sim, "/v1/payments/confirm", confirm_body(key), key="k-3")
    await sim.faults()

    retried = await post(sim, "/v1/payments/confirm", confirm_body(key), key="k-3")

    assert (failed.status_code, failed.json()["code"]) == (500, "FAILED_INTERNAL_SYSTEM_PROCESSING")
    assert (retried.status_code, retried.json()["status"]) == (200, "DONE")


async def test_cancel_rules(sim: Sim) -> None:
    key = await authenticated(sim)
    path = f"/v1/payments/{key}/cancel"

    not_yet = await post(sim, path, {"cancelReason": "x"})
    await post(sim, "/v1/payments/confirm", confirm_body(key))
    no_reason = await post(sim, path, {"cancelAmount": 100})
    too_much = await post(sim, path, {"cancelReason": "x", "cancelAmount": 15_001})
    full = await post(sim, path, {"cancelReason": "x"})
    twice = await post(sim, path, {"cancelReason": "x"})

    assert (not_yet.status_code, not_yet.json()["code"]) == (403, "NOT_CANCELABLE_PAYMENT")
    assert (no_reason.status_code, no_reason.json()["code"]) == (400, "INVALID_REQUEST")
    assert (too_much.status_code, too_much.json()["code"]) == (403, "NOT_CANCELABLE_AMOUNT")
    assert (full.status_code, full.json()["status"], full.json()["balanceAmount"]) == (200, "CANCELED", 0)
    assert full.json()["cancels"][0]["cancelAmount"] == 15_000
    assert (twice.status_code, twice.json()["code"]) == (400, "ALREADY_CANCELED_PAYMENT")


async def test_business_error_fault_is_a_400_with_that_code(sim: Sim) -> None:
    key = await authenticated(sim)
    await sim.faults(businessError="PROVIDER_ERROR")

    response = await get(sim, f"/v1/payments/{key}")

    assert (response.status_code, response.json()["code"]) == (400, "PROVIDER_ERROR")


async def test_state_lists_payments_and_reset_forgets_them(sim: Sim) -> None:
    key = await authenticated(sim)
    await get(sim, f"/v1/payments/{key}")

    state = await sim.state()
    assert state["payments"] == [
        {
            "paymentKey": key,
            "orderId": "order-sim-01",
            "status": "IN_PROGRESS",
            "totalAmount": 15_000,
            "balanceAmount": 15_000,
            "cancels": 0,
        }
    ]
    assert state["calls"] == {"getPayment": 1}
    assert (await sim.client.post(f"{sim.base_url}/_sim/reset")).status_code == 200
    assert (await sim.state())["payments"] == []
    assert (await get(sim, f"/v1/payments/{key}")).status_code == 404


async def test_widget_stand_in_validates_its_input(sim: Sim) -> None:
    response = await sim.client.post(f"{sim.base_url}/_sim/payments", json={"orderId": "short", "amount": 0})
    assert response.status_code == 422
