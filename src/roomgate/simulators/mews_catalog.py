"""The Mews simulator's view of the shared properties: enterprise = property, one bookable service each.

Enterprise ids are the property ids (`hotel_123`) and resource category ids the room type ids
(`room_456`), so the same names work across vendors; service, rate and age-category ids are GUIDs
derived from the simulator seed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from roomgate.simulators.mews_views import derived_id
from roomgate.simulators.pms_state import PmsSimState, PropertyBook


class MewsRefusal(Exception):
    """A Mews error answer: `{"Message": ...}` with this HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class MewsCatalog:
    def __init__(self, state: PmsSimState, seed: int) -> None:
        self.state = state
        self.seed = seed

    def service_id(self, property_id: str) -> str:
        return derived_id(self.seed, property_id, "service")

    def rate_id(self, property_id: str) -> str:
        return derived_id(self.seed, property_id, "rate")

    def rate_group_id(self, property_id: str) -> str:
        return derived_id(self.seed, property_id, "rate-group")

    def age_category_id(self, property_id: str, classification: str) -> str:
        return derived_id(self.seed, property_id, "age", classification)

    def zone(self, book: PropertyBook) -> ZoneInfo:
        return ZoneInfo(book.seed.timezone)

    def by_service(self, service_id: Any) -> PropertyBook:
        book = next(
            (b for b in self.state.properties.values() if self.service_id(b.property_id) == service_id), None
        )
        if book is None:
            raise MewsRefusal(400, "Invalid ServiceId.")
        return book

    def by_rate(self, rate_id: Any) -> PropertyBook:
        book = next(
            (b for b in self.state.properties.values() if self.rate_id(b.property_id) == rate_id), None
        )
        if book is None:
            raise MewsRefusal(400, "Invalid RateId.")
        return book

    def enterprise(self, body: dict[str, Any]) -> PropertyBook:
        """`EnterpriseId`, defaulting (like a token's own enterprise) to the first property."""
        wanted = body.get("EnterpriseId")
        if wanted is None:
            return next(iter(self.state.properties.values()))
        book = self.state.properties.get(str(wanted))
        if book is None:
            raise MewsRefusal(401, f"The access token has no access to enterprise {wanted}.")
        return book

    def enterprises(self, body: dict[str, Any]) -> list[PropertyBook]:
        """`EnterpriseIds`, defaulting to every enterprise in the token's scope (all of them here)."""
        wanted = body.get("EnterpriseIds")
        if not wanted:
            return list(self.state.properties.values())
        missing = [e for e in wanted if e not in self.state.properties]
        if missing:
            raise MewsRefusal(401, f"The access token has no access to enterprise {missing[0]}.")
        return [self.state.properties[e] for e in wanted]

    def unit_date(self, value: Any, zone: ZoneInfo, name: str) -> date:
        """The local date of a time-unit start; anything but local midnight is refused as Mews does."""
        moment = parse_utc(value, name).astimezone(zone)
        if (moment.hour, moment.minute, moment.second) != (0, 0, 0):
            raise MewsRefusal(400, f"{name} must be the start of a time unit (local midnight in UTC).")
        return moment.date()


def parse_utc(value: Any, name: str) -> datetime:
    if not isinstance(value, str) or not value.endswith("Z"):
        raise MewsRefusal(400, f"{name} must be an ISO 8601 UTC datetime.")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        raise MewsRefusal(400, f"{name} must be an ISO 8601 UTC datetime.") from None


def required(body: dict[str, Any], *names: str) -> None:
    for name in names:
        if body.get(name) in (None, "", []):
            raise MewsRefusal(400, f"Invalid {name}: a value is required.")


def page(items: list[dict[str, Any]], body: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """Cursor pagination: `Limitation {Count, Cursor}`; the answer's Cursor is the last item's Id."""
    limitation = body.get("Limitation")
    if not isinstance(limitation, dict) or not isinstance(limitation.get("Count"), int):
        raise MewsRefusal(400, "Invalid Limitation: Count is required.")
    count = limitation["Count"]
    if not 1 <= count <= 1000:
        raise MewsRefusal(400, "Invalid Limitation: Count must be between 1 and 1000.")
    cursor = limitation.get("Cursor")
    start = 0
    if cursor:
        ids = [str(item["Id"]) for item in items]
        start = ids.index(cursor) + 1 if cursor in ids else len(items)
    chunk = items[start : start + count]
    return chunk, (str(chunk[-1]["Id"]) if chunk else None)
