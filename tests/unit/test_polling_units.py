"""Small pieces of polling sync: which nights a reservations delta re-reads, the alert sink's promises
(never raises, deduplicates without Redis), and the alert URL setting."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx2
import pytest

from roomgate.clock import FakeClock
from roomgate.config import SettingsError, load_settings
from roomgate.pms.types import Reservation, ReservationStatus
from roomgate.services.alerts_webhook import WebhookAlerts
from roomgate.services.pms_refresh import chunks
from roomgate.services.polling_read import _nights_outside

D = date(2026, 12, 1)


def _res(check_in: date | None, check_out: date | None) -> Reservation:
    return Reservation("r", ReservationStatus.CONFIRMED, check_in=check_in, check_out=check_out)


def test_the_delta_rereads_only_nights_after_the_window_merged_and_bounded() -> None:
    window_end, horizon = date(2026, 12, 31), date(2027, 2, 1)
    reservations = [
        _res(date(2026, 12, 5), date(2026, 12, 8)),  # inside the window: already read
        _res(date(2026, 12, 30), date(2027, 1, 3)),  # straddles the window's end
        _res(date(2027, 1, 2), date(2027, 1, 6)),  # overlaps the previous one
        _res(date(2027, 1, 20), date(2027, 3, 1)),  # runs past the horizon
        _res(None, None),  # a row without dates
    ]
    assert _nights_outside(reservations, window_end, horizon) == [
        (date(2026, 12, 31), date(2027, 1, 6)),
        (date(2027, 1, 20), date(2027, 2, 1)),
    ]


def test_refresh_ranges_cut_the_window_into_vendor_sized_reads() -> None:
    assert chunks(D, date(2026, 12, 11), 4) == [
        (D, date(2026, 12, 5)),
        (date(2026, 12, 5), date(2026, 12, 9)),
        (date(2026, 12, 9), date(2026, 12, 11)),
    ]


class BrokenRedis:
    async def set(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("redis down")


async def test_alerts_deduplicate_in_process_when_redis_is_down_and_never_raise() -> None:
    posted: list[bytes] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        posted.append(request.content)
        return httpx2.Response(500 if b"fails" in request.content else 200)

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as http:
        alerts = WebhookAlerts(
            http=http, url="http://alerts.test/hook", redis=BrokenRedis(), clock=FakeClock(), dedup_seconds=60
        )  # type: ignore[arg-type]
        await alerts.alert("polling_stopped", "k1", "first")
        await alerts.alert("polling_stopped", "k1", "again")
        await alerts.alert("polling_stopped", "k2", "fails at the receiver")
    assert len(posted) == 2 and b'"text"' in posted[0]


def test_the_alert_url_must_be_http() -> None:
    with pytest.raises(SettingsError, match="ROOMGATE_ALERT_WEBHOOK_URL"):
        load_settings(alert_webhook_url="ftp://example.com/hook")
