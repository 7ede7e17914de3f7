"""Webhook intake: signature, URL token, replay window and parsing of the three accepted formats."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from roomgate.config import Settings
from roomgate.services.webhook_intake import Ignored, InboundEvent, IntakeRefused, WebhookAuthenticator

SECRET = "whsec_test_0001"
TOKEN = "url-token-0001"
NOW = 1_790_000_000.0


@pytest.fixture
def auth(monkeypatch: pytest.MonkeyPatch) -> WebhookAuthenticator:
    for name in ("PMS_hotel_9_WEBHOOK_SECRET", "PMS_hotel_9_WEBHOOK_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(pms_webhook_secret=SECRET, webhook_url_token=TOKEN, _env_file=None)  # type: ignore[call-arg]
    return WebhookAuthenticator(settings)


def spec_body(**overrides: Any) -> bytes:
    event = {
        "eventId": "evt_1",
        "type": "inventory_update",
        "hotelId": "hotel_123",
        "roomTypeId": "room_456",
        "from": "2026-12-24",
        "to": "2026-12-26",
        "occurredAt": "2026-12-01T10:00:00Z",
        **overrides,
    }
    return json.dumps({k: v for k, v in event.items() if v is not None}).encode()


def sign(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    signed = body if timestamp is None else f"{timestamp}.".encode() + body
    headers = {"x-pms-signature": "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}
    if timestamp is not None:
        headers["x-pms-timestamp"] = str(timestamp)
    return headers


def test_a_correctly_signed_spec_event_is_accepted(auth: WebhookAuthenticator) -> None:
    # given a body signed with the shared secret
    body = spec_body()
    # when
    event = auth.accept("cloudbeds", body, sign(body), {}, NOW)
    # then
    assert isinstance(event, InboundEvent)
    assert (event.event_id, event.event_type, event.hotel_id) == ("evt_1", "inventory_update", "hotel_123")
    assert event.payload["from"] == "2026-12-24" and event.payload["roomTypeId"] == "room_456"


@pytest.mark.parametrize(
    "headers",
    [
        {"x-pms-signature": "sha256=" + "0" * 64},
        {"x-pms-signature": "md5=abc"},
        {"x-pms-signature": ""},
    ],
    ids=["forged", "wrong-scheme", "empty"],
)
def test_a_forged_signature_is_refused_with_401(auth: WebhookAuthenticator, headers: dict[str, str]) -> None:
    with pytest.raises(IntakeRefused) as refused:
        auth.accept("cloudbeds", spec_body(), headers, {}, NOW)
    assert refused.value.status == 401


def test_a_signature_made_with_another_secret_or_over_another_body_is_refused(
    auth: WebhookAuthenticator,
) -> None:
    body = spec_body()
    for headers, sent in ((sign(body, "other"), body), (sign(body), spec_body(eventId="evt_2"))):
        with pytest.raises(IntakeRefused) as refused:
            auth.accept("cloudbeds", sent, headers, {}, NOW)
        assert refused.value.status == 401


def test_a_signed_timestamp_bounds_replays(auth: WebhookAuthenticator) -> None:
    body = spec_body()
    # given a fresh timestamp: accepted
    assert isinstance(
        auth.accept("cloudbeds", body, sign(body, timestamp=int(NOW) - 10), {}, NOW), InboundEvent
    )
    # when the same signed delivery is replayed an hour later (stale) / stamped in the future
    for stamp in (int(NOW) - 3600, int(NOW) + 3600):
        with pytest.raises(IntakeRefused) as refused:
            auth.accept("cloudbeds", body, sign(body, timestamp=stamp), {}, NOW)
        assert refused.value.status == 401
    # and a timestamp changed without re-signing is refused too
    headers = {**sign(body, timestamp=int(NOW) - 3600), "x-pms-timestamp": str(int(NOW))}
    with pytest.raises(IntakeRefused):
        auth.accept("cloudbeds", body, headers, {}, NOW)


def test_a_per_hotel_secret_overrides_the_global_one(
    auth: WebhookAuthenticator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given hotel_9 has its own secret
    monkeypatch.setenv("PMS_hotel_9_WEBHOOK_SECRET", "hotel-9-secret")
    body = spec_body(hotelId="hotel_9")
    # then only that secret signs its events
    assert isinstance(auth.accept("cloudbeds", body, sign(body, "hotel-9-secret"), {}, NOW), InboundEvent)
    with pytest.raises(IntakeRefused):
        auth.accept("cloudbeds", body, sign(body), {}, NOW)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1,2]",
        spec_body(type="everything_changed"),
        spec_body(hotelId="../etc"),
        spec_body(to="2026-12-20"),
        spec_body(to=None),
        spec_body(type="booking_cancel"),
        spec_body(**{"from": "2026-01-01", "to": "2027-12-31"}),
        spec_body(occurredAt=None),
    ],
    ids=["text", "array", "type", "hotel", "order", "half-range", "no-reservation", "span", "no-time"],
)
def test_a_signed_but_malformed_body_is_a_400(auth: WebhookAuthenticator, body: bytes) -> None:
    with pytest.raises(IntakeRefused) as refused:
        auth.accept("cloudbeds", body, sign(body), {}, NOW)
    assert refused.value.status == 400


def test_an_unknown_vendor_is_a_400_before_anything_else(auth: WebhookAuthenticator) -> None:
    with pytest.raises(IntakeRefused) as refused:
        auth.accept("opera", spec_body(), {}, {}, NOW)
    assert refused.value.status == 400


@pytest.mark.parametrize("spelling", ["propertyID", "propertyId"])
def test_cloudbeds_native_events_need_the_url_token_and_accept_both_spellings(
    auth: WebhookAuthenticator, spelling: str
) -> None:
    body = json.dumps(
        {
            "version": "1.0",
            "event": "reservation/created",
            spelling: 318267,
            "reservationId" if spelling == "propertyId" else "reservationID": "1234567890123",
            "timestamp": 1766005022.3,
        }
    ).encode()
    # when the token is right
    event = auth.accept("cloudbeds", body, {}, {"token": TOKEN}, NOW)
    # then the dedupe key is derived from event, property, reservation and timestamp
    assert isinstance(event, InboundEvent)
    assert event.hotel_id == "318267"
    assert event.event_id == "reservation/created:318267:1234567890123:1766005022.3"
    # and a wrong or missing token is a 401
    for query in ({"token": TOKEN + "x"}, {}):
        with pytest.raises(IntakeRefused) as refused:
            auth.accept("cloudbeds", body, {}, query, NOW)
        assert refused.value.status == 401


def test_cloudbeds_events_roomgate_does_not_use_are_acknowledged_and_ignored(
    auth: WebhookAuthenticator,
) -> None:
    body = json.dumps(
        {"event": "guest/created", "propertyId": 318267, "guestId": 1, "timestamp": 1.0}
    ).encode()
    assert isinstance(auth.accept("cloudbeds", body, {}, {"token": TOKEN}, NOW), Ignored)


def test_mews_general_webhooks_dedupe_ids_within_a_message(auth: WebhookAuthenticator) -> None:
    body = json.dumps(
        {
            "EnterpriseId": "ent-1",
            "IntegrationId": "int-1",
            "Events": [
                {"Discriminator": "ServiceOrderUpdated", "Value": {"Id": "r1"}},
                {"Discriminator": "ServiceOrderUpdated", "Value": {"Id": "r1"}},
                {"Discriminator": "CustomerAdded", "Value": {"Id": "c1"}},
                {"Discriminator": "ResourceUpdated", "Value": {"Id": "room-7"}},
            ],
        }
    ).encode()
    event = auth.accept("mews", body, {}, {"Token": TOKEN}, NOW)
    assert isinstance(event, InboundEvent)
    assert event.payload["Events"] == [
        {"Discriminator": "ServiceOrderUpdated", "Value": {"Id": "r1"}},
        {"Discriminator": "ResourceUpdated", "Value": {"Id": "room-7"}},
    ]
    # the same body again (a Mews retry) has the same dedupe key
    assert auth.accept("mews", body, {}, {"Token": TOKEN}, NOW + 1).event_id == event.event_id  # type: ignore[union-attr]


def test_without_any_configured_secret_every_delivery_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PMS_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("ROOMGATE_WEBHOOK_URL_TOKEN", raising=False)
    auth = WebhookAuthenticator(Settings(_env_file=None))  # type: ignore[call-arg]
    body = spec_body()
    with pytest.raises(IntakeRefused) as refused:
        auth.accept("cloudbeds", body, sign(body), {}, NOW)
    assert refused.value.status == 401
    with pytest.raises(IntakeRefused):
        auth.accept("cloudbeds", b'{"event":"reservation/created"}', {}, {"token": ""}, NOW)


def test_a_long_cloudbeds_dedupe_key_is_hashed_not_cut(auth: WebhookAuthenticator) -> None:
    # given two events that differ only at the end of a long key
    def event(stamp: str) -> bytes:
        body = {
            "event": "reservation/created",
            "propertyID": "p" * 100,
            "reservationID": "r" * 100,
            "timestamp": stamp,
        }
        return json.dumps(body).encode()

    first = auth.accept("cloudbeds", event("1766005022.1"), {}, {"token": TOKEN}, NOW)
    second = auth.accept("cloudbeds", event("1766005022.2"), {}, {"token": TOKEN}, NOW)
    # then their keys fit the column and still differ
    assert isinstance(first, InboundEvent) and isinstance(second, InboundEvent)
    assert len(first.event_id) <= 200 and first.event_id != second.event_id
