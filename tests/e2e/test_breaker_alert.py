"""Breaker OPEN reaches an operator without Prometheus: one alert (log + ROOMGATE_ALERT_WEBHOOK_URL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import flush_redis
from tests.e2e.stack import running_stack, stay_dates
from tests.integration.polling_support import AlertReceiver

pytestmark = [pytest.mark.redis]


def test_a_breaker_that_opens_sends_one_alert_even_across_two_servers(
    tmp_path: Path, real_redis_url: str
) -> None:
    flush_redis(real_redis_url)
    database = f"sqlite:///{tmp_path}/alerts.db"
    start, end = stay_dates(offset_days=33)
    with AlertReceiver().running() as receiver:
        env = {
            "ROOMGATE_ALERT_WEBHOOK_URL": receiver.url,
            "ROOMGATE_RETRY_ATTEMPTS": "0",
            "ROOMGATE_BREAKER_FAILURE_THRESHOLD": "3",
        }
        with (
            running_stack(database, redis_url=real_redis_url, env=env) as first,
            running_stack(database, redis_url=real_redis_url, env=env) as second,
        ):
            # given both servers' PMS failing every call
            first.faults(errorRate=1.0, status=500)
            second.faults(errorRate=1.0, status=500)
            # when guests keep asking through both servers until well past the threshold
            for n in range(8):
                stack = first if n % 2 else second
                stack.client.get(
                    f"{stack.url}/api/hotels/hotel_123/room-types/room_456/inventory",
                    params={"vendor": "cloudbeds", "from": start.isoformat(), "to": end.isoformat()},
                )
            status = first.admin("GET", "/status").json()
    # then the shared breaker is open and exactly one alert was delivered, naming vendor and hotel
    texts = [body["text"] for body in receiver.bodies]
    opened = [t for t in texts if "breaker_open" in t]
    assert len(opened) == 1, texts
    assert "cloudbeds:hotel_123" in opened[0] and "PMS Circuit Breaker OPEN!" in opened[0]
    assert "OPEN" in str(status).upper()
