"""The sandbox gateway's payments in Redis: one hash per payment, changed only by compare-and-set.

Every server process and the recovery worker share the same Redis, so they all see the same
payments; the compare-and-set script makes concurrent capture/void/refund calls race safely. While Redis is
unreachable the sandbox answers like a provider that cannot be reached (`PaymentProviderError`,
retryable: the saga and compensation then ask again or leave it to recovery), never a bare Redis error.
"""

from __future__ import annotations

from collections.abc import Mapping

from redis.asyncio import Redis

from roomgate.cache.client import REDIS_DOWN
from roomgate.payments.base import PaymentProviderError

KEY_PREFIX = "pay:sandbox:"
TTL_SECONDS = 30 * 24 * 3600

# Change a hash only if every guard field holds its expected value (a missing field or key reads
# as ""), so creating a payment is a compare-and-set against an empty `status`.
# KEYS[1] hash; ARGV[1] ttl seconds (0 = leave as is); ARGV[2] number of guards n;
# ARGV[3 .. 2n+2] guard field/value pairs; the rest: field/value pairs to set.
_COMPARE_AND_SET = """
local n = tonumber(ARGV[2])
for i = 0, n - 1 do
  local current = redis.call('HGET', KEYS[1], ARGV[3 + 2 * i])
  if current == false then current = '' end
  if current ~= ARGV[4 + 2 * i] then return 0 end
end
local changes = {}
for i = 3 + 2 * n, #ARGV do changes[#changes + 1] = ARGV[i] end
if #changes > 0 then redis.call('HSET', KEYS[1], unpack(changes)) end
local ttl = tonumber(ARGV[1])
if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
return 1
"""


class SandboxStore:
    """Needs a `decode_responses=True` client (as `create_redis` makes)."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._compare_and_set = redis.register_script(_COMPARE_AND_SET)

    async def load(self, payment_id: str) -> dict[str, str]:
        """The payment's fields, `{}` when there is no such payment."""
        try:
            raw = await self._redis.hgetall(KEY_PREFIX + payment_id)
        except REDIS_DOWN as exc:
            raise _unreachable() from exc
        return {str(key): str(value) for key, value in raw.items()}

    async def compare_and_set(
        self,
        payment_id: str,
        expected: Mapping[str, str],
        changes: Mapping[str, str],
        *,
        ttl_seconds: int = 0,
    ) -> bool:
        """Apply `changes` if every `expected` field still holds its value; False when it lost a race."""
        args: list[str | int] = [ttl_seconds, len(expected)]
        for field, value in [*expected.items(), *changes.items()]:
            args += [field, value]
        try:
            # Re-sent after a broken connection, a change that did apply reads as a lost race; the
            # gateway then reloads the payment and sees it, so the answer stays right.
            return bool(await self._compare_and_set(keys=[KEY_PREFIX + payment_id], args=args))
        except REDIS_DOWN as exc:
            raise _unreachable() from exc


def _unreachable() -> PaymentProviderError:
    return PaymentProviderError("sandbox: payment store (Redis) unreachable", provider="sandbox")
