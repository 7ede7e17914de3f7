"""Key names: the spec's shapes, and every key of a hotel on one Redis Cluster slot."""

from __future__ import annotations

from datetime import date

import pytest
from redis.crc import key_slot

from roomgate.cache import keys

NIGHT = date(2025, 11, 1)


def test_keys_follow_the_spec_with_the_hotel_as_hash_tag() -> None:
    # given / when / then
    assert keys.inv("hotel_123", "room_456", NIGHT) == "inv:{hotel_123}:room_456:2025-11-01"
    assert keys.rate("hotel_123", "room_456", NIGHT) == "rate:{hotel_123}:room_456:2025-11-01"
    assert keys.hold("hotel_123", "h-1") == "hold:{hotel_123}:h-1"
    assert keys.rooms("hotel_123") == "hotel:{hotel_123}:rooms"
    assert keys.lkg_inv("hotel_123", "room_456", NIGHT) == "lkg:inv:{hotel_123}:room_456:2025-11-01"


def test_every_key_of_a_hotel_lands_on_the_same_cluster_slot() -> None:
    # given every kind of key of one hotel
    hotel, room = "hotel_123", "room_456"
    names = [
        keys.inv(hotel, room, NIGHT),
        keys.rate(hotel, room, NIGHT),
        keys.lkg_inv(hotel, room, NIGHT),
        keys.lkg_rate(hotel, room, NIGHT),
        keys.mutation(hotel, room, NIGHT),
        keys.night_holds(hotel, room, NIGHT),
        keys.hold(hotel, "any"),
        keys.rooms(hotel),
        keys.lkg_rooms(hotel),
        keys.fill_lease(hotel, "cloudbeds", [room], NIGHT, date(2025, 11, 3)),
    ]
    # when
    slots = {key_slot(name.encode()) for name in names}
    # then
    assert slots == {key_slot(b"hotel_123")}
    assert key_slot(keys.inv("hotel_999", room, NIGHT).encode()) != key_slot(b"hotel_123")


@pytest.mark.parametrize("bad", ["", "a{b", "a}b", "a:b", "a b"])
def test_hotel_ids_that_would_break_the_hash_tag_are_refused(bad: str) -> None:
    # given / when / then
    with pytest.raises(ValueError):
        keys.inv(bad, "room_456", NIGHT)


def test_the_fill_lease_key_ignores_room_order() -> None:
    # given / when / then
    a = keys.fill_lease("h", "mews", ["r2", "r1"], NIGHT, date(2025, 11, 2))
    assert a == keys.fill_lease("h", "mews", ["r1", "r2"], NIGHT, date(2025, 11, 2))
    assert a != keys.fill_lease("h", "cloudbeds", ["r1", "r2"], NIGHT, date(2025, 11, 2))
