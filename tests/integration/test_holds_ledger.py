"""The Lua hold ledger on the in-process Redis and a real server: the same scripts on both."""

from __future__ import annotations

from typing import Any

import pytest

from roomgate.cache.hold_models import ConvertResult, HoldStatus, ReleaseResult
from roomgate.cache.holds import RedisHoldLedger
from roomgate.cache.inventory import InventoryCache
from roomgate.clock import FakeClock
from tests.integration.cache_support import HOTEL, NOV_1, ROOM, make_cache, nights, put_snapshot


async def setup(
    redis: Any, available: int | dict[Any, int] = 2, night_count: int = 3
) -> tuple[FakeClock, InventoryCache, RedisHoldLedger]:
    clock = FakeClock()
    cache = make_cache(redis, clock)
    await put_snapshot(cache, available, nights(night_count))
    return clock, cache, RedisHoldLedger(redis, clock)


async def for_sale(cache: InventoryCache, night_count: int = 3) -> list[int]:
    return [n.for_sale for n in await cache.get_range(HOTEL, ROOM, nights(night_count))]


async def test_a_hold_takes_every_night_and_lowers_what_is_for_sale(any_redis: Any) -> None:
    # given 2 rooms on 3 nights
    clock, cache, ledger = await setup(any_redis)
    # when
    outcome = await ledger.create_hold(HOTEL, ROOM, nights(3), 1, "h1")
    # then
    assert outcome.status is HoldStatus.HELD and outcome.ok
    assert outcome.expires_at == pytest.approx(clock.now() + 180)
    assert await for_sale(cache) == [1, 1, 1]


async def test_all_or_nothing_the_first_short_night_is_reported_and_nothing_is_held(any_redis: Any) -> None:
    # given the middle night has a single room, already held
    stay = nights(3)
    clock, cache, ledger = await setup(any_redis, {stay[0]: 2, stay[1]: 1, stay[2]: 2})
    assert (await ledger.create_hold(HOTEL, ROOM, [stay[1]], 1, "other")).ok
    # when
    outcome = await ledger.create_hold(HOTEL, ROOM, stay, 1, "h1")
    # then
    assert outcome.status is HoldStatus.SHORT and not outcome.ok
    assert (outcome.night, outcome.for_sale) == (stay[1], 0)
    assert await for_sale(cache) == [2, 0, 2]


async def test_a_night_without_a_cached_count_is_reported_missing(any_redis: Any) -> None:
    # given nights 1-2 cached, night 3 not
    clock, cache, ledger = await setup(any_redis, 5, night_count=2)
    # when
    outcome = await ledger.create_hold(HOTEL, ROOM, nights(3), 1, "h1")
    # then the caller learns which night to fill, and may retry with the same id after filling
    assert (outcome.status, outcome.night) == (HoldStatus.MISSING, nights(3)[2])
    await put_snapshot(cache, 5, nights(3))
    assert (await ledger.create_hold(HOTEL, ROOM, nights(3), 1, "h1")).status is HoldStatus.HELD


async def test_an_expired_cached_count_is_missing_too(any_redis: Any) -> None:
    # given
    clock, cache, ledger = await setup(any_redis)
    clock.advance(90)
    # when
    outcome = await ledger.create_hold(HOTEL, ROOM, nights(3), 1, "h1")
    # then
    assert (outcome.status, outcome.night) == (HoldStatus.MISSING, NOV_1)


async def test_holds_expire_after_their_ttl_with_no_job_running(any_redis: Any) -> None:
    # given both rooms held for 180 s
    clock, cache, ledger = await setup(any_redis, 2, night_count=1)
    assert (await ledger.create_hold(HOTEL, ROOM, [NOV_1], 2, "h1")).ok
    assert (await ledger.create_hold(HOTEL, ROOM, [NOV_1], 1, "h2")).status is HoldStatus.SHORT
    # when time passes (the cached count is refreshed, as the availability service would)
    clock.advance(180)
    await put_snapshot(cache, 2, [NOV_1])
    # then the rooms are for sale again and a new hold gets them
    assert await for_sale(cache, 1) == [2]
    assert (await ledger.create_hold(HOTEL, ROOM, [NOV_1], 2, "h3")).ok


async def test_release_frees_the_rooms_and_is_idempotent(any_redis: Any) -> None:
    # given
    clock, cache, ledger = await setup(any_redis)
    await ledger.create_hold(HOTEL, ROOM, nights(3), 2, "h1")
    # when
    first = await ledger.release(HOTEL, "h1")
    second = await ledger.release(HOTEL, "h1")
    # then
    assert (first, second) == (ReleaseResult.RELEASED, ReleaseResult.ALREADY_RELEASED)
    assert await for_sale(cache) == [2, 2, 2]


