"""Toss claims (capture vs void, first writer wins) on in-process Redis and on a real Redis server."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from roomgate.payments.toss_claims import TossClaims


async def test_first_claim_wins_and_later_claims_learn_it(any_redis: Redis) -> None:
    claims = TossClaims(any_redis)

    assert await claims.claim("tgen_1", "void", "bk-1") == "void"
    assert await claims.claim("tgen_1", "capture", "bk-1") == "void"
    assert await claims.claim_of("tgen_1") == ("void", "bk-1")
    assert await claims.claim_of("tgen_other") is None


async def test_release_drops_only_our_own_claim(any_redis: Redis) -> None:
    claims = TossClaims(any_redis)
    await claims.claim("tgen_2", "capture", "bk-2")

    await claims.release("tgen_2", "capture", "bk-other")  # not ours: kept
    assert await claims.claim_of("tgen_2") == ("capture", "bk-2")
    await claims.release("tgen_2", "capture", "bk-2")

    assert await claims.claim_of("tgen_2") is None
    assert await claims.claim("tgen_2", "void", "bk-2") == "void"


async def test_booking_index_remembers_the_latest_payment(any_redis: Redis) -> None:
    claims = TossClaims(any_redis)
    await claims.remember_booking("bk-3", "tgen_a")
    await claims.remember_booking("bk-3", "tgen_b")
    assert await claims.payment_key_for("bk-3") == "tgen_b"
    assert await claims.payment_key_for("bk-none") is None


class _CheckThenSetClaims(TossClaims):
    """The naive version the real one must not be: read, wait until every racer has read, then write."""

    def __init__(self, redis: Redis, racers: int, everyone_read: asyncio.Event, readers: list[int]) -> None:
        super().__init__(redis)
        self._redis_client = redis
        self._racers, self._everyone_read, self._readers = racers, everyone_read, readers

    async def claim(self, payment_key: str, operation: str, booking_id: str) -> str:
        existing = await self.claim_of(payment_key)
        self._readers.append(1)
        if len(self._readers) == self._racers:
            self._everyone_read.set()
        await self._everyone_read.wait()
        if existing is not None:
            return existing[0]
        await self._redis_client.set(f"pay:toss:claim:{payment_key}", f"{operation}:{booking_id}")
        return operation


async def _race(claimers: list[TossClaims]) -> list[str]:
    operations = ["capture", "void"] * (len(claimers) // 2)
    return list(
        await asyncio.gather(
            *(c.claim("tgen_race", op, "bk-race") for c, op in zip(claimers, operations, strict=True))
        )
    )


async def test_racing_captures_and_voids_agree_on_one_winner(any_redis: Redis) -> None:
    # when eight claimers race, half capturing, half voiding
    outcomes = await _race([TossClaims(any_redis) for _ in range(8)])

    # then every one of them reports the same winner, the one stored
    winner = await TossClaims(any_redis).claim_of("tgen_race")
    assert winner is not None
    assert set(outcomes) == {winner[0]}


async def test_negative_control_check_then_set_lets_both_sides_win(any_redis: Redis) -> None:
    # given claimers that all read before any of them writes
    everyone_read, readers = asyncio.Event(), []
    claimers: list[TossClaims] = [_CheckThenSetClaims(any_redis, 8, everyone_read, readers) for _ in range(8)]

    # when they race
    outcomes = await _race(claimers)

    # then the harness sees the failure the real claim prevents: a capture and a void both "won"
    assert set(outcomes) == {"capture", "void"}
