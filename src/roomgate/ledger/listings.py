"""Listings imported from a PMS: `listings`, `room_types`, `room_inventory`, `rate_plan`, `pms_config`.

`save_import` writes all five in one transaction and reports what changed, so importing the same
hotel again updates it and never duplicates it. The API key arrives here already encrypted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from roomgate.domain.listing import (
    HotelOwnedByOtherVendor,
    ImportChanges,
    ListingDetails,
    ListingImport,
    ListingNotFound,
    RoomTypeDetails,
)
from roomgate.ledger.models import Listing, PMSConfig, RatePlan, RoomInventory, RoomTypeRow
from roomgate.ledger.types import utcnow
from roomgate.pms.types import RoomType

PUBLISHED = "published"
DISABLED = "disabled"


_LISTING_FIELDS = (
    "name",
    "location",
    "description",
    "latitude",
    "longitude",
    "currency",
    "average_price",
    "max_occupancy",
)
_ROOM_FIELDS = ("name", "description", "max_occupancy", "total_rooms", "average_price", "currency")


def _plain(value: Any) -> Any:
    """A JSON-friendly value; decimals compare and print by value (35.158700 is 35.1587)."""
    if isinstance(value, float):
        value = Decimal(str(value))
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return value


def details(listing: Listing, config: PMSConfig, rooms: Sequence[RoomTypeRow]) -> ListingDetails:
    return ListingDetails(
        id=listing.id,
        category=listing.category,
        name=listing.name,
        location=listing.location,
        description=listing.description,
        status=listing.status,
        currency=listing.currency,
        average_price=listing.average_price,
        max_occupancy=listing.max_occupancy,
        latitude=listing.latitude,
        longitude=listing.longitude,
        vendor=config.vendor,
        hotel_id=config.hotel_id,
        enabled=config.enabled,
        polling_enabled=config.polling_enabled,
        polling_interval_seconds=config.polling_interval_seconds,
        api_key_stored=config.api_key_encrypted is not None,
        key_version=config.key_version,
        last_sync_at=config.last_sync_at,
        created_at=listing.created_at,
        updated_at=listing.updated_at,
        room_types=tuple(
            RoomTypeDetails(
                room_type_id=room.pms_room_type_id,
                name=room.name,
                description=room.description,
                max_occupancy=room.max_occupancy,
                total_rooms=room.total_rooms,
                average_price=room.average_price,
                currency=room.currency,
            )
            for room in rooms
        ),
    )


class ListingRepository:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        import_retries: int = 1,
        after_config_read: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._sessions = sessions
        self._retries = import_retries
        # Race point for tests: between reading the hotel's pms_config and writing it.
        self._after_config_read = after_config_read

    # -- import ------------------------------------------------------------------------------------
    async def save_import(self, data: ListingImport) -> tuple[int, ImportChanges]:
        """Create or update the hotel's listing and everything under it, in one transaction.

        Two imports of the same new hotel at once: one inserts, the other hits the unique
        constraint, rolls back and runs again as an update."""
        for attempt in range(self._retries + 1):
            try:
                async with self._sessions.begin() as session:
                    return await self._save(session, data)
            except IntegrityError:
                if attempt == self._retries:
                    raise
        raise AssertionError("unreachable")

    async def _save(self, session: AsyncSession, data: ListingImport) -> tuple[int, ImportChanges]:
        config = await session.scalar(select(PMSConfig).where(PMSConfig.hotel_id == data.hotel_id))
        if self._after_config_read is not None:
            await self._after_config_read()
        if config is not None and config.vendor != data.vendor:
            raise HotelOwnedByOtherVendor(data.hotel_id, config.vendor)
        listing = (
            await session.get(Listing, config.listing_id)
            if config is not None and config.listing_id is not None
            else None
        )
        changes = ImportChanges(created=listing is None)
        if listing is None:
            listing = Listing(category="accommodation", status=PUBLISHED)
            session.add(listing)
        for name in _LISTING_FIELDS:
            new, old = getattr(data, name), getattr(listing, name, None)
            if changes.created or _plain(old) != _plain(new):
                if not changes.created:
                    changes.fields[name] = {"from": _plain(old), "to": _plain(new)}
                setattr(listing, name, new)
        await session.flush()

        if config is None:
            if data.encrypted_api_key is None:
                raise ValueError("a new PMS connection needs an API key")
            config = PMSConfig(vendor=data.vendor, hotel_id=data.hotel_id, key_version=1)
            session.add(config)
        config.listing_id = listing.id
        if data.encrypted_api_key is not None:
            changes.api_key_replaced = not changes.created and config.api_key_encrypted is not None
            config.api_key_encrypted = data.encrypted_api_key
        for name, value in (
            ("polling_enabled", data.polling_enabled),
            ("polling_interval_seconds", data.polling_interval_seconds),
        ):
            if not changes.created and getattr(config, name) != value:
                changes.fields[name] = {"from": getattr(config, name), "to": value}
            setattr(config, name, value)
        if not changes.created and not config.enabled:
            changes.fields["enabled"] = {"from": False, "to": True}
        config.enabled = True
        listing.status = PUBLISHED
        await self._save_room_types(session, listing.id, data, changes)
        await self._save_nights(session, data, changes)
        await session.flush()
        return listing.id, changes

    async def _save_room_types(
        self, session: AsyncSession, listing_id: int, data: ListingImport, changes: ImportChanges
    ) -> None:
        existing = {
            row.pms_room_type_id: row
            for row in await session.scalars(
                select(RoomTypeRow).where(
                    RoomTypeRow.pms_vendor == data.vendor, RoomTypeRow.pms_hotel_id == data.hotel_id
                )
            )
        }
        wanted = {room.room_type_id for room in data.room_types}
        for room in data.room_types:
            row = existing.get(room.room_type_id)
            if row is None:
                row = RoomTypeRow(
                    listing_id=listing_id,
                    pms_vendor=data.vendor,
                    pms_hotel_id=data.hotel_id,
                    pms_room_type_id=room.room_type_id,
                )
                session.add(row)
                if not changes.created:
                    changes.room_types_added.append(room.room_type_id)
            elif any(_plain(getattr(row, n)) != _plain(getattr(room, n)) for n in _ROOM_FIELDS):
                changes.room_types_updated.append(room.room_type_id)
            row.listing_id = listing_id
            for name in _ROOM_FIELDS:
                setattr(row, name, getattr(room, name))
        for room_type_id, row in existing.items():
            if room_type_id not in wanted:
                await session.delete(row)
                changes.room_types_removed.append(room_type_id)

    async def _save_nights(self, session: AsyncSession, data: ListingImport, changes: ImportChanges) -> None:
        nights = [row.night for row in data.inventory] + [row.night for row in data.prices]
        if not nights:
            return
        first, last = min(nights), max(nights)
        where = (
            RoomInventory.vendor == data.vendor,
            RoomInventory.hotel_id == data.hotel_id,
            RoomInventory.date >= first,
            RoomInventory.date <= last,
        )
        stored = {
            (r.room_type_id, r.date): r for r in await session.scalars(select(RoomInventory).where(*where))
        }
        now = utcnow()
        for night in data.inventory:
            row = stored.get((night.room_type_id, night.night))
            if row is None:
                session.add(
                    RoomInventory(
                        vendor=data.vendor,
                        hotel_id=data.hotel_id,
                        room_type_id=night.room_type_id,
                        date=night.night,
                        available=night.available,
                        total=night.total,
                        updated_at=now,
                    )
                )
                changes.inventory_nights_changed += 0 if changes.created else 1
            elif (row.available, row.total) != (night.available, night.total):
                row.available, row.total, row.updated_at = night.available, night.total, now
                changes.inventory_nights_changed += 1
        price_where = (
            RatePlan.vendor == data.vendor,
            RatePlan.hotel_id == data.hotel_id,
            RatePlan.date >= first,
            RatePlan.date <= last,
        )
        prices = {
            (r.room_type_id, r.date): r for r in await session.scalars(select(RatePlan).where(*price_where))
        }
        for price in data.prices:
            rules = {"ratePlanId": price.rate_plan_id}
            existing = prices.get((price.room_type_id, price.night))
            if existing is None:
                session.add(
                    RatePlan(
                        vendor=data.vendor,
                        hotel_id=data.hotel_id,
                        room_type_id=price.room_type_id,
                        date=price.night,
                        price=price.price,
                        currency=price.currency,
                        rules=rules,
                    )
                )
                changes.price_nights_changed += 0 if changes.created else 1
            elif (existing.price, existing.currency, existing.rules) != (price.price, price.currency, rules):
                existing.price, existing.currency, existing.rules = price.price, price.currency, rules
                changes.price_nights_changed += 1
        removed = set(changes.room_types_removed)
        if removed:
            for table in (RoomInventory, RatePlan):
                await session.execute(
                    delete(table).where(
                        table.vendor == data.vendor,
                        table.hotel_id == data.hotel_id,
                        table.room_type_id.in_(removed),
                    )
                )

    # -- reads -------------------------------------------------------------------------------------
    async def update_room_types(self, vendor: str, hotel_id: str, room_types: Sequence[RoomType]) -> int:
        """Bring imported `room_types` rows in line with the PMS (name, occupancy, room count)."""
        by_id = {rt.room_type_id: rt for rt in room_types}
        changed = 0
        async with self._sessions.begin() as session:
            rows = await session.scalars(
                select(RoomTypeRow).where(
                    RoomTypeRow.pms_vendor == vendor, RoomTypeRow.pms_hotel_id == hotel_id
                )
            )
            for row in rows:
                found = by_id.get(row.pms_room_type_id)
                if found is None:
                    continue
                row.name = found.name[:200]
                row.max_occupancy = found.max_occupancy
                if found.total_rooms is not None:
                    row.total_rooms = found.total_rooms
                changed += 1
        return changed

    async def get(self, listing_id: int) -> ListingDetails:
        async with self._sessions() as session:
            listing = await session.get(Listing, listing_id)
            config = await session.scalar(select(PMSConfig).where(PMSConfig.listing_id == listing_id))
            if listing is None or config is None:
                raise ListingNotFound(listing_id)
            rooms = await session.scalars(
                select(RoomTypeRow).where(RoomTypeRow.listing_id == listing_id).order_by(RoomTypeRow.id)
            )
            return details(listing, config, list(rooms))

    async def find_by_hotel(self, hotel_id: str) -> int | None:
        async with self._sessions() as session:
            config = await session.scalar(select(PMSConfig).where(PMSConfig.hotel_id == hotel_id))
        return None if config is None else config.listing_id

    async def list_listings(self, *, offset: int = 0, limit: int = 100) -> tuple[int, list[ListingDetails]]:
        async with self._sessions() as session:
            total = await session.scalar(select(func.count()).select_from(PMSConfig)) or 0
            rows = await session.execute(
                select(Listing, PMSConfig)
                .join(PMSConfig, PMSConfig.listing_id == Listing.id)
                .order_by(Listing.id)
                .offset(offset)
                .limit(limit)
            )
            return int(total), [details(listing, config, ()) for listing, config in rows]

    async def nights(
        self, vendor: str, hotel_id: str, first: date, last: date
    ) -> tuple[list[RoomInventory], list[RatePlan]]:
        """Stored inventory and prices of the hotel between two nights (both included)."""
        async with self._sessions() as session:
            inventory = await session.scalars(
                select(RoomInventory)
                .where(
                    RoomInventory.vendor == vendor,
                    RoomInventory.hotel_id == hotel_id,
                    RoomInventory.date >= first,
                    RoomInventory.date <= last,
                )
                .order_by(RoomInventory.room_type_id, RoomInventory.date)
            )
            prices = await session.scalars(
                select(RatePlan)
                .where(
                    RatePlan.vendor == vendor,
                    RatePlan.hotel_id == hotel_id,
                    RatePlan.date >= first,
                    RatePlan.date <= last,
                )
                .order_by(RatePlan.room_type_id, RatePlan.date)
            )
            return list(inventory), list(prices)

    async def hotel_configs(self) -> list[PMSConfig]:
        """Every stored PMS connection (the hotel directory's source)."""
        async with self._sessions() as session:
            return list(await session.scalars(select(PMSConfig).order_by(PMSConfig.hotel_id)))

    async def stored_credential_count(self) -> int:
        async with self._sessions() as session:
            count = await session.scalar(
                select(func.count()).select_from(PMSConfig).where(PMSConfig.api_key_encrypted.is_not(None))
            )
        return int(count or 0)

    # -- updates -----------------------------------------------------------------------------------
    async def update(
        self, listing_id: int, listing_fields: Mapping[str, Any], config_fields: Mapping[str, Any]
    ) -> dict[str, dict[str, Any]]:
        """Change some fields of the listing and its PMS connection; returns what changed."""
        changed: dict[str, dict[str, Any]] = {}
        async with self._sessions.begin() as session:
            listing = await session.get(Listing, listing_id, with_for_update=True)
            config = await session.scalar(
                select(PMSConfig).where(PMSConfig.listing_id == listing_id).with_for_update()
            )
            if listing is None or config is None:
                raise ListingNotFound(listing_id)
            for target, values in ((listing, listing_fields), (config, config_fields)):
                for name, value in values.items():
                    old = getattr(target, name)
                    if _plain(old) != _plain(value):
                        label = name if name != "api_key_encrypted" else "api_key"
                        changed[label] = (
                            {"from": _plain(old), "to": _plain(value)}
                            if label != "api_key"
                            else {"replaced": True}
                        )
                        setattr(target, name, value)
            if "enabled" in config_fields:
                listing.status = PUBLISHED if config_fields["enabled"] else DISABLED
            if "api_key" in changed:
                config.key_version += 1
        return changed

    async def encrypted_keys(self) -> list[tuple[int, str]]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(PMSConfig.id, PMSConfig.api_key_encrypted)
                .where(PMSConfig.api_key_encrypted.is_not(None))
                .order_by(PMSConfig.id)
            )
            return [(row_id, token) for row_id, token in rows if token is not None]

    async def replace_encrypted_key(self, config_id: int, old: str, new: str) -> bool:
        """Compare-and-set: only if the stored value is still `old` (a concurrent key rotation wins)."""
        async with self._sessions.begin() as session:
            config = await session.get(PMSConfig, config_id, with_for_update=True)
            if config is None or config.api_key_encrypted != old:
                return False
            config.api_key_encrypted = new
            return True