async def test_convert_lowers_the_cached_count_drops_the_hold_and_is_idempotent(any_redis: Any) -> None:
    # given
    clock, cache, ledger = await setup(any_redis)
    await ledger.create_hold(HOTEL, ROOM, nights(3), 1, "h1")
    # when
    first = await ledger.convert(HOTEL, "h1")
    second = await ledger.convert(HOTEL, "h1")
    # then one room fewer in the PMS count, no hold left, and the second call changed nothing
    assert (first, second) == (ConvertResult.CONVERTED, ConvertResult.ALREADY_CONVERTED)
    rows = await cache.get_range(HOTEL, ROOM, nights(3))
    assert [(n.available, n.held) for n in rows] == [(1, 0)] * 3
    assert [n.available for n in await cache.get_last_known_good(HOTEL, ROOM, nights(3))] == [1, 1, 1]


async def test_convert_marks_the_nights_so_an_older_snapshot_cannot_undo_it(any_redis: Any) -> None:
    # given a PMS read that began before the conversion
    clock, cache, ledger = await setup(any_redis)
    await ledger.create_hold(HOTEL, ROOM, nights(3), 1, "h1")
    read_began = clock.now()
    clock.advance(1)
    await ledger.convert(HOTEL, "h1")
    # when that read's (pre-booking) numbers arrive
    result = await put_snapshot(cache, 2, nights(3), read_started_at=read_began)
    # then they are not stored
    assert len(result.skipped_mutated) == 3
    assert [n.available for n in await cache.get_range(HOTEL, ROOM, nights(3))] == [1, 1, 1]


async def test_convert_does_not_count_twice_a_booking_a_newer_snapshot_already_shows(any_redis: Any) -> None:
    # given the PMS booked at t0, and a snapshot read at t0+1 already shows it (1 left)
    clock, cache, ledger = await setup(any_redis)
    await ledger.create_hold(HOTEL, ROOM, nights(3), 1, "h1")
    booked_at = clock.now()
    clock.advance(1)
    await put_snapshot(cache, 1, nights(3))
    # when
    assert await ledger.convert(HOTEL, "h1", booked_at=booked_at) is ConvertResult.CONVERTED
    # then
    assert [n.available for n in await cache.get_range(HOTEL, ROOM, nights(3))] == [1, 1, 1]


async def test_convert_after_release_and_release_after_convert_are_refused(any_redis: Any) -> None:
    # given one released and one converted hold
    clock, cache, ledger = await setup(any_redis)
    await ledger.create_hold(HOTEL, ROOM, nights(3), 1, "released")
    await ledger.create_hold(HOTEL, ROOM, nights(3), 1, "converted")
    await ledger.release(HOTEL, "released")
    await ledger.convert(HOTEL, "converted")
    # when
    convert_released = await ledger.convert(HOTEL, "released")
    release_converted = await ledger.release(HOTEL, "converted")
    # then nothing moved: one booking's room gone, nothing held
    assert convert_released is ConvertResult.REFUSED_RELEASED
    assert release_converted is ReleaseResult.REFUSED_CONVERTED
    assert [(n.available, n.held) for n in await cache.get_range(HOTEL, ROOM, nights(3))] == [(1, 0)] * 3


async def test_an_expired_hold_cannot_be_converted_or_released(any_redis: Any) -> None:
    # given
    clock, cache, ledger = await setup(any_redis)
    await ledger.create_hold(HOTEL, ROOM, nights(3), 1, "h1")
    clock.advance(181)
    # when
    converted = await ledger.convert(HOTEL, "h1")
    released = await ledger.release(HOTEL, "h1")
    # then the cached count is untouched
    assert (converted, released) == (ConvertResult.REFUSED_EXPIRED, ReleaseResult.EXPIRED)
    record = await ledger.get(HOTEL, "h1")
    assert record is not None and record.state == "expired" and not record.active(clock.now())


async def test_a_booking_the_pms_accepted_after_the_hold_lapsed_can_still_be_counted(any_redis: Any) -> None:
    # given a hold that lapsed while the payment was slow, and a fresh count
    clock, cache, ledger = await setup(any_redis)
    await ledger.create_hold(HOTEL, ROOM, nights(3), 1, "h1")
    clock.advance(181)
    await put_snapshot(cache, 2, nights(3))
    # when the saga, holding the PMS's confirmation, converts with count_if_expired
    late = await ledger.convert(HOTEL, "h1", count_if_expired=True)
    again = await ledger.convert(HOTEL, "h1", count_if_expired=True)
    # then the room is counted once
    assert (late, again) == (ConvertResult.CONVERTED_LATE, ConvertResult.ALREADY_CONVERTED)
    assert [(n.available, n.held) for n in await cache.get_range(HOTEL, ROOM, nights(3))] == [(1, 0)] * 3


