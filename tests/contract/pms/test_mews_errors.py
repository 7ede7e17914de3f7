"""Every Mews failure provoked through the simulator's `/_sim/faults` lands in its PMSError class."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx2
import pytest

from roomgate.pms.errors import (
    PMSAuthenticationError,
    PMSBadRequest,
    PMSError,
    PMSNotFound,
    PMSRateLimited,
    PMSSoldOut,
    PMSTimeout,
    PMSTransientError,
)
from roomgate.pms.mews import MewsConnector
from roomgate.pms.types import GuestInfo, ReservationRequest
from roomgate.simulators import mews as mews_sim
from tests.contract.pms.harness import MEWS_ACCESS_TOKEN, MEWS_CLIENT_TOKEN, SimHarness

REQUEST = ReservationRequest(
    "bk_err",
    "room_456",
    date(2026, 3, 1),
    date(2026, 3, 3),
    2,
    0,
    GuestInfo("Ada", "Lee", "ada@example.com"),
    hold_seconds=180,
)


@pytest.mark.parametrize(
    ("faults", "expected"),
    [
        ({"status": 400}, PMSBadRequest),
        ({"status": 401}, PMSAuthenticationError),
        ({"status": 403}, PMSBadRequest),
        ({"status": 404}, PMSNotFound),
        ({"status": 408}, PMSTimeout),
        ({"status": 409}, PMSTransientError),
        ({"status": 500}, PMSTransientError),
        ({"businessError": "No availability in the requested resource category."}, PMSSoldOut),
        ({"businessError": "The reservation is outside of the editable history interval."}, PMSBadRequest),
    ],
)
async def test_each_fault_maps_to_its_error_class(
    mews: SimHarness, faults: dict[str, Any], expected: type[PMSError]
) -> None:
    # given
    await mews.faults(**faults, endpoints=["reservations/add"])
    connector = mews.mews()
    # when
    with pytest.raises(PMSError) as raised:
        await connector.create_reservation(REQUEST)
    # then
    assert type(raised.value) is expected
    assert "mews/hotel_123: reservations/add" in str(raised.value)
    assert MEWS_ACCESS_TOKEN not in str(raised.value) and MEWS_CLIENT_TOKEN not in str(raised.value)


async def test_429_carries_retry_after(mews: SimHarness) -> None:
    # given
    await mews.faults(status=429, retryAfter=12)
    # when
    with pytest.raises(PMSRateLimited) as raised:
        await mews.mews().get_hotel_details()
    # then
    assert raised.value.retry_after == 12
    assert mews.recorder.vendor_calls()[-1].response.json()["Message"]


async def test_a_hanging_vendor_times_out_with_the_client_deadline(mews: SimHarness) -> None:
    # given
    await mews.faults(hang=True, endpoints=["services/getAvailability"])
    connector = mews.mews(timeout=0.3)
    # when / then
    with pytest.raises(PMSTimeout) as raised:
        await connector.get_inventory(None, date(2026, 3, 1), date(2026, 3, 2))
    assert "services/getAvailability" in str(raised.value)


async def test_confirm_of_a_cancelled_reservation_is_refused_as_a_business_rule(mews: SimHarness) -> None:
    # given
    connector = mews.mews()
    created = await connector.create_reservation(REQUEST)
    await connector.cancel_reservation(created.reservation_id)
    # when / then
    with pytest.raises(PMSBadRequest) as raised:
        await connector.confirm_reservation(created.reservation_id)
    assert raised.value.status == 403


async def test_a_simulator_bound_to_one_access_token_refuses_others() -> None:
    # given
    app = mews_sim.create_app(api_key="the-only-token")
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app)) as http:

        def connector(token: str) -> MewsConnector:
            return MewsConnector(
                hotel_id="hotel_123",
                access_token=token,
                client_token=MEWS_CLIENT_TOKEN,
                http=http,
                base_url="http://mews.sim",
                timeout=5.0,
                enterprise_id="hotel_123",
            )

        # when
        with pytest.raises(PMSAuthenticationError) as raised:
            await connector("wrong-token-7b1e").get_hotel_details()
        hotel = await connector("the-only-token").get_hotel_details()
    # then
    assert raised.value.status == 401 and "wrong-token-7b1e" not in str(raised.value)
    assert hotel.name == "Roomgate Demo Hotel Seoul"


async def test_an_enterprise_outside_the_tokens_scope_is_an_authentication_error(mews: SimHarness) -> None:
    # given
    connector = mews.mews(hotel_id="hotel_nowhere")
    # when / then
    with pytest.raises(PMSAuthenticationError) as raised:
        await connector.get_hotel_details()
    assert "hotel_nowhere" in str(raised.value)


async def test_the_exact_path_matters(mews: SimHarness) -> None:
    # given a path with a trailing slash, which Mews answers with 404
    body = {"ClientToken": "c", "AccessToken": "a", "Client": "t 1.0"}
    # when
    response = await mews.http.post(f"{mews.root}/api/connector/v1/configuration/get/", json=body)
    # then
    assert response.status_code == 404 and "Message" in response.json()


async def test_time_units_must_start_at_local_midnight(mews: SimHarness) -> None:
    # given the service id and a UTC midnight, which is 09:00 in Seoul
    connector = mews.mews()
    setup = await connector.setup()
    body = {
        "ClientToken": "c",
        "AccessToken": "a",
        "Client": "t 1.0",
        "ServiceId": setup.service_id,
        "FirstTimeUnitStartUtc": "2026-03-01T00:00:00Z",
        "LastTimeUnitStartUtc": "2026-03-02T00:00:00Z",
    }
    # when
    wrong = await mews.http.post(f"{mews.root}/api/connector/v1/services/getAvailability", json=body)
    right = await mews.http.post(
        f"{mews.root}/api/connector/v1/services/getAvailability",
        json={
            **body,
            "FirstTimeUnitStartUtc": "2026-02-28T15:00:00Z",
            "LastTimeUnitStartUtc": "2026-03-01T15:00:00Z",
        },
    )
    # then
    assert wrong.status_code == 400
    assert right.status_code == 200 and len(right.json()["TimeUnitStartsUtc"]) == 2
