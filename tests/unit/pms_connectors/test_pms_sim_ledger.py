"""The simulators' shared PMS ledger: all-or-nothing nights, inventory overrides, seeded ids."""

from __future__ import annotations

from datetime import date

import httpx2

from roomgate.simulators import cloudbeds as cloudbeds_sim
from roomgate.simulators import mews as mews_sim
from roomgate.simulators.pms_state import PmsSimState, SimReservation, nights
from roomgate.simulators.seed import PropertySeed
from tests.fake_keys import cloudbeds_key

STAY = nights(date(2026, 5, 1), date(2026, 5, 4))
FORM = {
    "propertyID": "hotel_123",
    "startDate": "2026-05-01",
    "endDate": "2026-05-02",
    "guestFirstName": "A",
    "guestLastName": "B",
    "guestCountry": "KR",
    "guestEmail": "a@b.kr",
    "paymentMethod": "cash",
    "rooms[0][roomTypeID]": "room_456",
    "rooms[0][quantity]": "1",
    "adults[0][roomTypeID]": "room_456",
    "adults[0][quantity]": "1",
}


def test_a_stay_takes_every_night_or_none() -> None:
    # given two rooms free, but only one on the middle night
    book = PmsSimState().properties["hotel_123"]
    book.set_available("room_458", date(2026, 5, 2), date(2026, 5, 3), 1)
    # when
    first = book.try_take("room_458", STAY)
    second = book.try_take("room_458", STAY)
    # then the second stay is refused on its short night and takes nothing
    assert (first, second) == (None, date(2026, 5, 2))
    assert [book.available("room_458", d) for d in STAY] == [1, 0, 1]


def test_setting_availability_counts_rooms_already_held() -> None:
    # given one room of five held
    book = PmsSimState().properties["hotel_123"]
    book.try_take("room_456", STAY[:1])
    # when
    book.set_available("room_456", date(2026, 5, 1), date(2026, 5, 2), 3)
    # then three are free on top of the held one, and releasing it frees a fourth
    assert book.available("room_456", STAY[0]) == 3
    book.give_back("room_456", STAY[:1])
    assert book.available("room_456", STAY[0]) == 4


def test_every_date_has_the_default_inventory() -> None:
    # given / when
    book = PmsSimState().properties["hotel_123"]
    # then any date, far past or far future
    assert [book.available("room_456", d) for d in (date(1999, 1, 1), date(2099, 12, 31))] == [5, 5]
    assert book.rate("room_456", date(2099, 12, 31)) == 125000


def test_redefining_a_property_keeps_rooms_held_by_live_reservations() -> None:
    # given a live reservation holding room_456 for three nights
    state = PmsSimState()
    book = state.properties["hotel_123"]
    book.try_take("room_456", STAY)
    state.reservations["r1"] = SimReservation(
        "r1",
        "hotel_123",
        "room_456",
        STAY[0],
        date(2026, 5, 4),
        2,
        0,
        "confirmed",
        None,
        {},
        0.0,
        0.0,
        "KRW",
        [],
    )
    seed = book.seed.model_dump(by_alias=True)
    seed["roomTypes"][0]["totalRooms"] = 2
    # when the property is re-seeded with two rooms of that type
    rebuilt = state.upsert_property("hotel_123", PropertySeed.model_validate(seed))
    # then one of the two is still held; cancelling frees it once
    assert [rebuilt.available("room_456", d) for d in STAY] == [1, 1, 1]
    state.release(state.reservations["r1"])
    state.release(state.reservations["r1"])
    assert [rebuilt.available("room_456", d) for d in STAY] == [2, 2, 2]


async def test_ids_depend_only_on_the_seed() -> None:
    # given three simulators: two with seed 7, one with seed 8
    async def first_reservation_id(seed: int) -> str:
        app = cloudbeds_sim.create_app(seed=seed)
        async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://cb") as http:
            response = await http.post(
                "/api/v1.3/postReservation", data=FORM, headers={"x-api-key": cloudbeds_key("x")}
            )
            return str(response.json()["reservationID"])

    # when
    ids = [await first_reservation_id(seed) for seed in (7, 7, 8)]
    # then
    assert ids[0] == ids[1] != ids[2]


async def test_reset_restores_the_seed_sequence_and_the_demo_data() -> None:
    # given a Mews simulator with a changed inventory and a customer
    app = mews_sim.create_app(seed=3)
    tokens = {"ClientToken": "c", "AccessToken": "a", "Client": "t 1.0"}
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://mews") as http:

        async def add_customer() -> str:
            answer = await http.post(
                "/api/connector/v1/customers/add",
                json={**tokens, "LastName": "Lee", "OverwriteExisting": False},
            )
            return str(answer.json()["Id"])

        first = await add_customer()
        await http.put(
            "/_sim/properties/hotel_123/inventory",
            json={"roomTypeId": "room_456", "from": "2026-05-01", "to": "2026-05-02", "available": 0},
        )
        # when
        await http.post("/_sim/reset")
        again = await add_customer()
        state = (await http.get("/_sim/state")).json()
    # then
    assert first == again
    assert state["reservations"] == [] and state["calls"] == {"customers/add": 1}


async def test_malformed_requests_get_a_400_not_a_crash() -> None:
    # given both simulators
    cloudbeds_app, mews_app = cloudbeds_sim.create_app(), mews_sim.create_app()
    tokens = {"ClientToken": "c", "AccessToken": "a", "Client": "t 1.0"}
    async with (
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=cloudbeds_app), base_url="http://cb") as cb,
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=mews_app), base_url="http://mews") as mews,
    ):
        # when
        answers = [
            await cb.get(
                "/api/v1.3/getRoomTypes",
                params={"pageNumber": "abc"},
                headers={"x-api-key": cloudbeds_key("x")},
            ),
            await cb.post(
                "/api/v1.3/postReservation",
                data={**FORM, "adults[0]": "x"},
                headers={"x-api-key": cloudbeds_key("x")},
            ),
            await mews.post("/api/connector/v1/reservations/confirm", json={**tokens, "ReservationIds": 5}),
            await mews.post(
                "/api/connector/v1/services/getAll", json={**tokens, "Limitation": {"Count": "ten"}}
            ),
            await mews.post("/api/connector/v1/configuration/get", content=b"not json"),
        ]
    # then
    assert [a.status_code for a in answers] == [400, 400, 400, 400, 400]