async def test_unknown_holds_are_reported_as_such(any_redis: Any) -> None:
    # given
    clock, cache, ledger = await setup(any_redis)
    # when / then
    assert await ledger.release(HOTEL, "nope") is ReleaseResult.UNKNOWN
    assert await ledger.convert(HOTEL, "nope") is ConvertResult.UNKNOWN


async def test_creating_twice_with_one_id_returns_the_first_outcome_and_holds_once(any_redis: Any) -> None:
    # given
    clock, cache, ledger = await setup(any_redis)
    first = await ledger.create_hold(HOTEL, ROOM, nights(3), 1, "h1")
    clock.advance(10)
    # when
    again = await ledger.create_hold(HOTEL, ROOM, nights(3), 1, "h1")
    # then same hold, same expiry, one room held
    assert again.status is HoldStatus.REPLAYED and again.ok
    assert again.expires_at == first.expires_at
    assert await for_sale(cache) == [1, 1, 1]


@pytest.mark.parametrize(
    ("finish", "expected"),
    [("release", HoldStatus.RELEASED), ("convert", HoldStatus.CONVERTED), ("expire", HoldStatus.EXPIRED)],
)
async def test_a_create_retried_after_the_hold_ended_does_not_hold_again(
    any_redis: Any, finish: str, expected: HoldStatus
) -> None:
    # given a hold that ended
    clock, cache, ledger = await setup(any_redis)
    await ledger.create_hold(HOTEL, ROOM, nights(3), 1, "h1")
    if finish == "release":
        await ledger.release(HOTEL, "h1")
    elif finish == "convert":
        await ledger.convert(HOTEL, "h1")
    else:
        clock.advance(180)
        await put_snapshot(cache, 2, nights(3))
    before = await cache.get_range(HOTEL, ROOM, nights(3))
    # when
    retry = await ledger.create_hold(HOTEL, ROOM, nights(3), 1, "h1")
    # then
    assert retry.status is expected and not retry.ok
    assert await cache.get_range(HOTEL, ROOM, nights(3)) == before


async def test_the_same_id_with_other_nights_is_a_conflict(any_redis: Any) -> None:
    # given
    clock, cache, ledger = await setup(any_redis)
    await ledger.create_hold(HOTEL, ROOM, nights(3), 1, "h1")
    # when
    outcome = await ledger.create_hold(HOTEL, ROOM, nights(2), 1, "h1")
    # then
    assert outcome.status is HoldStatus.CONFLICT
    assert await for_sale(cache) == [1, 1, 1]


async def test_the_hold_record_says_what_was_held(any_redis: Any) -> None:
    # given
    clock, cache, ledger = await setup(any_redis)
    # when
    await ledger.create_hold(HOTEL, ROOM, list(reversed(nights(3))), 2, "h1", ttl_seconds=60)
    record = await ledger.get(HOTEL, "h1")
    # then
    assert record is not None
    assert (record.room_type_id, record.nights, record.quantity, record.state) == (ROOM, nights(3), 2, "held")
    assert record.expires_at == pytest.approx(clock.now() + 60)
    assert record.active(clock.now()) and not record.active(clock.now() + 60)


async def test_bad_arguments_are_refused_before_touching_redis(any_redis: Any) -> None:
    # given
    clock, cache, ledger = await setup(any_redis)
    # when / then
    with pytest.raises(ValueError):
        await ledger.create_hold(HOTEL, ROOM, [], 1, "h1")
    with pytest.raises(ValueError):
        await ledger.create_hold(HOTEL, ROOM, [NOV_1, NOV_1], 1, "h1")
    with pytest.raises(ValueError):
        await ledger.create_hold(HOTEL, ROOM, [NOV_1], 0, "h1")


async def test_the_availability_check_is_skipped_only_when_a_negative_control_asks(any_redis: Any) -> None:
    # given 2 rooms on 3 nights, both held
    clock, cache, ledger = await setup(any_redis)
    for hold_id in ("h1", "h2"):
        assert (await ledger.create_hold(HOTEL, ROOM, nights(3), 1, hold_id)).ok
    # when a third guest asks through a ledger built normally, then it is refused
    assert (await ledger.create_hold(HOTEL, ROOM, nights(3), 1, "h3")).status is HoldStatus.SHORT
    # and only the `hold_check=skip` fault point lets the same call oversell (what race tests detect)
    unchecked = RedisHoldLedger(any_redis, clock, skip_check=True)
    assert (await unchecked.create_hold(HOTEL, ROOM, nights(3), 1, "h3")).status is HoldStatus.HELD
    assert [n.held for n in await cache.get_range(HOTEL, ROOM, nights(3))] == [3, 3, 3]
