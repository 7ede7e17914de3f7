"""The PMS's own total of a reservation, read back by both connectors from their simulators (issue 16).

Cloudbeds: `getReservation` `total`. Mews: the gross sum of `orderItems/getAll` items of the
reservation (`ServiceOrderIds`) that are not cancelled. The simulators' `/_sim/properties/{id}/
price-adjustment` makes the PMS bill another amount than the nightly rates, as a fee would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import httpx2
import pytest

from roomgate.clock import FakeClock
from roomgate.domain.money import Money
from roomgate.pms.base import PMSConnector, reservation_total
from roomgate.pms.types import GuestInfo, ReservationRequest
from roomgate.simulators import cloudbeds as cloudbeds_sim
from roomgate.simulators import mews as mews_sim
from tests.contract.pms.harness import RecordingTransport, SimHarness

MAR_1, MAR_3 = date(2026, 3, 1), date(2026, 3, 3)
GUEST = GuestInfo("길동", "홍", "hong@example.com", "+82-10-1234-5678", "KR", "04524")


def krw(minor: int) -> Money:
    return Money.from_minor(minor, "KRW")


def request(external_id: str) -> ReservationRequest:
    # a total we claim to pay (the quote): the connectors must never report it back as the PMS's
    return ReservationRequest(
        external_id, "room_456", MAR_1, MAR_3, 2, 0, GUEST, total=krw(250000), hold_seconds=180
    )


@pytest.fixture(params=["cloudbeds", "mews"])
async def pms(request: pytest.FixtureRequest) -> AsyncIterator[tuple[SimHarness, PMSConnector]]:
    """Either simulator in-process (the per-vendor contract files also run them over a socket)."""
    vendor = str(request.param)
    module = cloudbeds_sim if vendor == "cloudbeds" else mews_sim
    clock = FakeClock()
    recorder = RecordingTransport(httpx2.ASGITransport(app=module.create_app(clock=clock)))
    async with httpx2.AsyncClient(transport=recorder) as http:
        harness = SimHarness(vendor, "in-process", f"http://{vendor}.sim", clock, http, recorder)
        yield harness, harness.cloudbeds() if vendor == "cloudbeds" else harness.mews()


async def _made(connector: PMSConnector, external_id: str) -> str:
    created = await connector.create_reservation(request(external_id))
    return (await connector.confirm_reservation(created.reservation_id)).reservation_id


async def test_the_total_is_the_nightly_rates_when_the_pms_adds_nothing(
    pms: tuple[SimHarness, PMSConnector],
) -> None:
    _, connector = pms
    reservation_id = await _made(connector, "bk_plain")
    assert await reservation_total(connector, reservation_id) == krw(250000)  # 2 × 125,000


@pytest.mark.parametrize("adjustment", [5000, -1000])
async def test_a_fee_or_discount_the_pms_adds_at_booking_is_in_the_total(
    pms: tuple[SimHarness, PMSConnector], adjustment: int
) -> None:
    # given one reservation before and one after the hotel adds a fee (or a discount) at booking time
    harness, connector = pms
    before = await _made(connector, "bk_before")
    await harness.control("PUT", "/_sim/properties/hotel_123/price-adjustment", {"amount": str(adjustment)})
    after = await _made(connector, "bk_after")
    # then the read-back sees the PMS's amount for the new one, and the old one is unchanged
    assert await reservation_total(connector, after) == krw(250000 + adjustment)
    assert await reservation_total(connector, before) == krw(250000)
    # and clearing the adjustment ends it
    await harness.control("PUT", "/_sim/properties/hotel_123/price-adjustment", {"amount": "0"})
    assert await reservation_total(connector, await _made(connector, "bk_cleared")) == krw(250000)


async def test_mews_reads_the_total_from_the_order_items(mews: SimHarness) -> None:
    # given a confirmed reservation with a fee
    connector = mews.mews()
    await mews.control("PUT", "/_sim/properties/hotel_123/price-adjustment", {"amount": "3000"})
    reservation_id = await _made(connector, "bk_items")
    mews.recorder.exchanges.clear()
    # when its total is read
    total = await connector.get_reservation_total(reservation_id)
    # then one orderItems/getAll filtered by the reservation, summing gross values of live items
    assert total == krw(253000)
    [call] = mews.recorder.vendor_calls()
    assert call.request.url.path.endswith("/orderItems/getAll")
    items = call.response.json()["OrderItems"]
    assert sorted(i["Type"] for i in items) == ["SpaceOrder", "SpaceOrder", "Surcharge"]
    assert {i["ServiceOrderId"] for i in items} == {reservation_id}
    assert {i["AccountingState"] for i in items} == {"Open"}


async def test_mews_a_cancelled_reservation_has_no_total(mews: SimHarness) -> None:
    connector = mews.mews()
    reservation_id = await _made(connector, "bk_gone")
    await connector.cancel_reservation(reservation_id)
    assert await connector.get_reservation_total(reservation_id) is None  # every item Canceled


async def test_mews_order_items_need_a_filter(mews: SimHarness) -> None:
    body = {"ClientToken": "c", "AccessToken": "a", "Client": "t 1.0", "Limitation": {"Count": 10}}
    response = await mews.http.post(f"{mews.root}/api/connector/v1/orderItems/getAll", json=body)
    assert response.status_code == 400 and "filter" in response.json()["Message"]


async def test_the_price_adjustment_of_an_unknown_property_is_a_404(cloudbeds: SimHarness) -> None:
    response = await cloudbeds.http.put(
        f"{cloudbeds.root}/_sim/properties/hotel_nope/price-adjustment", json={"amount": "1000"}
    )
    assert response.status_code == 404
