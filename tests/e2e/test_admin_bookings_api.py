"""Bookings for operators: search with masked guest contacts, one booking with its steps, cancel."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.e2e.admin_stack import ENV_HOTEL, admin_stack

pytestmark = pytest.mark.slow


def book(stack, start: date, token: str = "tok_visa_1234"):  # type: ignore[no-untyped-def]
    return stack.client.post(
        f"{stack.url}/api/booking/checkout",
        json={
            "vendor": "cloudbeds",
            "hotelId": ENV_HOTEL,
            "roomTypeId": "room_456",
            "checkIn": start.isoformat(),
            "checkOut": (start + timedelta(days=2)).isoformat(),
            "guestInfo": {
                "firstName": "홍",
                "lastName": "길동",
                "email": "hong.gildong@example.com",
                "phone": "+82-10-1234-5678",
            },
            "adults": 2,
            "payment": {"cardToken": token, "amount": 250000, "currency": "KRW"},
        },
    )


def test_search_read_and_cancel_with_guest_contacts_masked(tmp_path: Path) -> None:
    start = date.today() + timedelta(days=40)
    with admin_stack(f"sqlite:///{tmp_path}/b.db") as stack:
        confirmed = book(stack, start).json()["bookingId"]
        failed = book(stack, start + timedelta(days=5), token="tok_decline")
        assert failed.status_code == 402
        everything = stack.admin("GET", "/bookings")
        only_failed = stack.admin("GET", "/bookings", params={"status": "failed"})
        by_id = stack.admin("GET", "/bookings", params={"bookingId": confirmed})
        by_dates = stack.admin(
            "GET",
            "/bookings",
            params={"hotelId": ENV_HOTEL, "from": start.isoformat(), "to": start.isoformat()},
        )
        other_hotel = stack.admin("GET", "/bookings", params={"hotelId": "hotel_777"})
        bad_status = stack.admin("GET", "/bookings", params={"status": "exploded"})
        bad_id = stack.admin("GET", "/bookings", params={"hotelId": "a b"})
        detail = stack.admin("GET", f"/bookings/{confirmed}")
        cancelled = stack.admin("POST", f"/bookings/{confirmed}/cancel")
        again = stack.admin("POST", f"/bookings/{confirmed}/cancel")
        missing = stack.admin("GET", "/bookings/bk_nope")
        anonymous = stack.client.get(f"{stack.url}/api/admin/bookings")
    assert everything.json()["total"] == 2
    assert [b["status"] for b in only_failed.json()["bookings"]] == ["failed"]
    assert [b["bookingId"] for b in by_id.json()["bookings"]] == [confirmed]
    assert [b["bookingId"] for b in by_dates.json()["bookings"]] == [confirmed]
    assert other_hotel.json()["total"] == 0
    assert bad_status.status_code == 400 and bad_id.status_code == 400
    guest = by_id.json()["bookings"][0]["guest"]
    assert guest == {"name": "홍**", "email": "h***@example.com", "phone": "***-5678"}
    for answer in (everything, detail, cancelled):
        assert (
            "hong.gildong" not in answer.text and "1234-5678" not in answer.text and "길동" not in answer.text
        )
    steps = [s["event"] for s in detail.json()["steps"]]
    assert steps[0] == "created" and len(steps) >= 4
    assert detail.json()["steps"][1]["from"] == "pending"
    assert cancelled.status_code == 200 and cancelled.json()["booking"]["status"] == "cancelled"
    assert "cancel_requested" in [s["event"] for s in cancelled.json()["steps"]]
    assert again.status_code == 200
    assert missing.status_code == 404
    assert anonymous.status_code == 401
