"""The sandbox gateway on in-process Redis (fakeredis + Lua) and on a real Redis server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from roomgate.domain.money import Money
from roomgate.payments.base import (
    Authorization,
    PaymentDeclined,
    PaymentError,
    PaymentNotFound,
    PaymentProviderError,
    PaymentSource,
    PaymentStatus,
    PaymentTimeout,
)
from roomgate.payments.sandbox import SandboxGateway
from roomgate.payments.sandbox_store import KEY_PREFIX
from tests.conftest import second_client

KRW = Money.of(250_000, "KRW")
VISA = PaymentSource(card_token="tok_visa_1234")


@pytest.fixture
async def other_connection(any_redis: Redis) -> AsyncIterator[Redis]:
    """A second, separate connection to the same Redis (as another server process would have)."""
    client: Redis = second_client(any_redis)
    yield client
    await client.aclose()


async def test_authorize_capture_refund_void_lifecycle(any_redis: Redis) -> None:
    # given
    gateway = SandboxGateway(any_redis)

    # when / then: each step shows in the payment's status
    authorization = await gateway.authorize("bk-1", KRW, VISA)
    assert authorization.status is PaymentStatus.AUTHORIZED
    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.AUTHORIZED
    await gateway.capture(authorization, "bk-1")
    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.CAPTURED
    await gateway.refund(authorization.authorization_id, "bk-1", Money.of(50_000, "KRW"), "partial")
    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.CAPTURED
    await gateway.void(authorization.authorization_id, "bk-1")  # after capture: refunds the rest
    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.REFUNDED
    record = await any_redis.hgetall(KEY_PREFIX + authorization.authorization_id)
    assert (record["captured"], record["refunded"]) == ("250000", "250000")


async def test_state_is_shared_between_gateways_on_separate_connections(
    any_redis: Redis, other_connection: Redis
) -> None:
    # given two gateways, as two server processes would have
    first, second = SandboxGateway(any_redis), SandboxGateway(other_connection)

    # when one authorises and the other captures
    authorization = await first.authorize("bk-shared", KRW, VISA)
    await second.capture(authorization, "bk-shared")

    # then both see the same payment, and the second finds it by booking too
    assert await first.get_status(authorization.authorization_id) is PaymentStatus.CAPTURED
    assert await second.find_by_booking("bk-shared") == Authorization(
        "sandbox", authorization.authorization_id, KRW, PaymentStatus.CAPTURED
    )
    assert await second.authorize("bk-shared", KRW, VISA) == Authorization(
        "sandbox", authorization.authorization_id, KRW, PaymentStatus.CAPTURED
    )


async def test_authorize_is_idempotent_per_booking_and_refuses_another_amount(any_redis: Redis) -> None:
    gateway = SandboxGateway(any_redis)
    first = await gateway.authorize("bk-idem", KRW, VISA)

    assert await gateway.authorize("bk-idem", KRW, VISA) == first
    with pytest.raises(PaymentDeclined) as refused:
        await gateway.authorize("bk-idem", Money.of(1, "KRW"), VISA)
    assert refused.value.code == "idempotency_mismatch"
    assert await gateway.get_status(first.authorization_id) is PaymentStatus.AUTHORIZED


async def test_void_before_capture_is_idempotent_and_blocks_capture(any_redis: Redis) -> None:
    gateway = SandboxGateway(any_redis)
    authorization = await gateway.authorize("bk-void", KRW, VISA)

    await gateway.void(authorization.authorization_id, "bk-void")
    await gateway.void(authorization.authorization_id, "bk-void")

    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.VOIDED
    with pytest.raises(PaymentDeclined, match="voided"):
        await gateway.capture(authorization, "bk-void")
    record = await any_redis.hgetall(KEY_PREFIX + authorization.authorization_id)
    assert record["captured"] == "0"


async def test_refund_is_idempotent_per_booking_and_bounded_by_what_was_collected(any_redis: Redis) -> None:
    gateway = SandboxGateway(any_redis)
    authorization = await gateway.authorize("bk-ref", KRW, VISA)
    await gateway.capture(authorization, "bk-ref")
    part = Money.of(100_000, "KRW")

    await gateway.refund(authorization.authorization_id, "bk-ref", part, "first")
    await gateway.refund(authorization.authorization_id, "bk-ref", part, "first, again")

    record = await any_redis.hgetall(KEY_PREFIX + authorization.authorization_id)
    assert record["refunded"] == "100000"
    with pytest.raises(PaymentDeclined) as mismatch:
        await gateway.refund(authorization.authorization_id, "bk-ref", Money.of(5, "KRW"), "other amount")
    assert mismatch.value.code == "idempotency_mismatch"
    with pytest.raises(PaymentDeclined) as too_much:
        await gateway.refund(authorization.authorization_id, "cancel-2", Money.of(200_000, "KRW"), "too much")
    assert too_much.value.code == "amount_too_large"


async def test_refund_before_capture_is_refused(any_redis: Redis) -> None:
    gateway = SandboxGateway(any_redis)
    authorization = await gateway.authorize("bk-early", KRW, VISA)
    with pytest.raises(PaymentDeclined) as refused:
        await gateway.refund(authorization.authorization_id, "bk-early", KRW, "early")
    assert refused.value.code == "payment_not_captured"


@pytest.mark.parametrize(
    ("token", "error", "code"),
    [
        (None, PaymentDeclined, "missing_token"),
        ("tok_decline", PaymentDeclined, "card_declined"),
        ("tok_insufficient_funds", PaymentDeclined, "insufficient_funds"),
        ("tok_provider_error", PaymentProviderError, "processing_error"),
    ],
)
async def test_failing_tokens_fail_authorize_and_hold_nothing(
    any_redis: Redis, token: str | None, error: type[PaymentError], code: str
) -> None:
    gateway = SandboxGateway(any_redis)

    with pytest.raises(error) as failed:
        await gateway.authorize("bk-fail", KRW, PaymentSource(card_token=token))

    assert failed.value.code == code
    assert token is None or token not in str(failed.value)
    assert await gateway.find_by_booking("bk-fail") is None
    # the guest can retry the same booking with another card
    assert (await gateway.authorize("bk-fail", KRW, VISA)).status is PaymentStatus.AUTHORIZED


async def test_timeout_token_holds_money_that_recovery_finds_and_voids(any_redis: Redis) -> None:
    # given an authorisation whose answer was lost
    gateway = SandboxGateway(any_redis)
    with pytest.raises(PaymentTimeout):
        await gateway.authorize("bk-lost", KRW, PaymentSource(card_token="tok_timeout"))

    # when recovery looks the booking up and voids what it finds
    found = await gateway.find_by_booking("bk-lost")
    assert found is not None and found.status is PaymentStatus.AUTHORIZED
    await gateway.void(found.authorization_id, "bk-lost")

    # then nothing is held any more; asking to authorise again returns the same, voided payment's refusal
    assert await gateway.get_status(found.authorization_id) is PaymentStatus.VOIDED
    with pytest.raises(PaymentDeclined):
        await gateway.authorize("bk-lost", KRW, PaymentSource(card_token="tok_timeout"))


async def test_retrying_authorize_after_a_timeout_returns_the_authorisation(any_redis: Redis) -> None:
    gateway = SandboxGateway(any_redis)
    with pytest.raises(PaymentTimeout):
        await gateway.authorize("bk-retry", KRW, PaymentSource(card_token="tok_timeout"))

    again = await gateway.authorize("bk-retry", KRW, PaymentSource(card_token="tok_timeout"))

    assert again.status is PaymentStatus.AUTHORIZED


async def test_capture_fail_token_leaves_the_hold_for_void(any_redis: Redis) -> None:
    gateway = SandboxGateway(any_redis)
    authorization = await gateway.authorize("bk-cf", KRW, PaymentSource(card_token="tok_capture_fail"))

    with pytest.raises(PaymentDeclined) as declined:
        await gateway.capture(authorization, "bk-cf")

    assert declined.value.code == "capture_declined"
    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.AUTHORIZED
    await gateway.void(authorization.authorization_id, "bk-cf")
    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.VOIDED


async def test_capture_timeout_token_collects_but_loses_the_answer(any_redis: Redis) -> None:
    gateway = SandboxGateway(any_redis)
    authorization = await gateway.authorize("bk-ct", KRW, PaymentSource(card_token="tok_capture_timeout"))

    with pytest.raises(PaymentTimeout):
        await gateway.capture(authorization, "bk-ct")

    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.CAPTURED
    await gateway.capture(authorization, "bk-ct")  # a retry is a no-op, not a second timeout
    record = await any_redis.hgetall(KEY_PREFIX + authorization.authorization_id)
    assert record["captured"] == "250000"


async def test_void_error_token_fails_the_first_void_only(any_redis: Redis) -> None:
    gateway = SandboxGateway(any_redis)
    authorization = await gateway.authorize("bk-ve", KRW, PaymentSource(card_token="tok_void_error"))

    with pytest.raises(PaymentProviderError):
        await gateway.void(authorization.authorization_id, "bk-ve")
    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.AUTHORIZED
    await gateway.void(authorization.authorization_id, "bk-ve")

    assert await gateway.get_status(authorization.authorization_id) is PaymentStatus.VOIDED


async def test_unknown_payment_is_not_found(any_redis: Redis) -> None:
    gateway = SandboxGateway(any_redis)
    with pytest.raises(PaymentNotFound):
        await gateway.get_status("sbx_nope")
    with pytest.raises(PaymentNotFound):
        await gateway.void("sbx_nope", "bk-x")
    assert await gateway.find_by_booking("bk-never") is None


async def test_other_currencies_use_their_minor_units(any_redis: Redis) -> None:
    gateway = SandboxGateway(any_redis)
    authorization = await gateway.authorize("bk-usd", Money.of("199.99", "USD"), VISA)
    await gateway.capture(authorization, "bk-usd")
    record = await any_redis.hgetall(KEY_PREFIX + authorization.authorization_id)
    assert (record["amount"], record["currency"], record["captured"]) == ("19999", "USD", "19999")


# -- concurrency: two refunds racing for the same remaining amount ------------------------------------


def _barrier(parties: int) -> Any:
    """A race hook that lets every party read before any of them writes (widens the race window)."""
    arrived = 0
    everyone = asyncio.Event()

    async def hook() -> None:
        nonlocal arrived
        arrived += 1
        if arrived >= parties:
            everyone.set()
        await everyone.wait()

    return hook


async def _race_two_refunds(redis: Redis, *, skip_guard: bool) -> dict[str, str]:
    setup = SandboxGateway(redis)
    authorization = await setup.authorize("bk-race", Money.of(100, "KRW"), VISA)
    await setup.capture(authorization, "bk-race")
    racer = SandboxGateway(redis, race_hook=_barrier(2), skip_guard=skip_guard)
    sixty = Money.of(60, "KRW")
    await asyncio.gather(
        racer.refund(authorization.authorization_id, "cancel-a", sixty, "a"),
        racer.refund(authorization.authorization_id, "cancel-b", sixty, "b"),
        return_exceptions=True,
    )
    return dict(await redis.hgetall(KEY_PREFIX + authorization.authorization_id))


async def test_racing_refunds_never_refund_more_than_was_collected(any_redis: Redis) -> None:
    # when two refunds of 60 race for a payment of 100, both reading before either writes
    record = await _race_two_refunds(any_redis, skip_guard=False)

    # then exactly one went through
    refunds = [int(v) for k, v in record.items() if k.startswith("refund:")]
    assert refunds == [60]
    assert record["refunded"] == "60"


async def test_negative_control_without_the_guard_the_race_over_refunds(any_redis: Redis) -> None:
    # when the same race runs with the compare-and-set guard skipped
    record = await _race_two_refunds(any_redis, skip_guard=True)

    # then the harness sees the lost update: two refunds of 60 recorded against 100 collected
    refunds = [int(v) for k, v in record.items() if k.startswith("refund:")]
    assert sum(refunds) == 120 > int(record["captured"])


async def test_racing_capture_and_void_end_in_one_consistent_state(any_redis: Redis) -> None:
    # given
    setup = SandboxGateway(any_redis)
    authorization = await setup.authorize("bk-cv", KRW, VISA)
    racer = SandboxGateway(any_redis, race_hook=_barrier(2))

    # when capture and void race, both reading "authorized" first
    results = await asyncio.gather(
        racer.capture(authorization, "bk-cv"),
        racer.void(authorization.authorization_id, "bk-cv"),
        return_exceptions=True,
    )

    # then either the void won (capture refused, nothing collected) or the capture won and void refunded it
    record = await any_redis.hgetall(KEY_PREFIX + authorization.authorization_id)
    if record["status"] == PaymentStatus.VOIDED:
        assert isinstance(results[0], PaymentDeclined) and record["captured"] == "0"
    else:
        assert results == [None, None]
        assert (record["status"], record["captured"], record["refunded"]) == ("refunded", "250000", "250000")
