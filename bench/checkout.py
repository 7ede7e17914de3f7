"""Benchmark: checkouts per second across distinct room types with every vendor answering in 50 ms,
and the saga's own overhead per checkout beyond the vendors' latency, printed as a ratio in one run.

Cloudbeds and Stripe simulators run as their own processes with `latencyMs=50`; roomgate runs as
`roomgate serve` (real Redis when one answers on 127.0.0.1:6379, SQLite ledger).

    .venv/bin/python bench/checkout.py [--checkouts 200] [--concurrency 8] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import cloudbeds_key, redis_url_if_reachable, roomgate, simulator  # noqa: E402

HOTEL = "bench_hotel"
KEY = cloudbeds_key("bench_key")
PRICE = 100000


def seed_hotel(sim: str, room_types: int) -> None:
    rooms = [
        {
            "id": f"rt_{i}",
            "name": f"Room {i}",
            "maxGuests": 2,
            "description": "",
            "totalRooms": 50,
            "nightlyRate": str(PRICE),
        }
        for i in range(room_types)
    ]
    rooms.append(
        {
            "id": "rt_floor",
            "name": "Floor probe",
            "maxGuests": 2,
            "description": "",
            "totalRooms": 50,
            "nightlyRate": str(PRICE),
        }
    )
    body = {
        "name": "Bench Hotel",
        "currency": "KRW",
        "timezone": "Asia/Seoul",
        "address": {"line1": "1 Jong-ro", "city": "Seoul", "country": "KR"},
        "roomTypes": rooms,
    }
    httpx2.put(f"{sim}/_sim/properties/{HOTEL}", json=body).raise_for_status()


def vendor_only_seconds(cloudbeds: str, stripe: str, day: date, concurrency: int, rounds: int = 16) -> float:
    """Mean time of the vendor calls one checkout makes (postReservation, getReservation — the price
    read-back — and create + capture a PaymentIntent), made directly — `concurrency` such sequences at once, as the checkouts run: the
    floor no saga can go below at that concurrency."""

    def probe(i: int) -> float:
        probe_day = day + timedelta(days=2 * i)  # a room type with 50 rooms: spread the probes
        began = time.perf_counter()
        made = client.post(
            f"{cloudbeds}/api/v1.3/postReservation",
            headers={"x-api-key": KEY},
            data={
                "propertyID": HOTEL,
                "startDate": probe_day.isoformat(),
                "endDate": (probe_day + timedelta(days=1)).isoformat(),
                "guestFirstName": "Floor",
                "guestLastName": "Probe",
                "guestCountry": "KR",
                "guestZip": "04524",
                "guestEmail": "floor@example.com",
                "paymentMethod": "credit",
                "rooms[0][roomTypeID]": "rt_floor",
                "rooms[0][quantity]": "1",
                "adults[0][roomTypeID]": "rt_floor",
                "adults[0][quantity]": "2",
                "children[0][roomTypeID]": "rt_floor",
                "children[0][quantity]": "0",
                "thirdPartyIdentifier": f"floor-{i}",
            },
        )
        made.raise_for_status()
        # the price read-back: the PMS's own total of the reservation, read before the capture
        client.get(
            f"{cloudbeds}/api/v1.3/getReservation",
            headers={"x-api-key": KEY},
            params={"propertyID": HOTEL, "reservationID": made.json()["reservationID"]},
        ).raise_for_status()
        intent = client.post(
            f"{stripe}/v1/payment_intents",
            auth=("sk_test_bench", ""),
            data={
                "amount": PRICE,
                "currency": "krw",
                "capture_method": "manual",
                "confirm": "true",
                "payment_method": "pm_card_visa",
            },
        ).json()
        client.post(
            f"{stripe}/v1/payment_intents/{intent['id']}/capture", auth=("sk_test_bench", "")
        ).raise_for_status()
        return time.perf_counter() - began

    # one keep-alive connection pool, as roomgate's own HTTP client has
    limits = httpx2.Limits(max_keepalive_connections=concurrency)
    with httpx2.Client(timeout=60, limits=limits) as client, ThreadPoolExecutor(concurrency) as pool:
        return statistics.mean(pool.map(probe, range(max(rounds, 2 * concurrency))))


def total_calls(sim: str) -> int:
    return sum(httpx2.get(f"{sim}/_sim/state").json()["calls"].values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkouts", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--room-types", type=int, default=20)
    parser.add_argument("--database-url", default=None, help="ledger (default: a temporary SQLite file)")
    args = parser.parse_args()
    redis_url = redis_url_if_reachable()
    start = date.today() + timedelta(days=30)
    with simulator("cloudbeds") as cloudbeds, simulator("stripe") as stripe:
        seed_hotel(cloudbeds, args.room_types)
        env = {
            "CLOUDBEDS_BASE_URL": f"{cloudbeds}/api/v1.3",
            f"PMS_{HOTEL}_API_KEY": KEY,
            "PAYMENT_PROVIDER": "stripe",
            "PAYMENT_API_KEY": "sk_test_bench",
            "STRIPE_BASE_URL": stripe,
            "ROOMGATE_CLOUDBEDS_RATE_LIMIT": "100000",
            "ROOMGATE_INV_TTL_SECONDS": "3600",
            "ROOMGATE_RATE_TTL_SECONDS": "3600",
        }
        if redis_url:
            env["REDIS_URL"] = redis_url
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        with roomgate(env) as url:
            stays = [
                (f"rt_{i % args.room_types}", start + timedelta(days=2 * (i // args.room_types)))
                for i in range(args.checkouts)
            ]
            # warm the availability cache so checkouts price from Redis, as in production
            for day in sorted({d for _, d in stays}):
                httpx2.get(
                    f"{url}/api/hotels/{HOTEL}/availability",
                    timeout=60,
                    params={
                        "vendor": "cloudbeds",
                        "checkIn": day.isoformat(),
                        "checkOut": (day + timedelta(days=1)).isoformat(),
                    },
                )
            for sim in (cloudbeds, stripe):
                httpx2.put(f"{sim}/_sim/faults", json={"latencyMs": args.latency_ms}).raise_for_status()
            floor = vendor_only_seconds(cloudbeds, stripe, start, args.concurrency)
            calls_before = total_calls(cloudbeds) + total_calls(stripe)

            def book(stay: tuple[str, date]) -> tuple[int, float]:
                room, day = stay
                body = {
                    "vendor": "cloudbeds",
                    "hotelId": HOTEL,
                    "roomTypeId": room,
                    "checkIn": day.isoformat(),
                    "checkOut": (day + timedelta(days=1)).isoformat(),
                    "adults": 2,
                    "children": 0,
                    "guestInfo": {"firstName": "Bench", "lastName": "Guest", "email": "bench@example.com"},
                    "payment": {
                        "cardToken": "pm_card_visa",
                        "amount": PRICE,
                        "currency": "KRW",
                        "provider": "stripe",
                    },
                }
                began = time.perf_counter()
                response = shop.post(f"{url}/api/booking/checkout", json=body)
                return response.status_code, time.perf_counter() - began

            began = time.perf_counter()
            # one keep-alive pool, as the floor's: a marketplace's backend keeps its connections open
            limits = httpx2.Limits(max_keepalive_connections=args.concurrency)
            with (
                httpx2.Client(timeout=60, limits=limits) as shop,
                ThreadPoolExecutor(args.concurrency) as pool,
            ):
                results = list(pool.map(book, stays))
            elapsed = time.perf_counter() - began
            vendor_calls = (
                total_calls(cloudbeds) + total_calls(stripe) - calls_before - 2 * 1
            )  # minus the two state reads
    ok = [latency for status, latency in results if status == 200]
    failures = len(results) - len(ok)
    mean = statistics.mean(ok)
    overhead = mean - floor
    print(
        f"checkout benchmark — {args.checkouts} checkouts over {args.room_types} room types, concurrency "
        f"{args.concurrency}, vendor latency {args.latency_ms} ms, Stripe + Cloudbeds simulators, "
        f"Redis: {'real' if redis_url else 'in-process'}, ledger: {(args.database_url or 'sqlite').split(':')[0]}"
    )
    print(f"throughput: {len(ok) / elapsed:.1f} checkouts/s ({failures} failed)")
    print(
        f"latency per checkout: mean {mean * 1000:.0f} ms, p50 {statistics.median(ok) * 1000:.0f} ms, "
        f"p99 {sorted(ok)[int(len(ok) * 0.99) - 1] * 1000:.0f} ms"
    )
    print(
        f"vendor calls per checkout: {vendor_calls / len(results):.2f}; the same calls made directly, in "
        f"sequence, {args.concurrency} at a time, take {floor * 1000:.0f} ms (the floor at this concurrency)"
    )
    print(
        f"saga overhead beyond vendor latency: {overhead * 1000:.0f} ms per checkout "
        f"(ratio overhead / vendor time = {overhead / floor:.2f}; checkout latency / floor = {mean / floor:.2f})"
    )


if __name__ == "__main__":
    main()
