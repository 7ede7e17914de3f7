"""Every Redis key name roomgate uses, built in one place.

The hotel id is the Redis Cluster hash tag (`{hotel_123}`), so all keys of one hotel share a slot
and a multi-key Lua script never crosses shards. Lua scripts never build key names: they get them
in KEYS from these functions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date


def hotel_tag(hotel_id: str) -> str:
    """The hash tag of a hotel: `{hotel_123}`."""
    if not hotel_id or any(c in hotel_id for c in "{}: \r\n"):
        # A brace or colon in the id would move the hash tag or make two keys collide.
        raise ValueError("hotel id must be non-empty and free of braces, colons and whitespace")
    return "{" + hotel_id + "}"


def _night_suffix(room_type_id: str, night: date) -> str:
    if not room_type_id or ":" in room_type_id:
        raise ValueError("room type id must be non-empty and free of colons")
    return f"{room_type_id}:{night.isoformat()}"


def inv(hotel_id: str, room_type_id: str, night: date) -> str:
    """PMS available count of one night: `inv:{hotel_123}:room_456:2025-11-01`."""
    return f"inv:{hotel_tag(hotel_id)}:{_night_suffix(room_type_id, night)}"


def rate(hotel_id: str, room_type_id: str, night: date) -> str:
    """Price, currency and rate plan of one night."""
    return f"rate:{hotel_tag(hotel_id)}:{_night_suffix(room_type_id, night)}"


def lkg_inv(hotel_id: str, room_type_id: str, night: date) -> str:
    """Last-known-good copy of `inv`, kept ~24 h for the fallback path."""
    return f"lkg:inv:{hotel_tag(hotel_id)}:{_night_suffix(room_type_id, night)}"


def lkg_rate(hotel_id: str, room_type_id: str, night: date) -> str:
    """Last-known-good copy of `rate`."""
    return f"lkg:rate:{hotel_tag(hotel_id)}:{_night_suffix(room_type_id, night)}"


def mutation(hotel_id: str, room_type_id: str, night: date) -> str:
    """When a local booking mutation last changed this night's count (ms); older snapshots skip it."""
    return f"mut:{hotel_tag(hotel_id)}:{_night_suffix(room_type_id, night)}"


def night_holds(hotel_id: str, room_type_id: str, night: date) -> str:
    """Sorted set of the night's holds: member `<qty>:<holdId>`, score = expiry (ms)."""
    return f"holds:{hotel_tag(hotel_id)}:{_night_suffix(room_type_id, night)}"


def hold(hotel_id: str, hold_id: str) -> str:
    """The hold record: `hold:{hotel_123}:<holdId>`."""
    if not hold_id:
        raise ValueError("hold id must be non-empty")
    return f"hold:{hotel_tag(hotel_id)}:{hold_id}"


def rooms(hotel_id: str) -> str:
    """The hotel's room-type list: `hotel:{hotel_123}:rooms`."""
    return f"hotel:{hotel_tag(hotel_id)}:rooms"


def lkg_rooms(hotel_id: str) -> str:
    """Last-known-good copy of the room-type list."""
    return f"lkg:hotel:{hotel_tag(hotel_id)}:rooms"


def view_version(hotel_id: str) -> str:
    """The hotel's view version: changed by every write an availability read could see, so a
    response rendered at one version may be served again while it is unchanged."""
    return f"ver:{hotel_tag(hotel_id)}"


def fill_lease(hotel_id: str, vendor: str, room_type_ids: Iterable[str], start: date, end: date) -> str:
    """Short lease one process takes while it fills a range from the PMS (others wait and re-read)."""
    scope = "|".join([vendor, ",".join(sorted(room_type_ids)), start.isoformat(), end.isoformat()])
    digest = hashlib.sha1(scope.encode(), usedforsecurity=False).hexdigest()[:16]
    return f"fill:{hotel_tag(hotel_id)}:{digest}"
