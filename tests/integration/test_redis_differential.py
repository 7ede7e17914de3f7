"""The in-process Redis (what `make demo` runs) answers exactly like a real Redis.

Hypothesis draws a sequence of operations — PMS snapshots of 1–90 nights over 1–5 room types,
local booking adjustments, webhook invalidations, keys deleted (missing) or aged past their
logical expiry by the injected clock (expired), last-known-good fallbacks, holds created,
released, converted and written unchecked, the room-type list, breaker, degraded-mode, rate-limit
and lease scripts — and runs each one on both servers through the production adapters. Every
reply, every read path's decoded answer, the raw reply text of `read_range` and, after each
sequence, every key's type, value and TTL presence must be equal.

This is the test that would have caught issue 10: fakeredis' `cjson.encode` walks a table in
`next` order, so 1- and 9-night reads of the warm path came back with fields swapped.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import asdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roomgate.cache import hotel_read, keys
from roomgate.cache.hotel_read import HotelRead
from roomgate.clock import FakeClock
from roomgate.domain.money import Money
from roomgate.domain.occupancy import OccupancyPricing
from roomgate.pms.types import NightInventory, NightRate, RoomType
from tests.integration.redis_pair import SCRIPT_NAMES, RedisPair, Side
from tests.report import report

HOTEL = "hotel_diff"
FIRST_NIGHT = date(2027, 3, 1)
ROOM_POOL = ["room_1", "room_2", "room_3", "room_4", "room_5"]
HOLD_IDS = ["h_a", "h_b", "h_c", "h_d"]
# Values that must survive the reply's JSON text whatever they contain.
PLAN_IDS = st.sampled_from(["rate_room_457", "rp_std", 'BAR|"q"\\x', "요금", "tab\there", "nul\x00x", ""])
PRICES = st.sampled_from([("98000", "KRW"), ("0", "KRW"), ("19.99", "USD"), ("1200", "JPY")])
# Extra-guest rules kept in the rate value (field `o`), and parties priced from them on every read.
OCCUPANCY = st.builds(
    OccupancyPricing,
    st.integers(1, 3),
    st.integers(0, 2),
    st.sampled_from([Decimal(0), Decimal("30000"), Decimal("12.5")]),
    st.sampled_from([Decimal(0), Decimal("15000"), Decimal("7.25")]),
    st.booleans(),
)
PARTIES = [(1, 0), (2, 1), (4, 0), (3, 2)]
ADVANCES = [0.001, 1, 30, 89, 91, 179, 181, 299, 301, 3601, 86_401]

RUN = Counter[str]()


def night_list(start: int, count: int) -> list[date]:
    return [FIRST_NIGHT + timedelta(days=start + i) for i in range(count)]


def read_view(read: HotelRead) -> dict[str, Any]:
    """Everything a caller can see of a read, as plain data (with each night's price for a few parties)."""
    rows = {
        room: [(tuple(night), [night.price_for(a, c) for a, c in PARTIES]) for night in nights]
        for room, nights in read.rows().items()
    }
    room_types = None if read.room_types is None else asdict(read.room_types)
    return {
        "version": read.version,
        "unchanged": read.unchanged,
        "valid_until_ms": read.valid_until_ms,
        "room_types": room_types,
        "rows": rows if not read.unchanged else None,
    }


class Scenario:
    """Draws operations and runs each on both servers."""

    def __init__(self, pair: RedisPair, data: st.DataObject, rooms: list[str], span: int) -> None:
        self.pair, self.data, self.rooms, self.span = pair, data, rooms, span
        self.clock = pair.clock
        self.last_version: dict[str, str | None] = {}

    def draw(self, strategy: st.SearchStrategy[Any]) -> Any:
        return self.data.draw(strategy)

    def stretch(self, longest: int = 90) -> list[date]:
        start = self.draw(st.integers(0, self.span - 1))
        count = self.draw(st.integers(1, min(longest, self.span - start)))
        return night_list(start, count)

    def room_subset(self) -> list[str]:
        return self.draw(
            st.lists(st.sampled_from(self.rooms), min_size=1, max_size=len(self.rooms), unique=True)
        )

    async def compare(self, label: str, operation: Any) -> None:
        first, second = await self.pair.both(HOTEL, operation)
        assert first == second, f"{label}: in-process {first!r} != real {second!r}"
        RUN["operations"] += 1
        RUN[label] += 1

    # -- operations ----------------------------------------------------------------------------
    async def store(self) -> None:
        rooms = self.room_subset()
        nights = self.stretch(longest=max(1, 180 // len(rooms)))
        inventory, rates = [], []
        for room in rooms:
            for night in nights:
                count = self.draw(st.none() | st.integers(0, 9))  # None: the PMS left it out
                if count is not None:
                    inventory.append(NightInventory(room, night, count))
                price = self.draw(st.none() | st.tuples(PRICES, PLAN_IDS, st.none() | OCCUPANCY))
                if price is not None:
                    (amount, currency), plan, rule = price
                    rates.append(NightRate(room, night, Money(Decimal(amount), currency), plan, rule))
                    RUN["occupancy_rules"] += rule is not None
        started = self.clock.now() - self.draw(st.sampled_from([0, 1, 30, 4000]))
        await self.compare(
            "store_snapshot",
            lambda s: s.cache.store_snapshot(HOTEL, rooms, nights, inventory, rates, read_started_at=started),
        )

    async def adjust(self) -> None:
        room, nights = self.draw(st.sampled_from(self.rooms)), self.stretch(longest=30)
        quantity = self.draw(st.integers(1, 3))
        changed = self.draw(st.sampled_from([None, -60.0, 0.0, 60.0]))
        at = None if changed is None else self.clock.now() + changed
        if self.draw(st.booleans()):
            await self.compare(
                "adjust_inventory",
                lambda s: s.cache.decrement_inventory(HOTEL, room, nights, quantity, pms_changed_at=at),
            )
        else:
            await self.compare(
                "adjust_inventory",
                lambda s: s.cache.increment_inventory(HOTEL, room, nights, quantity, pms_changed_at=at),
            )

    async def invalidate(self) -> None:
        room, nights = self.draw(st.sampled_from(self.rooms)), self.stretch(longest=30)
        await self.compare("invalidate", lambda s: s.cache.invalidate(HOTEL, room, nights))

    async def advance(self) -> None:
        self.clock.advance(self.draw(st.sampled_from(ADVANCES)))

    async def delete(self) -> None:
        kind = self.draw(st.sampled_from(["inv", "rate", "lkg_inv", "lkg_rate", "night_holds", "mutation"]))
        room, nights = self.draw(st.sampled_from(self.rooms)), self.stretch(longest=10)
        names = [getattr(keys, kind)(HOTEL, room, night) for night in nights]
        if self.draw(st.booleans()):
            names.append(
                self.draw(
                    st.sampled_from([keys.view_version(HOTEL), keys.rooms(HOTEL), keys.lkg_rooms(HOTEL)])
                )
            )
        await self.compare("delete", lambda s: s.redis.delete(*names))

    async def room_types(self) -> None:
        action = self.draw(st.sampled_from(["put", "get", "get_stale", "invalidate"]))
        if action == "put":
            listed = [
                RoomType(
                    room,
                    self.draw(st.sampled_from(["Deluxe", 'Twin "Sea"\\', "패밀리"])),
                    self.draw(st.integers(1, 4)),
                )
                for room in self.room_subset()
            ]
            started = self.clock.now() - self.draw(st.sampled_from([0, 5]))
            await self.compare(
                "room_types", lambda s: s.cache.put_room_types(HOTEL, listed, read_started_at=started)
            )
        elif action == "invalidate":
            await self.compare("room_types", lambda s: s.cache.invalidate_room_types(HOTEL))
        else:
            stale = action == "get_stale"

            async def get(s: Side) -> Any:
                found = await s.cache.get_room_types(HOTEL, allow_stale=stale)
                return None if found is None else asdict(found)

            await self.compare("room_types", get)

    async def hold(self) -> None:
        hold_id = self.draw(st.sampled_from(HOLD_IDS))
        action = self.draw(st.sampled_from(["create", "create", "release", "convert", "get", "unchecked"]))
        if action in ("create", "unchecked"):
            room, nights, quantity = (
                self.draw(st.sampled_from(self.rooms)),
                self.stretch(),
                self.draw(st.integers(1, 3)),
            )
            if action == "create":
                ttl = self.draw(st.sampled_from([None, 1, 60, 400]))
                await self.compare(
                    "hold_create", lambda s: s.ledger.create_hold(HOTEL, room, nights, quantity, hold_id, ttl)
                )
            else:
                await self.compare(
                    "hold_unchecked",
                    lambda s: s.unchecked.create_hold(HOTEL, room, nights, quantity, hold_id),
                )
        elif action == "release":
            await self.compare("hold_release", lambda s: s.ledger.release(HOTEL, hold_id))
        elif action == "convert":
            booked = self.draw(st.sampled_from([None, -60.0, 60.0]))
            at = None if booked is None else self.clock.now() + booked
            late = self.draw(st.booleans())
            await self.compare(
                "hold_convert",
                lambda s: s.ledger.convert(HOTEL, hold_id, booked_at=at, count_if_expired=late),
            )
        else:
            await self.compare("hold_get", lambda s: s.ledger.get(HOTEL, hold_id))

    async def read(self) -> None:
        rooms, nights = self.room_subset(), self.stretch()
        mode = self.draw(st.sampled_from(["fresh", "fallback", "lkg", "hotel", "single"]))
        if mode == "hotel":
            await self.read_hotel(rooms, nights)
        elif mode == "single":
            night = nights[0]
            await self.compare("read_one", lambda s: s.cache.get(HOTEL, rooms[0], night))
        elif mode == "lkg":

            async def lkg(s: Side) -> Any:
                return [tuple(n) for n in await s.cache.get_last_known_good(HOTEL, rooms[0], nights)]

            await self.compare("read_lkg", lkg)
        else:

            async def many(s: Side) -> Any:
                found = await s.cache.get_many(HOTEL, rooms, nights, allow_stale=mode == "fallback")
                return {room: [tuple(n) for n in rows] for room, rows in found.items()}

            await self.compare(f"read_{mode}", many)
        await self.raw_read(rooms, nights, "fresh" if mode in ("fresh", "hotel", "single") else "all")

    async def read_hotel(self, rooms: list[str], nights: list[date]) -> None:
        expect = self.draw(st.sampled_from(["none", "last", "stale"]))

        async def hotel(s: Side) -> Any:
            # the version this side last handed out (a remembered answer), its first one, or none
            seen = s.versions or [None]
            known = {"none": None, "last": seen[-1], "stale": seen[0]}[expect]
            return read_view(await s.cache.read_hotel(HOTEL, rooms, nights, expect_version=known))

        await self.compare("read_hotel", hotel)

    async def raw_read(self, rooms: list[str], nights: list[date], layout: str) -> None:
        """The script's reply text itself (and its original array layout) must be the same bytes."""
        lead = hotel_read.lead_keys(HOTEL, True).names
        grid = hotel_read.grid_keys(HOTEL, tuple(rooms), tuple(nights), layout).names
        now_ms = round(self.clock.now() * 1000)

        async def packed(s: Side) -> Any:
            text = await s.script["read_range"](keys=[*lead, *grid], args=[now_ms, layout, 1, ""])
            json.loads(text)  # valid JSON on both
            return text

        await self.compare("read_range_text", packed)
        if layout == "all":
            await self.compare(
                "read_range_array", lambda s: s.script["read_range"](keys=list(grid), args=[now_ms])
            )

    async def resilience(self) -> None:
        now_ms = round(self.clock.now() * 1000)
        which = self.draw(
            st.sampled_from(["breaker", "degraded", "rate_limit", "inbound_limit", "lease", "bump"])
        )
        if which == "breaker":
            key = self.draw(st.sampled_from(["breaker:{hotel_diff}:cloudbeds", "breaker:{hotel_diff}:mews"]))
            op = self.draw(st.sampled_from(["admit", "success", "failure", "release"]))
            args = [op, self.draw(st.integers(0, 3)), now_ms, 2, 2, 60_000, 1, 30_000, 3_600_000]
            await self.compare("breaker", lambda s: s.script["breaker"](keys=[key], args=args))
        elif which == "degraded":
            source = self.draw(st.sampled_from(["breaker:cloudbeds", "breaker:mews"]))
            token = now_ms + self.draw(st.sampled_from([-1000, 0, 1000]))
            value = self.draw(st.sampled_from(["", "PMS API 다운"]))
            args = [source, token, value]
            await self.compare(
                "degraded_mark",
                lambda s: s.script["degraded_mark"](keys=["degraded:{hotel_diff}"], args=args),
            )
        elif which == "rate_limit":
            RUN["member"] += 1
            args = [
                now_ms,
                self.draw(st.sampled_from([30_000, 60_000])),
                self.draw(st.integers(1, 3)),
                f"m{RUN['member']}",
            ]
            await self.compare(
                "outbound_rate_limit",
                lambda s: s.script["outbound_rate_limit"](keys=["ratelimit:cloudbeds:x"], args=args),
            )
        elif which == "inbound_limit":
            args = [now_ms, self.draw(st.sampled_from([3, 7, 60])), 60_000, self.draw(st.integers(1, 5))]
            await self.compare(
                "inbound_rate_limit",
                lambda s: s.script["inbound_rate_limit"](keys=["inrate:{client}:reads"], args=args),
            )
        elif which == "lease":
            mine = self.draw(st.booleans())

            async def lease(s: Side) -> Any:
                await s.redis.set("fill:{hotel_diff}:k", "token-1", px=60_000)
                return await s.script["lease_release"](
                    keys=["fill:{hotel_diff}:k"], args=["token-1" if mine else "token-2"]
                )

            await self.compare("lease_release", lease)
        else:
            await self.compare(
                "view_version_bump", lambda s: s.script["view_version_bump"](keys=[keys.view_version(HOTEL)])
            )


STEPS = ["store", "store", "read", "read", "read", "adjust", "invalidate", "advance", "advance"]
STEPS += ["delete", "room_types", "hold", "hold", "hold", "resilience"]
EXAMPLES = 60


async def one_sequence(url: str, data: st.DataObject, room_count: int, span: int, seed: int) -> None:
    async with RedisPair(url, FakeClock(), seed) as pair:
        scenario = Scenario(pair, data, ROOM_POOL[:room_count], span)
        steps = ["store", *data.draw(st.lists(st.sampled_from(STEPS), min_size=4, max_size=25))]
        for step in steps:
            await getattr(scenario, step)()
        in_process, real = [await side.dump() for side in pair.sides]
        assert in_process == real
    RUN["sequences"] += 1


@pytest.mark.redis
@pytest.mark.timeout(900)
def test_in_process_redis_replies_like_a_real_redis(
    real_redis_url: str, request: pytest.FixtureRequest
) -> None:
    # given: every Lua script of cache/lua/ is exercised by some operation below
    assert set(SCRIPT_NAMES) == {
        "adjust_inventory",
        "breaker",
        "degraded_mark",
        "hold_convert",
        "hold_create",
        "hold_release",
        "hold_unchecked_write",
        "inbound_rate_limit",
        "lease_release",
        "outbound_rate_limit",
        "read_range",
        "store_snapshot",
        "view_version_bump",
    }, "a new script needs an operation in this test"
    RUN.clear()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data(), room_count=st.integers(1, 5), span=st.integers(1, 90), seed=st.integers(0, 2**16))
    def sequence(data: st.DataObject, room_count: int, span: int, seed: int) -> None:
        asyncio.run(one_sequence(real_redis_url, data, room_count, span, seed))

    # when: the same generated operations run on the in-process and the real Redis
    sequence()

    # then: (asserted per operation) and every kind of operation ran
    summary = ", ".join(f"{k}={v}" for k, v in sorted(RUN.items()) if k != "member")
    report(request, f"differential in-process vs real Redis: {summary}")
    assert RUN["sequences"] >= EXAMPLES // 2
    assert all(
        RUN[kind] > 0
        for kind in ("read_hotel", "read_range_text", "hold_create", "store_snapshot", "occupancy_rules")
    )
