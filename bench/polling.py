"""Polling sync benchmark.

1. Propagation: a closeout made at the Cloudbeds simulator → the first availability answer that shows
   it, via polling only (no webhook), with a short polling interval. Reports p50/p99 over N changes.
2. Cost: PMS requests one steady-state poll makes (counted by the simulator), and what polling costs
   per hour for 100 hotels at the default 300 s interval, against Cloudbeds' 5 requests/s per property.

    python bench/polling.py [--interval 2] [--changes 40] [--hotels 100]

Everything runs on 127.0.0.1: the simulator and roomgate (in-process Redis, SQLite) on real sockets.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from harness import cloudbeds_key  # noqa: E402

from roomgate.app import create_app  # noqa: E402
from roomgate.cache.client import fresh_in_process_redis  # noqa: E402
from roomgate.config import Settings, load_settings  # noqa: E402
from roomgate.container import Container, build_container  # noqa: E402
from roomgate.domain.hotel import HotelConfig  # noqa: E402
from roomgate.ledger.migrate import upgrade  # noqa: E402
from roomgate.logging import configure_logging  # noqa: E402
from roomgate.simulators.registry import create_simulator  # noqa: E402
from roomgate.simulators.server import ServerThread  # noqa: E402

HOTEL, ROOM, KEY, TOKEN = "hotel_123", "room_456", cloudbeds_key("bench_polling"), "bench-admin"
CLOUDBEDS_LIMIT_PER_SECOND = 5  # per property (developers.cloudbeds.com/docs/faq)


class OneHotel:
    """A hotel directory with one Cloudbeds hotel polled every `interval` seconds."""

    def __init__(self, interval: int) -> None:
        self.config = HotelConfig(HOTEL, "cloudbeds", polling_interval_seconds=interval)

    async def get(self, hotel_id: str) -> HotelConfig | None:
        return self.config if hotel_id == HOTEL else None

    async def list_hotels(self) -> Sequence[HotelConfig]:
        return [self.config]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interval", type=int, default=2, help="polling interval in seconds")
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--hotels", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ServerThread(create_simulator("cloudbeds")) as sim:
        os.environ.update(
            {
                "CLOUDBEDS_BASE_URL": f"{sim.url}/api/v1.3",
                f"PMS_{HOTEL}_API_KEY": KEY,
                "ROOMGATE_ADMIN_TOKEN": TOKEN,
                "ROOMGATE_LOG_LEVEL": "WARNING",
                "ROOMGATE_POLLING_TICK_SECONDS": "0.05",
            }
        )
        database_url = f"sqlite:///{tmp}/bench.db"
        upgrade(database_url)
        settings = load_settings(database_url=database_url)
        configure_logging("WARNING", "console")

        def factory(s: Settings) -> Container:
            return build_container(s, redis=fresh_in_process_redis(), hotels=OneHotel(args.interval))

        app = create_app(settings, container_factory=factory, background_recovery_seconds=3600)
        with ServerThread(app) as server, httpx2.Client(timeout=30) as client:
            admin = {"Authorization": f"Bearer {TOKEN}"}
            sync_url = f"{server.url}/api/admin/polling/cloudbeds/{HOTEL}/sync"
            client.post(sync_url, headers=admin).raise_for_status()  # warm: currency, connector

            def sim_calls() -> dict[str, int]:
                return dict(client.get(f"{sim.url}/_sim/state").json()["calls"])

            before = sim_calls()
            changes = client.post(sync_url, headers=admin).json()["changes"]
            after = sim_calls()
            per_poll = {
                k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)
            }
            latencies = propagation(client, server.url, sim.url, args.changes, args.interval)
    report(args, latencies, per_poll, changes)


def propagation(client: httpx2.Client, app: str, sim: str, changes: int, interval: int) -> list[float]:
    """Seconds from each inventory change at the simulator to the first answer that shows it."""
    night = date.today() + timedelta(days=7)
    url = f"{app}/api/hotels/{HOTEL}/room-types/{ROOM}/inventory"
    params = {"vendor": "cloudbeds", "from": night.isoformat(), "to": (night + timedelta(days=1)).isoformat()}
    latencies = []
    for i in range(changes):
        target = 1 + i % 4  # 1..4, never the same twice in a row
        body = {"roomTypeId": ROOM, "from": params["from"], "to": params["to"], "available": target}
        started = time.perf_counter()
        client.put(f"{sim}/_sim/properties/{HOTEL}/inventory", json=body).raise_for_status()
        while client.get(url, params=params).json()["nights"][0]["available"] != target:
            time.sleep(0.01)
            if time.perf_counter() - started > 10 * interval:
                raise RuntimeError("change not seen within 10 intervals")
        latencies.append(time.perf_counter() - started)
        time.sleep((i % 7) / 7 * interval)  # spread the next change over the polling cycle
    return latencies


def report(
    args: argparse.Namespace, latencies: list[float], per_poll: dict[str, int], changes: dict[str, int]
) -> None:
    calls = sum(per_poll.values())
    polls_per_hour = 3600 / 300
    per_hotel_hour = calls * polls_per_hour
    budget_hour = CLOUDBEDS_LIMIT_PER_SECOND * 3600
    print(f"propagation via polling (interval {args.interval} s, {len(latencies)} changes):")  # noqa: T201
    print(  # noqa: T201
        f"  p50 {statistics.median(latencies):.2f} s   p99 {percentile(latencies, 0.99):.2f} s   "
        f"max {max(latencies):.2f} s   (expected ≈ interval/2 + one poll)"
    )
    print(f"one steady-state poll: {calls} PMS requests {per_poll}; nights read {changes['nightsRead']}")  # noqa: T201
    print(  # noqa: T201
        f"polling cost at 300 s: {per_hotel_hour:.0f} requests/hour per hotel "
        f"({per_hotel_hour / budget_hour:.3%} of Cloudbeds' {budget_hour:,}/hour per property); "
        f"{args.hotels} hotels: {per_hotel_hour * args.hotels:,.0f} requests/hour "
        f"({per_hotel_hour * args.hotels / 3600:.2f} requests/s in total)"
    )


if __name__ == "__main__":
    main()
