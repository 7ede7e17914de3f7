"""Input the API used to accept and must not (issue 10, section 4, and the calendar's ends): each is
a 4xx in the spec's error shape, and nothing changes — no PMS call, no hold, no booking."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.e2e.stack import HOTEL, ROOM, Stack, checkout_body, running_stack, stay_dates

MAX_BODY = 65_536


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(f"sqlite:///{tmp_path_factory.mktemp('limits')}/limits.db") as s:
        yield s


def utc_today() -> date:
    return datetime.now(UTC).date()


def pms_calls(stack: Stack) -> int:
    return sum(stack.sim_state()["calls"].values())


def assert_refused(response: Any, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"success", "error", "errorCode"} and body["success"] is False
    assert body["errorCode"] == "VALIDATION_ERROR" and body["error"]
    return body  # type: ignore[no-any-return]


def inventory(stack: Stack, start: str, end: str) -> Any:
    params = {"vendor": "cloudbeds", "from": start, "to": end}
    return stack.client.get(f"{stack.url}/api/hotels/{HOTEL}/room-types/{ROOM}/inventory", params=params)


def availability(stack: Stack, check_in: str, check_out: str) -> Any:
    params = {"vendor": "cloudbeds", "checkIn": check_in, "checkOut": check_out, "adults": 2}
    return stack.client.get(f"{stack.url}/api/hotels/{HOTEL}/availability", params=params)


def checkout(stack: Stack, check_in: str, check_out: str, key: str | None = None) -> Any:
    start, end = stay_dates(offset_days=70)
    body = {**checkout_body(start, end), "checkIn": check_in, "checkOut": check_out}
    return stack.checkout(body, key=key)


def far(days: int) -> str:
    return (utc_today() + timedelta(days=days)).isoformat()


BAD_DATES = {
    "ISO week date": ("2027-W10-1", "2027-W10-3"),
    "ISO week date, basic form": ("2027W101xx", "2027W103xx"),
    "basic form with a tail": ("20270520xx", "20270522xx"),
    "Arabic-Indic digits": ("٢٠٢٧-٠٥-٢٠", "٢٠٢٧-٠٥-٢٢"),
    "calendar end": ("9999-12-29", "9999-12-31"),
    "calendar start": ("0001-01-01", "0001-01-03"),
    "past nights": ((utc_today() - timedelta(days=3)).isoformat(), utc_today().isoformat()),
    "beyond the sale horizon (5 years)": (far(1826), far(1828)),
}


@pytest.mark.parametrize("case", list(BAD_DATES))
@pytest.mark.parametrize("endpoint", ["inventory", "availability", "checkout"])
def test_dates_outside_the_bookable_calendar_are_400_and_change_nothing(
    stack: Stack, case: str, endpoint: str
) -> None:
    # given
    start, end = BAD_DATES[case]
    before = pms_calls(stack)
    # when
    call = {"inventory": inventory, "availability": availability, "checkout": checkout}[endpoint]
    response = call(stack, start, end)
    # then
    assert_refused(response)
    assert pms_calls(stack) == before  # no PMS read, no reservation


def test_the_last_day_of_the_horizon_is_still_answered(stack: Stack) -> None:
    # negative control for the horizon: 5 years ahead is inside it
    response = inventory(stack, far(1823), far(1825))
    assert response.status_code == 200, response.text
    assert len(response.json()["nights"]) == 2


GUEST_FIELDS = ["firstName", "lastName", "email", "phone"]
CONTROL_CHARACTERS = {"NUL": "\x00", "newline": "\n", "escape": "\x1b", "RTL override": "\u202e"}


@pytest.mark.parametrize("character", list(CONTROL_CHARACTERS))
@pytest.mark.parametrize("field", GUEST_FIELDS)
def test_control_characters_in_guest_details_are_400(stack: Stack, field: str, character: str) -> None:
    # given
    before = len(stack.reservations())
    start, end = stay_dates(offset_days=71)
    body = checkout_body(start, end)
    value = {"email": "ho{}ng@example.com", "phone": "+82-10-{}1234-5678"}.get(field, "홍{}길동")
    body["guestInfo"][field] = value.format(CONTROL_CHARACTERS[character])
    # when
    response = stack.checkout(body)
    # then: named, never echoed
    message = assert_refused(response)["error"]
    assert field in message and CONTROL_CHARACTERS[character] not in message
    assert len(stack.reservations()) == before


def test_an_empty_idempotency_key_is_400_and_books_nothing(stack: Stack) -> None:
    # given
    before = len(stack.reservations())
    start, end = stay_dates(offset_days=72)
    # when
    response = stack.client.post(
        f"{stack.url}/api/booking/checkout",
        json=checkout_body(start, end),
        headers={"Idempotency-Key": ""},
    )
    # then
    message = assert_refused(response)["error"]
    assert "Idempotency-Key" in message
    assert len(stack.reservations()) == before


def _answer_without_the_rest(stack: Stack, head: bytes, prefix: bytes) -> tuple[int, dict[str, Any]]:
    """Send the request head and only `prefix` of its body, then wait for the answer: a server
    that needs the rest of the body before answering never answers (the timeout is a guard)."""
    url = urlparse(stack.url)
    with socket.create_connection((url.hostname, url.port), timeout=30) as conn:
        conn.sendall(head + prefix)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += conn.recv(65_536)
        head_part, _, body = answer.partition(b"\r\n\r\n")
        length = int(
            next(line for line in head_part.lower().split(b"\r\n") if b"content-length" in line)[15:]
        )
        while len(body) < length:
            body += conn.recv(65_536)
    return int(head_part.split(b" ")[1]), json.loads(body)


def _post_head(stack: Stack, extra: str) -> bytes:
    host = urlparse(stack.url).netloc
    return (
        f"POST /api/booking/checkout HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{extra}\r\n"
    ).encode()


def test_a_declared_100_mb_body_is_413_before_any_of_it_is_sent(stack: Stack) -> None:
    # given: the headers announce 100 MB; none of it is sent
    head = _post_head(stack, f"Content-Length: {100 * 1024 * 1024}\r\n")
    # when
    status, body = _answer_without_the_rest(stack, head, b"")
    # then
    assert status == 413
    assert body["success"] is False and body["errorCode"] == "VALIDATION_ERROR"
    assert str(MAX_BODY) in body["error"]


def test_a_chunked_body_is_refused_once_it_passes_the_limit(stack: Stack) -> None:
    # given: a padded checkout body of 3 MiB in 16 KiB chunks, of which only the first 96 KiB go out
    before = len(stack.reservations())
    start, end = stay_dates(offset_days=73)
    payload = json.dumps(checkout_body(start, end)).encode() + b" " * (48 * MAX_BODY)
    pieces = [payload[i : i + 16_384] for i in range(0, len(payload), 16_384)]
    prefix = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces[:6])
    # when
    status, body = _answer_without_the_rest(
        stack, _post_head(stack, "Transfer-Encoding: chunked\r\n"), prefix
    )
    # then
    assert status == 413 and body["errorCode"] == "VALIDATION_ERROR"
    assert len(stack.reservations()) == before


def test_a_padded_body_just_under_the_limit_is_still_served(stack: Stack) -> None:
    # negative control: the limit is the limit, not a smaller one
    start, end = stay_dates(offset_days=74)
    text = json.dumps(checkout_body(start, end))
    padded = text + " " * (MAX_BODY - len(text.encode()))
    response = stack.client.post(
        f"{stack.url}/api/booking/checkout",
        content=padded.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    # and one byte more is refused
    over = stack.client.post(
        f"{stack.url}/api/booking/checkout",
        content=(padded + " ").encode(),
        headers={"Content-Type": "application/json"},
    )
    assert_refused(over, status=413)
