"""What a Mews connector reads once: enterprise, bookable service, age categories and default rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from roomgate.pms import mews_parse as parse
from roomgate.pms.errors import PMSNotFound, PMSTransientError
from roomgate.pms.mews_client import MewsClient
from roomgate.pms.mews_time import parse_duration


@dataclass(frozen=True, slots=True)
class MewsSetup:
    enterprise: dict[str, Any]
    zone: ZoneInfo
    currency: str
    service_id: str
    start_offset: timedelta  # from the first night's local midnight to the check-in time
    end_offset: timedelta  # from the check-out date's local midnight to the check-out time
    adult_category_id: str
    child_category_id: str | None
    default_rate_id: str


async def load_setup(api: MewsClient, scope: dict[str, Any], scope_plural: dict[str, Any]) -> MewsSetup:
    """Four calls: `configuration/get`, `services/getAll`, `ageCategories/getAll`, `rates/getAll`."""
    enterprise = (await api.call("configuration/get", scope)).get("Enterprise") or {}
    try:
        zone = ZoneInfo(str(enterprise.get("TimeZoneIdentifier") or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        raise api.ctx.error(PMSTransientError, "configuration/get", "unknown enterprise time zone") from None
    services = await api.get_all("services/getAll", scope_plural, "Services")
    service = next((s for s in services if s.get("IsActive", True) and _bookable(s)), None)
    if service is None:
        raise api.ctx.error(PMSNotFound, "services/getAll", "no bookable service")
    bookable = service["Data"].get("Value") or {}
    by_service = {**scope_plural, "ServiceIds": [service["Id"]], "ActivityStates": ["Active"]}
    ages = await api.get_all("ageCategories/getAll", by_service, "AgeCategories")
    adult = next((a["Id"] for a in ages if a.get("Classification") == "Adult"), None)
    child = next((a["Id"] for a in ages if a.get("Classification") == "Child"), None)
    rates_payload = {**by_service, "Extent": {"Rates": True, "AvailabilityBlockAssignments": False}}
    rates = [r for r in await api.get_all("rates/getAll", rates_payload, "Rates") if r.get("IsEnabled", True)]
    rate = _default_rate(rates)
    if adult is None or rate is None:
        raise api.ctx.error(PMSNotFound, "rates/getAll", "no adult age category or no enabled rate")
    return MewsSetup(
        enterprise=enterprise,
        zone=zone,
        currency=parse.default_currency(enterprise),
        service_id=str(service["Id"]),
        start_offset=parse_duration(bookable.get("StartOffset")),
        end_offset=parse_duration(bookable.get("EndOffset")),
        adult_category_id=str(adult),
        child_category_id=str(child) if child else None,
        default_rate_id=str(rate["Id"]),
    )


def _bookable(service: dict[str, Any]) -> bool:
    return (service.get("Data") or {}).get("Discriminator") == "Bookable"


def _default_rate(rates: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The service's default rate, else a public base rate, else the first enabled one."""
    default = next((r for r in rates if r.get("IsDefault")), None)
    public_base = next((r for r in rates if r.get("IsBaseRate") and r.get("IsPublic")), None)
    return default or public_base or (rates[0] if rates else None)
