"""Every Cloudbeds failure provoked through the simulator's `/_sim/faults` lands in its PMSError class."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx2
import pytest

from roomgate.pms.cloudbeds import CloudbedsConnector
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
from roomgate.pms.types import GuestInfo, ReservationRequest
from roomgate.simulators import cloudbeds as cloudbeds_sim
from roomgate.simulators.server import ServerThread
from tests.contract.pms.harness import CLOUDBEDS_KEY, SimHarness
from tests.fake_keys import cloudbeds_key

REQUEST = ReservationRequest(
    "bk_err", "room_456", date(2026, 3, 1), date(2026, 3, 3), 2, 0, GuestInfo("Ada", "Lee", "ada@example.com")
)


@pytest.mark.parametrize(
    ("faults", "expected"),
    [
        ({"status": 401}, PMSAuthenticationError),
        ({"status": 403}, PMSAuthenticationError),
        ({"status": 404}, PMSNotFound),
        ({"status": 400}, PMSBadRequest),
        ({"status": 500}, PMSTransientError),
        ({"status": 503}, PMSTransientError),
        ({"businessError": "Room type room_456 is not available on 2026-03-02"}, PMSSoldOut),
        ({"businessError": "Reservation not found"}, PMSNotFound),
        (
            {"businessError": "User who approved this connection is not active anymore"},
            PMSAuthenticationError,
        ),
        ({"businessError": "Invalid paymentMethod"}, PMSBadRequest),
    ],
)
async def test_each_fault_maps_to_its_error_class(
    cloudbeds: SimHarness, faults: dict[str, Any], expected: type[PMSError]
) -> None:
    # given
    await cloudbeds.faults(**faults, endpoints=["postReservation"])
    connector = cloudbeds.cloudbeds()
    # when
    with pytest.raises(PMSError) as raised:
        await connector.create_reservation(REQUEST)
    # then the exact class, naming vendor and hotel, never the key
    assert type(raised.value) is expected
    assert (raised.value.vendor, raised.value.hotel_id) == ("cloudbeds", "hotel_123")
    assert "cloudbeds/hotel_123: postReservation" in str(raised.value)
    assert CLOUDBEDS_KEY not in str(raised.value)


async def test_429_carries_retry_after(cloudbeds: SimHarness) -> None:
    # given
    await cloudbeds.faults(status=429, retryAfter=7)
    connector = cloudbeds.cloudbeds()
    # when
    with pytest.raises(PMSRateLimited) as raised:
        await connector.get_room_types()
    # then
    assert raised.value.retry_after == 7
    assert raised.value.retryable and raised.value.vendor_side


async def test_429_without_retry_after_has_none(cloudbeds: SimHarness) -> None:
    # given
    await cloudbeds.faults(status=429)
    # when
    with pytest.raises(PMSRateLimited) as raised:
        await cloudbeds.cloudbeds().get_room_types()
    # then
    assert raised.value.retry_after is None


async def test_a_hanging_vendor_times_out_with_the_client_deadline(cloudbeds: SimHarness) -> None:
    # given a vendor that never answers and a short per-request timeout
    await cloudbeds.faults(hang=True, endpoints=["getRatePlans"])
    connector = cloudbeds.cloudbeds(timeout=0.3)
    # when
    with pytest.raises(PMSTimeout) as raised:
        await connector.get_inventory(None, date(2026, 3, 1), date(2026, 3, 2))
    # then
    assert raised.value.retryable
    assert "getRatePlans" in str(raised.value)


async def test_a_refused_connection_is_transient() -> None:
    # given a port nobody listens on (a stopped server)
    server = ServerThread(cloudbeds_sim.create_app())
    with server:
        url = server.url
    async with httpx2.AsyncClient() as http:
        connector = CloudbedsConnector(
            hotel_id="hotel_123", api_key=CLOUDBEDS_KEY, http=http, base_url=f"{url}/api/v1.3", timeout=2.0
        )
        # when / then
        with pytest.raises(PMSTransientError):
            await connector.get_room_types()


async def test_a_wrong_key_is_refused_with_the_vendors_401_and_no_key_in_the_message(
    cloudbeds: SimHarness,
) -> None:
    # given a key without the cbat_ prefix
    secret = "not-a-cloudbeds-key-8f3a"
    connector = cloudbeds.cloudbeds(api_key=secret)
    # when
    with pytest.raises(PMSAuthenticationError) as raised:
        await connector.get_hotel_details()
    # then
    assert raised.value.status == 401
    assert "hotel_123" in str(raised.value) and secret not in str(raised.value)
    assert cloudbeds.recorder.vendor_calls()[-1].response.json() == {
        "error": "access_denied",
        "message": "The resource owner or authorization server denied the request.",
    }


async def test_a_simulator_bound_to_one_key_refuses_other_cbat_keys() -> None:
    # given
    app = cloudbeds_sim.create_app(api_key=cloudbeds_key("the_only_one"))
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app)) as http:

        def connector(key: str) -> CloudbedsConnector:
            return CloudbedsConnector(
                hotel_id="hotel_123", api_key=key, http=http, base_url="http://cb.sim/api/v1.3", timeout=5.0
            )

        # when / then
        with pytest.raises(PMSAuthenticationError):
            await connector(cloudbeds_key("another")).get_room_types()
        assert len(await connector(cloudbeds_key("the_only_one")).get_room_types()) == 3


async def test_a_property_the_key_does_not_cover_is_an_authentication_error(cloudbeds: SimHarness) -> None:
    # given
    connector = cloudbeds.cloudbeds(hotel_id="hotel_nowhere")
    # when / then
    with pytest.raises(PMSAuthenticationError) as raised:
        await connector.get_hotel_details()
    assert "hotel_nowhere" in str(raised.value)


async def test_guest_contacts_echoed_by_the_vendor_are_masked(cloudbeds: SimHarness) -> None:
    # given a vendor message that repeats the guest's e-mail and phone, and our key
    await cloudbeds.faults(
        businessError=f"Invalid guest ada@example.com +82-10-1234-5678 key {CLOUDBEDS_KEY}"
    )
    # when
    with pytest.raises(PMSBadRequest) as raised:
        await cloudbeds.cloudbeds().create_reservation(REQUEST)
    # then
    text = str(raised.value)
    assert "ada@example.com" not in text and "1234-5678" not in text and CLOUDBEDS_KEY not in text
    assert "[email]" in text
