"""Mews Connector API object shapes (field names as in the Mews docs) for the simulator."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from roomgate.simulators.pms_state import PropertyBook, SimReservation

_NAMESPACE = uuid.UUID("6f0d0c1e-5a55-4d1b-9e57-6d6577730000")
CHAIN_ID = str(uuid.uuid5(_NAMESPACE, "chain"))
CONNECTOR_PROFILE_ID = str(uuid.uuid5(_NAMESPACE, "connector-profile"))


def derived_id(seed: int, *parts: str) -> str:
    """Stable GUIDs for seeded objects (service, rate, age categories) given the simulator seed."""
    return str(uuid.uuid5(_NAMESPACE, ":".join((str(seed), *parts))))


def utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def unit_start(day: date, zone: ZoneInfo) -> str:
    """A daily time unit's start: local midnight in UTC."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def amount(value: Decimal, currency: str) -> dict[str, Any]:
    # Gross pricing without taxes: net equals gross.
    return {
        "Currency": currency,
        "NetValue": value,
        "GrossValue": value,
        "TaxValues": [],
        "Breakdown": {"Items": []},
    }


def configuration(book: PropertyBook, now: float) -> dict[str, Any]:
    seed, address = book.seed, book.seed.address
    enterprise = {
        "Id": book.property_id,
        "ExternalIdentifier": None,
        "HoldingKey": None,
        "ChainId": CHAIN_ID,
        "ChainName": "Roomgate Demo Chain",
        "CreatedUtc": utc(0),
        "UpdatedUtc": utc(0),
        "Name": seed.name,
        "TimeZoneIdentifier": seed.timezone,
        "LegalEnvironmentCode": seed.address.country or "KR",
        "AccommodationEnvironmentCode": seed.address.country or "KR",
        "AccountingEnvironmentCode": seed.address.country or "KR",
        "TaxEnvironmentCode": seed.address.country or "KR",
        "DefaultLanguageCode": "ko-KR",
        "AccountingEditableHistoryInterval": "P0M7DT0H0M0S",
        "OperationalEditableHistoryInterval": "P0M5DT0H0M0S",
        "WebsiteUrl": None,
        "Email": None,
        "Phone": None,
        "Pricing": "Gross",
        "TaxPrecision": None,
        "AddressId": derived_id(0, book.property_id, "address"),
        "Address": {
            "Id": derived_id(0, book.property_id, "address"),
            "Line1": address.line1,
            "Line2": address.line2 or None,
            "City": address.city,
            "PostalCode": address.zip,
            "CountryCode": address.country,
            "CountrySubdivisionCode": None,
            "Latitude": address.latitude,
            "Longitude": address.longitude,
        },
        "GroupNames": [],
        "Subscription": {"TaxIdentifier": None},
        "Currencies": [{"Currency": seed.currency, "IsDefault": True, "IsEnabled": True}],
        "IsPortfolio": False,
    }
    return {
        "NowUtc": utc(now),
        "Enterprise": enterprise,
        "Service": None,
        "PaymentCardStorage": None,
        "IsIdentityDocumentNumberRequired": False,
    }


def service(book: PropertyBook, service_id: str) -> dict[str, Any]:
    return {
        "Id": service_id,
        "EnterpriseId": book.property_id,
        "CreatedUtc": utc(0),
        "UpdatedUtc": utc(0),
        "IsActive": True,
        "Name": "Accommodation",
        "Names": {"en-US": "Accommodation"},
        "Ordering": 0,
        "Options": {"BillAsPackage": False},
        "Data": {
            "Discriminator": "Bookable",
            "Value": {
                "StartOffset": "P0M0DT15H0M0S",
                "EndOffset": "P0M0DT11H0M0S",
                "OccupancyStartOffset": "P0M0DT15H0M0S",
                "OccupancyEndOffset": "P0M0DT11H0M0S",
                "TimeUnitPeriod": "Day",
            },
        },
        "ExternalIdentifier": None,
    }


def age_category(category_id: str, service_id: str, classification: str) -> dict[str, Any]:
    names = {"Adult": {"en-US": "Adults", "ko-KR": "성인"}, "Child": {"en-US": "Children", "ko-KR": "어린이"}}
    return {
        "Id": category_id,
        "ServiceId": service_id,
        "MinimalAge": 18 if classification == "Adult" else 0,
        "MaximalAge": None if classification == "Adult" else 17,
        "Names": names[classification],
        "ShortNames": None,
        "CreatedUtc": utc(0),
        "UpdatedUtc": utc(0),
        "Classification": classification,
        "IsActive": True,
        "ExternalIdentifier": classification,
    }


