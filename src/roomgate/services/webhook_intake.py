"""Webhook intake: authenticate a delivery, parse it into one inbox event, or say why not.

Two ways in (`POST /api/webhooks/pms/{vendor}`):
- our signed format (any vendor, any tool that can sign): JSON `{eventId, type, hotelId, roomTypeId?,
  from?, to?, reservationId?, occurredAt}`, header `x-pms-signature: sha256=<hex HMAC-SHA256>` over
  the raw body (or over `<x-pms-timestamp>.<raw body>` when that header is sent, which bounds replays);
- the vendor's native payload (Cloudbeds, Mews General Webhooks), which is not signed: a secret token
  in the URL (`?token=`) is the gate.
Secrets are compared in constant time; a per-hotel secret overrides the global one. Nothing here
touches storage: the route stores what `accept` returns.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from roomgate.config import Settings, env_value
from roomgate.pms.base import SUPPORTED_VENDORS

SIGNATURE_HEADER = "x-pms-signature"
TIMESTAMP_HEADER = "x-pms-timestamp"
HOTEL_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")
SPEC_TYPES = ("inventory_update", "rate_update", "booking_confirm", "booking_cancel", "room_update")
CLOUDBEDS_EVENTS = (
    "reservation/created",
    "reservation/status_changed",
    "reservation/dates_changed",
    "reservation/accommodation_changed",
    "reservation/accommodation_type_changed",
    "reservation/deleted",
)
MEWS_DISCRIMINATORS = ("ServiceOrderUpdated", "ResourceUpdated", "ResourceBlockUpdated")
MEWS_MAX_EVENTS = 1000
# Mews sends no event id; the same body within this window is the same delivery (a retry).
MEWS_DEDUPE_WINDOW_SECONDS = 60
ID = r"^[A-Za-z0-9_.:\-]{1,100}$"


class IntakeRefused(Exception):
    """`status` 400 (malformed, unknown vendor or hotel) or 401 (bad signature or token)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class InboundEvent:
    vendor: str
    event_id: str  # the dedupe key
    event_type: str  # a spec type, a Cloudbeds event name, or "mews/general"
    hotel_id: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Ignored:
    """Authenticated, well formed, but nothing roomgate acts on (e.g. a Cloudbeds guest event)."""

    reason: str


