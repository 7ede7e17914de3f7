"""Polling sync: every hotel's rooms, counts and prices for today..+N days, plus the reservations
delta, read from the PMS on a jittered per-hotel schedule by exactly one worker at a time.

Each round (`tick`) looks for due hotels; a poll first takes the hotel's lease (a fencing token),
then re-reads the persisted state (another worker may have just polled), reads the PMS through the
resilient connector (breaker, retry, rate limit), writes the cache only while the lease is still
held, and records the result fenced by its token. `failure_limit` failures in a row stop polling for
that hotel (persisted) and raise an alert; starting it again resets the count."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from roomgate.clock import Clock
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.hotel import HotelConfig
from roomgate.domain.polling import STOPPED_BY_ADMIN, PollingStatus, PollOutcome
from roomgate.logging import get_logger
from roomgate.pms.base import SUPPORTED_VENDORS
from roomgate.services.faults import NO_FAULTS, FaultPoints
from roomgate.services.pms_refresh import Fenced, PmsRefresh
from roomgate.services.polling_metrics import POLL_CHANGED_NIGHTS, POLLING_STOPPED, POLLS
from roomgate.services.polling_read import PollWindow, Progress, read_and_store
from roomgate.services.ports import Alerts, ConnectorProvider, HotelDirectory, PollerLease, PollingStates

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PollingConfig:
    days: int = 30
    failure_limit: int = 5
    jitter_ratio: float = 0.1
    lease_seconds: float = 120.0
    delta_overlap_seconds: int = 120
    manual_wait_seconds: float = 30.0


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


class PollingSync:
    def __init__(
        self,
        *,
        hotels: HotelDirectory,
        states: PollingStates,
        lease: PollerLease,
        connectors: ConnectorProvider,
        refresh: PmsRefresh,
        alerts: Alerts,
        clock: Clock,
        config: PollingConfig = PollingConfig(),
        faults: FaultPoints = NO_FAULTS,
        rng: random.Random | None = None,
        before_poll: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.hotels = hotels
        self.states = states
        self.lease = lease
        self.connectors = connectors
        self.refresh = refresh
        self.alerts = alerts
        self.clock = clock
        self.config = config
        self.faults = faults
        self._rng = rng or random.Random()
        # A pause point on the real path, after the due check and before the PMS is read (race tests).
        self._before_poll = before_poll

    # -- operations ----------------------------------------------------------------------------------
    async def hotel(self, vendor: str, hotel_id: str) -> HotelConfig:
        """The hotel's configuration; 400 for an unknown vendor or one the hotel is not at, 404 unknown."""
        if vendor not in SUPPORTED_VENDORS:
            raise DomainError(ErrorCode.VALIDATION_ERROR, f"vendor — one of {', '.join(SUPPORTED_VENDORS)}")
        config = await self.hotels.get(hotel_id)
        if config is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"호텔 {hotel_id}")
        if config.vendor != vendor:
            raise DomainError(ErrorCode.VALIDATION_ERROR, f"vendor — hotel {hotel_id} is at {config.vendor}")
        return config

    async def start_all(self) -> list[PollingStatus]:
        """At worker start: every hotel with polling enabled gets a state row (first poll spread over
        the first minute); a hotel stopped before (by failures or an admin) stays stopped."""
        started = []
        for config in await self.hotels.list_hotels():
            if not (config.enabled and config.polling_enabled):
                continue
            first = self.clock.now() + self._rng.uniform(0, min(60.0, config.polling_interval_seconds))
            started.append(await self.states.ensure(config.vendor, config.hotel_id, _utc(first)))
        return started

    async def start(self, vendor: str, hotel_id: str) -> PollingStatus:
        """Start (or restart) one hotel: running, error count reset, due now (400 when its
        configuration turns polling off; a manual sync still works)."""
        config = await self.hotel(vendor, hotel_id)
        if not (config.enabled and config.polling_enabled):
            raise DomainError(ErrorCode.VALIDATION_ERROR, f"hotelId — polling is disabled for {hotel_id}")
        status = await self.states.start(vendor, hotel_id, _utc(self.clock.now()))
        log.info("polling_started", vendor=vendor, hotel=hotel_id)
        return status

    async def stop(self, vendor: str, hotel_id: str) -> PollingStatus:
        await self.hotel(vendor, hotel_id)
        status = await self.states.stop(vendor, hotel_id, STOPPED_BY_ADMIN, _utc(self.clock.now()))
        log.info("polling_stopped", vendor=vendor, hotel=hotel_id, reason=STOPPED_BY_ADMIN)
        return status

    async def status(self, vendor: str, hotel_id: str) -> PollingStatus:
        await self.hotel(vendor, hotel_id)
        return await self.states.get(vendor, hotel_id) or PollingStatus(vendor, hotel_id, is_running=False)

    async def statuses(self) -> list[PollingStatus]:
        """Every configured hotel (never-started ones as not running)."""
        known = {(s.vendor, s.hotel_id): s for s in await self.states.list_all()}
        return [
            known.get((c.vendor, c.hotel_id)) or PollingStatus(c.vendor, c.hotel_id, is_running=False)
            for c in await self.hotels.list_hotels()
        ]

    async def tick(self) -> list[PollOutcome]:
        """Poll every due hotel this worker can take the lease of."""
        outcomes = []
        now = _utc(self.clock.now())
        for config in await self.hotels.list_hotels():
            if not (config.enabled and config.polling_enabled):
                continue
            status = await self.states.get(config.vendor, config.hotel_id)
            if status is None:  # a hotel added since the worker started (admin import): poll it now
                status = await self.states.ensure(config.vendor, config.hotel_id, now)
            if not status.due(now):
                continue
            outcome = await self._poll(config, manual=False)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    async def sync_now(self, vendor: str, hotel_id: str, progress: Progress | None = None) -> PollOutcome:
        """Manual trigger: poll now (waiting briefly for another worker's poll); raises the PMS error."""
        config = await self.hotel(vendor, hotel_id)
        outcome = await self._poll(config, manual=True, progress=progress)
        assert outcome is not None
        return outcome

    # -- one poll ------------------------------------------------------------------------------------
    async def _take_lease(self, hotel_id: str, manual: bool) -> int | None:
        if self.faults.skips("polling_lease"):  # negative control: no lease, a fresh token each time
            return int(self.clock.monotonic() * 1000)
        deadline = self.clock.monotonic() + (self.config.manual_wait_seconds if manual else 0)
        while True:
            token = await self.lease.acquire(hotel_id, self.config.lease_seconds)
            if token is not None or self.clock.monotonic() >= deadline:
                return token
            await self.clock.sleep(0.2)

    async def _poll(
        self, config: HotelConfig, *, manual: bool, progress: Progress | None = None
    ) -> PollOutcome | None:
        vendor, hotel_id = config.vendor, config.hotel_id
        token = await self._take_lease(hotel_id, manual)
        if token is None:
            POLLS.labels(vendor=vendor, outcome="busy").inc()
            if manual:
                raise DomainError(ErrorCode.SYNC_IN_PROGRESS)
            return None
        try:
            now = self.clock.now()
            polls = config.enabled and config.polling_enabled
            status = await self.states.ensure(vendor, hotel_id, _utc(now), running=polls)
            if not manual and not status.due(_utc(now)):
                return None  # another worker polled it while we were looking
            if self._before_poll is not None:
                await self._before_poll(hotel_id)
            return await self._run(config, status, token, manual, progress)
        finally:
            if not self.faults.skips("polling_lease"):
                await self.lease.release(hotel_id, token)

    def _next_at(self, config: HotelConfig) -> datetime:
        jitter = self._rng.uniform(-self.config.jitter_ratio, self.config.jitter_ratio)
        return _utc(self.clock.now() + config.polling_interval_seconds * (1 + jitter))

    async def _run(
        self,
        config: HotelConfig,
        status: PollingStatus,
        token: int,
        manual: bool,
        progress: Progress | None,
    ) -> PollOutcome:
        vendor, hotel_id = config.vendor, config.hotel_id

        async def still_ours() -> bool:
            if self.faults.skips("polling_lease"):
                return True
            return await self.lease.renew(hotel_id, token, self.config.lease_seconds)

        started = self.clock.now()
        try:
            outcome, delta_to = await read_and_store(
                self.refresh,
                await self.connectors(vendor, hotel_id),
                config,
                status,
                PollWindow(self.config.days, self.config.delta_overlap_seconds, self.clock.now()),
                still_ours,
                progress,
            )
        except Fenced:
            POLLS.labels(vendor=vendor, outcome="fenced").inc()
            log.warning("poll_fenced", vendor=vendor, hotel=hotel_id)
            if manual:
                raise DomainError(ErrorCode.SYNC_IN_PROGRESS) from None
            return PollOutcome(vendor, hotel_id)
        except Exception as exc:
            await self._failed(config, token, exc)
            if manual:
                raise
            return PollOutcome(vendor, hotel_id)
        recorded = await self.states.record_success(
            vendor,
            hotel_id,
            token,
            at=_utc(started),
            next_sync_at=self._next_at(config),
            delta_synced_to=delta_to,
            changes=outcome.as_dict(),
        )
        POLLS.labels(vendor=vendor, outcome="ok" if recorded else "fenced").inc()
        POLL_CHANGED_NIGHTS.labels(vendor=vendor).inc(outcome.changed_nights)
        log.info("poll_done", vendor=vendor, hotel=hotel_id, **outcome.as_dict())
        return outcome

    async def _failed(self, config: HotelConfig, token: int, exc: Exception) -> None:
        vendor, hotel_id = config.vendor, config.hotel_id
        POLLS.labels(vendor=vendor, outcome="failed").inc()
        error = _error_text(exc)
        log.warning("poll_failed", vendor=vendor, hotel=hotel_id, error=error)
        was = await self.states.get(vendor, hotel_id)
        after = await self.states.record_failure(
            vendor,
            hotel_id,
            token,
            error=error,
            next_sync_at=self._next_at(config),
            limit=self.config.failure_limit,
        )
        if after is not None and not after.is_running and was is not None and was.is_running:
            POLLING_STOPPED.labels(vendor=vendor).inc()
            await self.alerts.alert(
                "polling_stopped",
                f"{vendor}:{hotel_id}",
                f"polling stopped for {vendor} hotel {hotel_id} after {after.error_count} consecutive "
                f"failures; last error: {error}",
                vendor=vendor,
                hotel=hotel_id,
                errorCount=after.error_count,
            )