def resource_category(
    book: PropertyBook, room_type_id: str, service_id: str, ordering: int
) -> dict[str, Any]:
    rt = book.room_types[room_type_id]
    return {
        "Id": rt.id,
        "EnterpriseId": book.property_id,
        "ServiceId": service_id,
        "IsActive": True,
        "Type": "Room",
        "Classification": "DoubleBed" if rt.max_guests <= 2 else "RollawayBed",
        "Names": {"en-US": rt.name},
        "ShortNames": {"en-US": rt.short_name or rt.name[:3].upper()},
        "Descriptions": {"en-US": rt.description} if rt.description else {},
        "Ordering": ordering,
        # Capacity: the places the price includes; ExtraCapacity: extra beds up to maxGuests.
        "Capacity": min(rt.max_guests, rt.included_adults() + rt.children_included),
        "ExtraCapacity": max(0, rt.max_guests - rt.included_adults() - rt.children_included),
        "ExternalIdentifier": None,
    }


def rate(rate_id: str, service_id: str, group_id: str) -> dict[str, Any]:
    return {
        "Id": rate_id,
        "GroupId": group_id,
        "ServiceId": service_id,
        "BaseRateId": None,
        "IsBaseRate": True,
        "BusinessSegmentId": None,
        "IsActive": True,
        "IsEnabled": True,
        "IsPublic": True,
        "IsDefault": True,
        "Type": "Public",
        "Name": "Best Available Rate",
        "Names": {"en-US": "Best Available Rate"},
        "ShortName": "BAR",
        "UpdatedUtc": utc(0),
        "ExternalNames": {"en-US": "Best Available Rate"},
        "ExternalIdentifier": "BAR",
    }


def customer(customer_id: str, number: str, body: dict[str, Any], now: float) -> dict[str, Any]:
    return {
        "Id": customer_id,
        "ChainId": CHAIN_ID,
        "Number": number,
        "Title": None,
        "Sex": None,
        "FirstName": body.get("FirstName"),
        "LastName": body["LastName"],
        "SecondLastName": None,
        "NationalityCode": body.get("NationalityCode"),
        "PreferredLanguageCode": None,
        "LanguageCode": None,
        "BirthDate": None,
        "Email": body.get("Email"),
        "HasOtaEmail": False,
        "Phone": body.get("Phone"),
        "Notes": body.get("Notes"),
        "CreatedUtc": utc(now),
        "UpdatedUtc": utc(now),
        "AddressId": None,
        "Classifications": [],
        "Options": [],
        "IsActive": True,
        "PreferredSpaceFeatures": [],
        "CreatorProfileId": CONNECTOR_PROFILE_ID,
        "UpdaterProfileId": CONNECTOR_PROFILE_ID,
    }


def reservation_2017(res: SimReservation) -> dict[str, Any]:
    """The `reservations/add` answer's reservation (ver 2017-04-12)."""
    x = res.extra
    return {
        "Id": res.reservation_id,
        "ServiceId": x["ServiceId"],
        "GroupId": x["GroupId"],
        "Number": x["Number"],
        "ChannelManager": "",
        "ChannelManagerGroupNumber": None,
        "ChannelManagerNumber": None,
        "ChannelNumber": res.external_id,
        "State": res.status,
        "Origin": "Connector",
        "CreatedUtc": utc(res.created),
        "UpdatedUtc": utc(res.modified),
        "CancelledUtc": _utc_or_none(x.get("CancelledUtc")),
        "StartUtc": x["StartUtc"],
        "EndUtc": x["EndUtc"],
        "ReleasedUtc": _utc_or_none(x.get("ReleasedUtc")),
        "RequestedCategoryId": res.room_type_id,
        "AssignedResourceId": None,
        "AssignedResourceLocked": False,
        "BusinessSegmentId": None,
        "CompanyId": None,
        "TravelAgencyId": None,
        "AvailabilityBlockId": None,
        "RateId": x["RateId"],
        "VoucherId": None,
        "OwnerId": x["CustomerId"],
        "PersonCounts": x["PersonCounts"],
        "Options": {"OwnerCheckedIn": False, "AllCompanionsCheckedIn": False, "AnyCompanionCheckedIn": False},
        # Deprecated, but still in the docs' example answer.
        "CustomerId": x["CustomerId"],
        "CompanionIds": [],
    }


