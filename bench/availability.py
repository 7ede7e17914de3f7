"""Benchmark: availability for a 30-night stay on a warm cache vs `/healthz` of the same server.

Prints requests/s and p50/p99 for both (same run, same load), their ratio (target ≥ 0.5), and the
Redis round trips per availability request (target: 1, whatever the number of nights). A second
server with the answer memo off (ROOMGATE_RESPONSE_MEMO_ENTRIES=0) shows what rendering every answer
costs; `--no-compare` skips it.

    .venv/bin/python bench/availability.py [--seconds 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import redis_round_trips, redis_url_if_reachable, roomgate, run_load, simulator  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--no-compare", action="store_true", help="skip the memo-off server")
    args = parser.parse_args()

    redis_url = redis_url_if_reachable()
    start = date.today() + timedelta(days=30)
    end = start + timedelta(days=args.nights)
    with simulator("cloudbeds") as sim:
        env = {
            "CLOUDBEDS_BASE_URL": f"{sim}/api/v1.3",
            "PMS_hotel_123_API_KEY": "cbat_bench_key",
            # the warm cache must stay warm for the whole run
            "ROOMGATE_INV_TTL_SECONDS": "3600",
            "ROOMGATE_RATE_TTL_SECONDS": "3600",
        }
        if redis_url:
            env["REDIS_URL"] = redis_url
        with roomgate(env) as url:
            target = (
                f"{url}/api/hotels/hotel_123/availability?vendor=cloudbeds"
                f"&checkIn={start}&checkOut={end}&adults=2&children=0"
            )
            warm = httpx2.get(target, timeout=30).json()
            assert warm["success"], warm
            assert httpx2.get(target, timeout=30).json()["source"] == "cache"
            healthz = run_load(f"{url}/healthz", args.seconds, args.connections)
            avail = run_load(target, args.seconds, args.connections)
            trips = (
                redis_round_trips(redis_url, lambda: httpx2.get(target, timeout=30), 50)
                if redis_url
                else None
            )
        rows = [("/healthz", healthz), (f"availability ({args.nights} nights)", avail)]
        if not args.no_compare:
            with roomgate({**env, "ROOMGATE_RESPONSE_MEMO_ENTRIES": "0"}) as plain_url:
                plain_target = target.replace(url, plain_url)
                assert httpx2.get(plain_target, timeout=30).json()["source"] == "cache"
                rows.append(("  same, memo off", run_load(plain_target, args.seconds, args.connections)))

    print(
        f"availability benchmark — {args.nights}-night stay, warm cache, {args.connections} connections, "
        f"{args.seconds:.0f} s each, load by {avail.tool}, Redis: {'real ' + redis_url if redis_url else 'in-process'}"
    )
    print(f"{'endpoint':<28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for name, result in rows:
        print(
            f"{name:<28}{result.requests_per_second:>10.0f}{result.p50_ms:>10.2f}{result.p99_ms:>10.2f}{result.errors:>8}"
        )
    ratio = avail.requests_per_second / healthz.requests_per_second
    print(f"throughput ratio availability / healthz: {ratio:.2f} (target >= 0.50)")
    if trips is not None:
        print(f"Redis round trips per availability request: {trips:.2f} (target 1)")
    if avail.tool != "wrk":
        print("note: the Python load generator saturates near 2,000 req/s on its own; install wrk")
        print("      (apt-get install wrk) for numbers bound by the server rather than by the generator")


if __name__ == "__main__":
    main()
