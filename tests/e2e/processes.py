"""Real roomgate processes (`roomgate serve`, `roomgate worker`) for crash and multi-process tests, and
a race of checkouts through two `roomgate serve` processes (`race_checkouts`)."""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx2

from roomgate.cache import keys
from roomgate.cache.client import create_redis
from roomgate.payments.base import PaymentStatus
from roomgate.payments.sandbox import SandboxGateway
from roomgate.payments.sandbox_store import KEY_PREFIX
from roomgate.simulators.registry import create_simulator
from roomgate.simulators.server import ServerThread
from tests.conftest import flush_redis
from tests.e2e.stack import HOTEL, KEY
from tests.pause_gate import PauseGate, wait_until

# A bound on waiting for a process to come up (polled, not slept): generous, as a loaded 2-core machine
# starting several interpreters at once can take well over 30 s.
START_DEADLINE_SECONDS = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROOMGATE_", "PMS_"))}
    env.update({"ROOMGATE_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1", **extra})
    return env


@contextmanager
def serve(env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`roomgate serve` on a free port; yields its URL and the process (which a test may see die)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "roomgate.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=process_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_DEADLINE_SECONDS
        while True:
            if proc.poll() is not None:
                output = proc.stdout.read().decode() if proc.stdout else ""
                raise RuntimeError(f"roomgate serve exited with {proc.returncode}: {output[-2000:]}")
            try:
                if httpx2.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx2.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"roomgate serve did not become healthy in {START_DEADLINE_SECONDS} s")
            time.sleep(0.1)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if proc.stdout:
            proc.stdout.close()


def run_worker_once(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "roomgate.cli", "worker", "--once"],
        env=process_env(env),
        capture_output=True,
        text=True,
        timeout=120,
    )


CheckoutAnswer = tuple[int, str | None, str | None]  # status, errorCode, x-booking-id


@dataclass
class CheckoutRace:
    """What a race of checkouts through two `roomgate serve` processes left behind."""

    answers: list[CheckoutAnswer]  # one per guest
    answered_while_paused: list[CheckoutAnswer]  # before any saga passed the gate
    past_the_hold: int  # sagas that reached the pause point right after the hold step
    held_while_paused: dict[str, int]  # rooms held per asked room type on the first night, during the pause
    loser_steps: list[list[str]]  # the booking events of every guest who was not booked
    pms_posts: int  # postReservation calls the PMS saw
    reservations: list[dict[str, Any]]
    payments: list[PaymentStatus]


def race_checkouts(
    postgres_db: str,
    redis_url: str,
    gate: PauseGate,
    debug_faults: str,
    *,
    start: date,
    end: date,
    inventory: dict[str, int],
    guests: Callable[[str], list[dict[str, Any]]],
    held_room_types: tuple[str, ...] = (),
) -> CheckoutRace:
    """Every guest checks out at once, alternating between two `roomgate serve` processes on one Redis
    and `postgres_db`, against a Cloudbeds simulator with `inventory` (room type → rooms) for the stay.
    Every saga that gets past its hold step waits at `gate` until all guests either answered or wait
    there; then the gate opens. `guests` gives the checkout bodies, called with the first server's URL
    (its cache warm) for any probe they need; `debug_faults` is added to the gate's fault."""
    flush_redis(redis_url)
    with ServerThread(create_simulator("cloudbeds")) as sim, ExitStack() as stack:
        for room, available in inventory.items():
            body = {
                "roomTypeId": room,
                "from": start.isoformat(),
                "to": end.isoformat(),
                "available": available,
            }
            httpx2.put(f"{sim.url}/_sim/properties/{HOTEL}/inventory", json=body).raise_for_status()
        env = {
            "DATABASE_URL": postgres_db,
            "REDIS_URL": redis_url,
            "CLOUDBEDS_BASE_URL": f"{sim.url}/api/v1.3",
            f"PMS_{HOTEL}_API_KEY": KEY,
            "PAYMENT_PROVIDER": "sandbox",
            "ROOMGATE_CLOUDBEDS_RATE_LIMIT": "1000",
            # the race window, held open deterministically: every saga that gets past its hold step
            # waits at the gate until the test opens it
            "ROOMGATE_DEBUG_FAULTS": ",".join(filter(None, [gate.fault, debug_faults])),
        }
        urls = [stack.enter_context(serve(env))[0] for _ in range(2)]
        # warm the cache so every guest sees the rooms as for sale
        httpx2.get(
            f"{urls[0]}/api/hotels/{HOTEL}/availability",
            params={"vendor": "cloudbeds", "checkIn": start.isoformat(), "checkOut": end.isoformat()},
            timeout=30,
        )
        bodies = guests(urls[0])
        with ThreadPoolExecutor(len(bodies)) as pool:
            futures = [
                pool.submit(_checkout, url, body)
                for url, body in zip(itertools.cycle(urls), bodies, strict=False)
            ]
            # every guest either answered or is waiting past the hold, and nobody has gone further yet
            wait_until(
                lambda: sum(f.done() for f in futures) + gate.arrived() >= len(bodies),
                "every guest answered or paused after the hold",
            )
            answered_while_paused = [f.result() for f in futures if f.done()]
            past_the_hold = gate.arrived()
            held_while_paused = asyncio.run(_held(redis_url, start, held_room_types))
            gate.open()
            answers = [f.result() for f in futures]
        losers = [booking_id for status, _, booking_id in answers if status != 200 and booking_id]
        loser_steps = [
            [step["event"] for step in httpx2.get(f"{urls[0]}/api/bookings/{b}", timeout=30).json()["steps"]]
            for b in losers
        ]
        state = httpx2.get(f"{sim.url}/_sim/state").json()
    payments = asyncio.run(_payment_states(redis_url))
    return CheckoutRace(
        answers,
        answered_while_paused,
        past_the_hold,
        held_while_paused,
        loser_steps,
        int(state["calls"].get("postReservation", 0)),
        state["reservations"],
        payments,
    )


def _checkout(url: str, body: dict[str, Any]) -> CheckoutAnswer:
    response = httpx2.post(f"{url}/api/booking/checkout", json=body, timeout=90)
    return response.status_code, response.json().get("errorCode"), response.headers.get("x-booking-id")


async def _held(redis_url: str, night: date, room_types: tuple[str, ...]) -> dict[str, int]:
    if not room_types:
        return {}
    redis = create_redis(redis_url)
    try:
        held = {}
        for room in room_types:
            members = await redis.zrange(keys.night_holds(HOTEL, room, night), 0, -1)
            held[room] = sum(int(str(m).split(":")[0]) for m in members)
        return held
    finally:
        await redis.aclose()


async def _payment_states(redis_url: str) -> list[PaymentStatus]:
    redis = create_redis(redis_url)
    try:
        gateway = SandboxGateway(redis)
        stored = [k async for k in redis.scan_iter(f"{KEY_PREFIX}*")]
        states = []
        for key in stored:
            auth_id = key.removeprefix(KEY_PREFIX)
            try:
                states.append(await gateway.get_status(auth_id))
            except Exception:  # auxiliary keys of the sandbox store
                continue
        return states
    finally:
        await redis.flushdb()
        await redis.aclose()