def reservation_2023(res: SimReservation) -> dict[str, Any]:
    """`reservations/getAll/2023-06-06` reservation."""
    x = res.extra
    return {
        "Id": res.reservation_id,
        "ServiceId": x["ServiceId"],
        "AccountId": x["CustomerId"],
        "AccountType": "Customer",
        "CreatorProfileId": CONNECTOR_PROFILE_ID,
        "UpdaterProfileId": CONNECTOR_PROFILE_ID,
        "BookerId": None,
        "Number": x["Number"],
        "State": res.status,
        "Origin": "Connector",
        "CommanderOrigin": None,
        "OriginDetails": None,
        "CreatedUtc": utc(res.created),
        "UpdatedUtc": utc(res.modified),
        "CancelledUtc": _utc_or_none(x.get("CancelledUtc")),
        "VoucherId": None,
        "BusinessSegmentId": None,
        "Options": {
            "OwnerCheckedIn": False,
            "AllCompanionsCheckedIn": False,
            "AnyCompanionCheckedIn": False,
            "ConnectorCheckIn": False,
        },
        "RateId": x["RateId"],
        "CreditCardId": None,
        "GroupId": x["GroupId"],
        "RequestedResourceCategoryId": res.room_type_id,
        "AssignedResourceId": None,
        "AvailabilityBlockId": None,
        "PartnerCompanyId": None,
        "TravelAgencyId": None,
        "AssignedResourceLocked": False,
        "ChannelNumber": res.external_id,
        "ChannelManagerNumber": None,
        "CancellationReason": x.get("CancellationReason"),
        "ReleasedUtc": _utc_or_none(x.get("ReleasedUtc")),
        "StartUtc": x["StartUtc"],
        "EndUtc": x["EndUtc"],
        "ScheduledStartUtc": x["StartUtc"],
        "ActualStartUtc": None,
        "ScheduledEndUtc": x["EndUtc"],
        "ActualEndUtc": None,
        "Purpose": None,
        "QrCodeData": None,
        "PersonCounts": x["PersonCounts"],
    }


def _utc_or_none(epoch: float | None) -> str | None:
    return utc(epoch) if epoch is not None else None


def order_items(res: SimReservation, seed: int, zone: ZoneInfo) -> list[dict[str, Any]]:
    """`orderItems/getAll` items of one reservation: a night's price per time unit (`SpaceOrder`) and,
    when the PMS added one at booking, a `Surcharge` (negative: a `NightRebate`). Optional
    reservations' items are `Inactive` until confirmed; a cancelled reservation's are `Canceled`."""
    state = {"Optional": "Inactive", "Canceled": "Canceled"}.get(res.status, "Open")
    cancelled = res.extra.get("CancelledUtc")
    charges = [(f"night:{day.isoformat()}", "SpaceOrder", "Service", rate, day) for day, rate in res.nightly]
    if res.tax_total:
        charges.append(("taxes", "CityTax", "Additional", res.tax_total, res.check_in))
    if res.adjustment:  # a negative amount is a rebate, as in Mews
        kind = "Surcharge" if res.adjustment > 0 else "NightRebate"
        charges.append(("adjustment", kind, "Additional", res.adjustment, res.check_in))
    return [
        {
            "Id": derived_id(seed, res.reservation_id, key),
            "EnterpriseId": res.property_id,
            "AccountId": res.extra["CustomerId"],
            "AccountType": "Customer",
            "ServiceId": res.extra["ServiceId"],
            "ServiceOrderId": res.reservation_id,
            "Notes": None,
            "BillId": None,
            "AccountingCategoryId": None,
            "UnitCount": 1,
            "UnitAmount": amount(value, res.currency),
            "Amount": amount(value, res.currency),
            "OriginalAmount": amount(value, res.currency),
            "RevenueType": revenue,
            "CreatorProfileId": CONNECTOR_PROFILE_ID,
            "UpdaterProfileId": CONNECTOR_PROFILE_ID,
            "ConsumedUtc": unit_start(day, zone),
            "CanceledUtc": _utc_or_none(cancelled) if state == "Canceled" else None,
            "ClosedUtc": None,
            "StartUtc": unit_start(day, zone),
            "AccountingState": state,
            "Type": kind,
            "Options": {"CanceledWithReservation": state == "Canceled"},
            "CreatedUtc": utc(res.created),
            "UpdatedUtc": utc(res.modified),
            "Data": None,
        }
        for key, kind, revenue, value, day in charges
    ]
