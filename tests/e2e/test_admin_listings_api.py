"""Admin import API against the Cloudbeds and Mews simulators: preview, save, re-import, edit, disable."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from roomgate.ledger.db import create_engine
from roomgate.ledger.models import Listing, PMSConfig, RatePlan, RoomInventory, RoomTypeRow
from roomgate.secrets_box import SecretBox
from tests.e2e.admin_stack import CB_KEY, MEWS_TOKEN, NEW_HOTEL, SECRET_KEY, AdminStack, admin_stack
from tests.fake_keys import cloudbeds_key

pytestmark = pytest.mark.slow

TABLES = (Listing, RoomTypeRow, RoomInventory, RatePlan, PMSConfig)


def row_counts(url: str) -> dict[str, int]:
    async def count() -> dict[str, int]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return {
                    t.__tablename__: int(
                        (await conn.execute(select(func.count()).select_from(t))).scalar_one()
                    )
                    for t in TABLES
                }
        finally:
            await engine.dispose()

    return asyncio.run(count())


def stored_key(url: str) -> str | None:
    async def read() -> str | None:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return (await conn.execute(select(PMSConfig.api_key_encrypted))).scalar_one_or_none()
        finally:
            await engine.dispose()

    return asyncio.run(read())


def preview(stack: AdminStack, vendor: str = "cloudbeds", hotel: str = NEW_HOTEL, key: str = CB_KEY) -> Any:
    return stack.admin("POST", "/pms/preview", json={"vendor": vendor, "hotelId": hotel, "apiKey": key})


def save(stack: AdminStack, **body: Any) -> Any:
    payload = {"vendor": "cloudbeds", "hotelId": NEW_HOTEL, "apiKey": CB_KEY, **body}
    return stack.admin("POST", "/listings", json=payload)


def availability(stack: AdminStack, hotel: str = NEW_HOTEL, vendor: str = "cloudbeds") -> Any:
    check_in = date.today() + timedelta(days=20)
    params = {
        "vendor": vendor,
        "checkIn": check_in.isoformat(),
        "checkOut": (check_in + timedelta(2)).isoformat(),
    }
    return stack.client.get(f"{stack.url}/api/hotels/{hotel}/availability", params=params)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/admin.db"


@pytest.mark.parametrize(("vendor", "key"), [("cloudbeds", CB_KEY), ("mews", MEWS_TOKEN)])
def test_preview_fills_the_form_from_the_pms_and_stores_nothing(
    sqlite_url: str, vendor: str, key: str
) -> None:
    with admin_stack(sqlite_url) as stack:
        # when an operator previews the simulator's Busan hotel
        answer = preview(stack, vendor, key=key)
        # then the form carries the PMS's facts, in minor units, with every room type highlighted
        assert answer.status_code == 200, answer.text
        form = answer.json()["form"]
        assert form["hotelName"] == "Roomgate Demo Hotel Busan"
        assert "Busan" in form["location"]
        assert [r["roomTypeId"] for r in form["roomTypes"]] == ["room_771", "room_772"]
        assert [r["averagePrice"] for r in form["roomTypes"]] == [150000, 89000]
        assert all(r["highlighted"] for r in form["roomTypes"])
        assert form["averagePrice"] == 119500
        assert form["maxOccupancy"] == 2
        assert form["currentInventory"] == 4 + 6
        assert form["nights"] == 30
        assert key not in answer.text
    # and nothing was written
    assert row_counts(sqlite_url) == dict.fromkeys((t.__tablename__ for t in TABLES), 0)


def test_preview_failures_are_clear_and_store_nothing(sqlite_url: str) -> None:
    with admin_stack(sqlite_url) as stack:
        wrong = preview(stack, key=cloudbeds_key("not_the_right_key"))
        unknown = preview(stack, hotel="hotel_999")
        mews_unknown = preview(stack, "mews", hotel="hotel_999", key=MEWS_TOKEN)
        mews_wrong = preview(stack, "mews", key="wrong-token")
        bad_vendor = stack.admin(
            "POST", "/pms/preview", json={"vendor": "opera", "hotelId": "h", "apiKey": "k"}
        )
        bad_id = stack.admin(
            "POST", "/pms/preview", json={"vendor": "mews", "hotelId": "../x", "apiKey": "k"}
        )
        long_key = preview(stack, key="x" * 501)
        spaced_key = preview(stack, key=cloudbeds_key("abc") + "\r\nX-Injected: 1")
        stack.sim_faults("cloudbeds", status=503)
        down = preview(stack)
        stack.sim_faults("cloudbeds")
        anonymous = stack.client.post(
            f"{stack.url}/api/admin/pms/preview", json={"vendor": "mews", "hotelId": "h", "apiKey": "k"}
        )
    assert (wrong.status_code, wrong.json()["errorCode"]) == (400, "PMS_AUTH_FAILED")
    assert "인증 실패" in wrong.json()["error"]
    assert (mews_wrong.status_code, mews_wrong.json()["errorCode"]) == (400, "PMS_AUTH_FAILED")
    assert (unknown.status_code, unknown.json()["errorCode"]) == (404, "NOT_FOUND")
    assert (mews_unknown.status_code, mews_unknown.json()["errorCode"]) == (404, "NOT_FOUND")
    assert (down.status_code, down.json()["errorCode"]) == (503, "PMS_UNAVAILABLE")
    for refused in (bad_vendor, bad_id, long_key, spaced_key):
        assert (refused.status_code, refused.json()["errorCode"]) == (400, "VALIDATION_ERROR")
    assert anonymous.status_code == 401
    assert "X-Injected" not in spaced_key.text
    for answer in (wrong, unknown, mews_wrong, down, long_key):
        assert answer.json()["success"] is False
        assert cloudbeds_key("not_the_right_key") not in answer.text and "wrong-token" not in answer.text
    assert row_counts(sqlite_url)["pms_config"] == 0


def test_save_writes_every_table_and_reimport_updates_without_duplicates(ledger_url: str) -> None:
    with admin_stack(ledger_url) as stack:
        # given a saved hotel
        first = save(
            stack, name="부산 오션 호텔", roomTypes=[{"roomTypeId": "room_771", "name": "오션뷰 더블"}]
        )
        assert first.status_code == 200, first.text
        created = first.json()
        counts = row_counts(ledger_url)
        # when the PMS changes a night and the hotel is imported again (no key: the stored one is used)
        start = date.today() + timedelta(days=3)
        stack.client.put(
            f"{stack.sims.cloudbeds}/_sim/properties/{NEW_HOTEL}/inventory",
            json={
                "roomTypeId": "room_772",
                "from": start.isoformat(),
                "to": (start + timedelta(2)).isoformat(),
                "available": 1,
            },
        ).raise_for_status()
        again = save(stack, apiKey=None, name="부산 오션 호텔 (리뉴얼)")
        listed = stack.admin("GET", "/listings").json()
    # then the first save created one listing with its room types, 30 nights each, and the connection
    assert created["created"] is True
    listing = created["listing"]
    assert listing["hotelId"] == NEW_HOTEL and listing["enabled"] and listing["apiKeyStored"]
    assert {r["roomTypeId"]: r["name"] for r in listing["roomTypes"]} == {
        "room_771": "오션뷰 더블",
        "room_772": "Standard Double",
    }
    assert counts == {"listings": 1, "room_types": 2, "room_inventory": 60, "rate_plan": 60, "pms_config": 1}
    # and the re-import updated the same rows and said what changed
    body = again.json()
    assert again.status_code == 200 and body["created"] is False
    assert body["listing"]["id"] == listing["id"]
    assert body["changes"]["fields"]["name"] == {"from": "부산 오션 호텔", "to": "부산 오션 호텔 (리뉴얼)"}
    assert body["changes"]["inventoryNightsChanged"] == 2
    assert body["changes"]["roomTypesUpdated"] == ["room_771"]  # its name went back to the PMS's
    assert row_counts(ledger_url) == counts
    assert listed["total"] == 1
    # and the key is stored encrypted (never the plaintext), readable with the secret key
    token = stored_key(ledger_url)
    assert token is not None and CB_KEY not in token
    assert SecretBox([SECRET_KEY]).decrypt(token) == CB_KEY
    assert CB_KEY not in again.text and CB_KEY not in first.text


def test_saved_hotel_is_sold_at_once_and_disabled_is_404(sqlite_url: str) -> None:
    with admin_stack(sqlite_url) as stack:
        # given a hotel only the simulator knows
        before = availability(stack)
        # when it is saved
        listing_id = save(stack).json()["listing"]["id"]
        # then availability and checkout serve it without a restart
        after = availability(stack)
        check_in = date.today() + timedelta(days=20)
        booking = stack.client.post(
            f"{stack.url}/api/booking/checkout",
            json={
                "vendor": "cloudbeds",
                "hotelId": NEW_HOTEL,
                "roomTypeId": "room_772",
                "checkIn": check_in.isoformat(),
                "checkOut": (check_in + timedelta(2)).isoformat(),
                "guestInfo": {"firstName": "홍", "lastName": "길동", "email": "hong@example.com"},
                "adults": 2,
                "payment": {"cardToken": "tok_visa_1234", "amount": 2 * 89000, "currency": "KRW"},
            },
        )
        # and once disabled, neither does (the other vendor's name is not a way around it)
        disabled = stack.admin("POST", f"/listings/{listing_id}/disable")
        gone = availability(stack)
        other_vendor = availability(stack, vendor="mews")
        enabled = stack.admin("POST", f"/listings/{listing_id}/enable")
        back = availability(stack)
    assert before.status_code == 404
    assert after.status_code == 200, after.text
    assert [r["roomTypeId"] for r in after.json()["roomTypes"]] == ["room_771", "room_772"]
    assert booking.status_code == 200, booking.text
    assert disabled.json()["listing"]["status"] == "disabled"
    assert (gone.status_code, gone.json()["errorCode"]) == (404, "NOT_FOUND")
    assert (other_vendor.status_code, other_vendor.json()["errorCode"]) == (
        400,
        "VALIDATION_ERROR",
    )  # one vendor per hotel
    assert enabled.json()["changed"] == {"enabled": {"from": False, "to": True}}
    assert back.status_code == 200


def test_update_rotates_the_key_only_when_the_pms_accepts_it(sqlite_url: str) -> None:
    with admin_stack(sqlite_url) as stack:
        listing_id = save(stack).json()["listing"]["id"]
        before = stored_key(sqlite_url)
        refused = stack.admin("PATCH", f"/listings/{listing_id}", json={"apiKey": cloudbeds_key("revoked")})
        unchanged = stored_key(sqlite_url)
        rotated = stack.admin(
            "PATCH",
            f"/listings/{listing_id}",
            json={"apiKey": CB_KEY, "pollingIntervalSeconds": 600, "description": "해운대 앞"},
        )
        too_fast = stack.admin("PATCH", f"/listings/{listing_id}", json={"pollingIntervalSeconds": 5})
        missing = stack.admin("GET", "/listings/999")
        other_vendor = save(stack, vendor="mews", apiKey=MEWS_TOKEN)
    assert (refused.status_code, refused.json()["errorCode"]) == (400, "PMS_AUTH_FAILED")
    assert unchanged == before
    body = rotated.json()
    assert rotated.status_code == 200, rotated.text
    assert body["changed"]["api_key"] == {"replaced": True}
    assert body["changed"]["polling_interval_seconds"] == {"from": 300, "to": 600}
    assert body["listing"]["keyVersion"] == 2 and body["listing"]["description"] == "해운대 앞"
    assert stored_key(sqlite_url) != before
    assert too_fast.status_code == 400
    assert missing.status_code == 404
    assert other_vendor.status_code == 400 and "cloudbeds" in other_vendor.json()["error"]
    for answer in (refused, rotated):
        assert CB_KEY not in answer.text and cloudbeds_key("revoked") not in answer.text


def test_saving_needs_a_secret_key(sqlite_url: str) -> None:
    with admin_stack(sqlite_url, ROOMGATE_SECRET_KEY="") as stack:
        previewed = preview(stack)
        refused = save(stack)
    assert previewed.status_code == 200
    assert refused.status_code == 400 and "ROOMGATE_SECRET_KEY" in refused.json()["error"]
    assert row_counts(sqlite_url)["pms_config"] == 0


def test_a_mews_hotel_is_imported_and_sold_through_mews_only(sqlite_url: str) -> None:
    with admin_stack(sqlite_url) as stack:
        saved = save(stack, vendor="mews", apiKey=MEWS_TOKEN)
        through_mews = availability(stack, vendor="mews")
        through_cloudbeds = availability(stack, vendor="cloudbeds")
    assert saved.status_code == 200, saved.text
    assert saved.json()["listing"]["vendor"] == "mews"
    assert row_counts(sqlite_url)["room_inventory"] == 60
    assert through_mews.status_code == 200, through_mews.text
    assert [r["roomTypeId"] for r in through_mews.json()["roomTypes"]] == ["room_771", "room_772"]
    assert (through_cloudbeds.status_code, through_cloudbeds.json()["errorCode"]) == (400, "VALIDATION_ERROR")
    assert MEWS_TOKEN not in saved.text