class SpecEvent(BaseModel):
    """Our public webhook format (README: Webhooks)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    eventId: str = Field(pattern=r"^[A-Za-z0-9_.:\-]{1,200}$")
    type: Literal["inventory_update", "rate_update", "booking_confirm", "booking_cancel", "room_update"]
    hotelId: str = Field(pattern=HOTEL_ID.pattern)
    roomTypeId: str | None = Field(default=None, pattern=ID)
    start: date | None = Field(default=None, alias="from")
    end: date | None = Field(default=None, alias="to")
    reservationId: str | None = Field(default=None, pattern=ID)
    occurredAt: datetime

    @model_validator(mode="after")
    def _consistent(self) -> SpecEvent:
        if (self.start is None) != (self.end is None):
            raise ValueError("from and to go together")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("to must be after from")
        if self.type in ("booking_confirm", "booking_cancel") and not self.reservationId:
            raise ValueError("reservationId is required for booking events")
        return self


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _hotel_hint(data: dict[str, Any] | None, *names: str) -> str | None:
    """A hotel id from the body, only if it is a plausible id (it names an environment variable)."""
    for name in names:
        value = (data or {}).get(name)
        if isinstance(value, int | str) and not isinstance(value, bool) and HOTEL_ID.match(str(value)):
            return str(value)
    return None


def _secret(hotel_id: str | None, per_hotel: str, fallback: str | None) -> str | None:
    if hotel_id is not None:
        override = env_value(f"PMS_{hotel_id}_{per_hotel}")
        if override:
            return override
    return fallback


class WebhookAuthenticator:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def accept(
        self,
        vendor: str,
        body: bytes,
        headers: dict[str, str],
        query: dict[str, str],
        now: float,
    ) -> InboundEvent | Ignored:
        """Authenticate, then parse; raises `IntakeRefused` (401 before 400: an unauthenticated
        sender learns nothing about what a valid body looks like)."""
        if vendor not in SUPPORTED_VENDORS:
            raise IntakeRefused(400, f"unknown vendor; supported: {', '.join(SUPPORTED_VENDORS)}")
        data = _json_object(body)
        if SIGNATURE_HEADER in headers:
            self._verify_signature(body, headers, _hotel_hint(data, "hotelId"), now)
            return self._spec(vendor, data)
        if vendor == "cloudbeds":
            self._verify_token(query, _hotel_hint(data, "propertyID", "propertyId"))
            return self._cloudbeds(data)
        self._verify_token(query, _hotel_hint(data, "EnterpriseId"))
        return self._mews(data, body, now)

    # -- authentication ----------------------------------------------------------------------------
    def _verify_signature(
        self, body: bytes, headers: dict[str, str], hotel_id: str | None, now: float
    ) -> None:
        global_secret = self.settings.pms_webhook_secret
        secret = _secret(
            hotel_id,
            "WEBHOOK_SECRET",
            global_secret.get_secret_value() if global_secret is not None else None,
        )
        if not secret:
            raise IntakeRefused(401, "no webhook secret is configured for this hotel")
        scheme, _, given = headers[SIGNATURE_HEADER].strip().partition("=")
        if scheme.lower() != "sha256" or not given:
            raise IntakeRefused(401, "signature must be sha256=<hex>")
        signed = body
        stamp = headers.get(TIMESTAMP_HEADER)
        if stamp is not None:
            if not stamp.strip().isdigit():
                raise IntakeRefused(401, "timestamp must be unix seconds")
            if abs(now - int(stamp)) > self.settings.webhook_tolerance_seconds:
                raise IntakeRefused(401, "timestamp outside the tolerance (replayed or clock skew)")
            signed = stamp.strip().encode() + b"." + body
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), given.strip().lower().encode()):
            raise IntakeRefused(401, "signature does not match")

    def _verify_token(self, query: dict[str, str], hotel_id: str | None) -> None:
        global_token = self.settings.webhook_url_token
        token = _secret(
            hotel_id,
            "WEBHOOK_TOKEN",
            global_token.get_secret_value() if global_token is not None else None,
        )
        given = query.get("token") or query.get("Token") or ""
        if not token or not hmac.compare_digest(token.encode(), given.encode()):
            raise IntakeRefused(401, "missing or wrong webhook token")

    # -- parsing -----------------------------------------------------------------------------------
    def _spec(self, vendor: str, data: dict[str, Any] | None) -> InboundEvent:
        if data is None:
            raise IntakeRefused(400, "body must be a JSON object")
        try:
            event = SpecEvent.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "body"
            raise IntakeRefused(400, f"{where}: {first.get('msg', 'invalid')}") from None
        span = (event.end - event.start).days if event.start and event.end else 0
        if span > self.settings.max_range_days:
            raise IntakeRefused(400, f"from..to spans more than {self.settings.max_range_days} days")
        payload = event.model_dump(mode="json", by_alias=True, exclude_none=True)
        return InboundEvent(vendor, event.eventId, event.type, event.hotelId, payload)

    def _cloudbeds(self, data: dict[str, Any] | None) -> InboundEvent | Ignored:
        if data is None:
            raise IntakeRefused(400, "body must be a JSON object")
        name = data.get("event")
        if not isinstance(name, str) or not re.fullmatch(r"[a-z_A-Z]{1,40}/[a-z_A-Z]{1,60}", name):
            raise IntakeRefused(400, "event is missing or malformed")
        hotel_id = _hotel_hint(data, "propertyID", "propertyId")
        if hotel_id is None:
            raise IntakeRefused(400, "propertyID is missing or malformed")
        if name not in CLOUDBEDS_EVENTS:
            return Ignored(f"cloudbeds event {name} is not used")
        reservation = _hotel_hint(data, "reservationID", "reservationId")
        stamp = data.get("timestamp")
        if reservation is None:
            raise IntakeRefused(400, "reservationID is missing or malformed")
        if not isinstance(stamp, int | float | str) or isinstance(stamp, bool):
            raise IntakeRefused(400, "timestamp is missing")
        try:
            float(stamp)
        except ValueError:
            raise IntakeRefused(400, "timestamp must be a number") from None
        payload: dict[str, Any] = {"event": name, "propertyID": hotel_id, "reservationID": reservation}
        payload["timestamp"] = str(stamp)
        for key in ("startDate", "endDate"):
            value = data.get(key)
            if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value[:10]):
                payload[key] = value[:10]
        event_id = f"{name}:{hotel_id}:{reservation}:{stamp}"
        if len(event_id) > 200:  # long ids: keep the key unique rather than cut it
            event_id = f"{name}:{hashlib.sha256(event_id.encode()).hexdigest()}"
        return InboundEvent("cloudbeds", event_id, name, hotel_id, payload)

    def _mews(self, data: dict[str, Any] | None, body: bytes, now: float) -> InboundEvent | Ignored:
        if data is None:
            raise IntakeRefused(400, "body must be a JSON object")
        hotel_id = _hotel_hint(data, "EnterpriseId")
        events = data.get("Events")
        if hotel_id is None:
            raise IntakeRefused(400, "EnterpriseId is missing or malformed")
        if not isinstance(events, list) or len(events) > MEWS_MAX_EVENTS:
            raise IntakeRefused(400, f"Events must be a list of at most {MEWS_MAX_EVENTS}")
        kept: dict[tuple[str, str], None] = {}
        for item in events:
            value = item.get("Value") if isinstance(item, dict) else None
            kind = item.get("Discriminator") if isinstance(item, dict) else None
            ident = value.get("Id") if isinstance(value, dict) else None
            if not isinstance(kind, str) or not isinstance(ident, str) or not re.fullmatch(ID, ident):
                raise IntakeRefused(400, "every event needs a Discriminator and a Value.Id")
            if kind in MEWS_DISCRIMINATORS:
                kept[(kind, ident)] = None  # "every Added event is also an Updated event": once each
        if not kept:
            return Ignored("no Mews event roomgate uses")
        payload = {
            "EnterpriseId": hotel_id,
            "Events": [{"Discriminator": k, "Value": {"Id": i}} for k, i in kept],
        }
        digest = hashlib.sha256(body).hexdigest()[:40]
        event_id = f"mews:{digest}:{int(now // MEWS_DEDUPE_WINDOW_SECONDS)}"
        return InboundEvent("mews", event_id, "mews/general", hotel_id, payload)
