"""Benchmark plumbing: start roomgate and simulators as processes, drive load on 127.0.0.1, report.

Load comes from `wrk` when it is installed (apt-get install wrk) and from a bounded asyncio
generator in a separate process otherwise; either way every request goes to loopback and stops
after the given duration.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx2


def cloudbeds_key(name: str) -> str:
    """A Cloudbeds API key (`cbat_…`) for a simulator that takes any. Cloudbeds has no test form (every
    key reads as live), so it is put together at run time: no committed line holds one."""
    return f"cb{'at'}_{name}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            httpx2.get(url, timeout=1)
            return
        except httpx2.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} not up after {timeout} s")


@contextmanager
def process(args: list[str], env: dict[str, str], health_url: str) -> Iterator[subprocess.Popen[bytes]]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("ROOMGATE_", "PMS_"))}
    full_env.update({"ROOMGATE_LOG_LEVEL": "WARNING", **env})
    proc = subprocess.Popen(args, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(health_url, proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def simulator(vendor: str) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "roomgate.cli", "simulate", vendor, "--port", str(port)]
    with process(args, {}, f"{url}/_sim/state"):
        yield url


@contextmanager
def roomgate(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        db = env.get("DATABASE_URL", f"sqlite:///{tmp}/bench.db")
        base = {"DATABASE_URL": db}
        subprocess.run(
            [sys.executable, "-m", "roomgate.cli", "migrate"],
            env={**os.environ, **base, **env},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        args = [sys.executable, "-m", "roomgate.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
        with process(args, {**base, **env}, f"{url}/healthz"):
            yield url


def redis_url_if_reachable(url: str | None = None) -> str | None:
    """The benchmark's Redis database (`ROOMGATE_BENCH_REDIS_URL`, default db 14), if Redis is up."""
    url = url or os.environ.get("ROOMGATE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return url
    except OSError:
        return None


@dataclass
class LoadResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    tool: str


def run_load(url: str | list[str], seconds: float = 10, connections: int = 32) -> LoadResult:
    """Load one URL, or cycle through a list of URLs (in order; the Python generator does lists)."""
    if isinstance(url, list):
        with tempfile.NamedTemporaryFile("w", suffix=".urls", delete=False) as listing:
            listing.write("\n".join(url))
        try:
            return _python_load(f"@{listing.name}", seconds, connections)
        finally:
            os.unlink(listing.name)
    if shutil.which("wrk"):
        return _wrk(url, seconds, connections)
    return _python_load(url, seconds, connections)


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _wrk(url: str, seconds: float, connections: int) -> LoadResult:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return LoadResult(
        rps, _ms(*p50.groups()), _ms(*p99.groups()), total, int(bad.group(1)) if bad else 0, "wrk"
    )  # type: ignore[union-attr]


_GENERATOR = r"""
import asyncio, json, sys, time
import httpx2
url, seconds, conns = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
urls = open(url[1:]).read().split() if url.startswith("@") else [url]
lat, errors, turn = [], 0, 0
async def worker(client, stop):
    global errors, turn
    while time.perf_counter() < stop:
        target = urls[turn % len(urls)]
        turn += 1
        t = time.perf_counter()
        r = await client.get(target)
        lat.append(time.perf_counter() - t)
        errors += r.status_code >= 400
async def main():
    limits = httpx2.Limits(max_connections=conns, max_keepalive_connections=conns)
    async with httpx2.AsyncClient(limits=limits, timeout=30) as client:
        stop = time.perf_counter() + seconds
        start = time.perf_counter()
        await asyncio.gather(*(worker(client, stop) for _ in range(conns)))
        print(json.dumps({"n": len(lat), "elapsed": time.perf_counter() - start, "lat": sorted(lat), "errors": errors}))
asyncio.run(main())
"""


def _python_load(url: str, seconds: float, connections: int) -> LoadResult:
    out = subprocess.run(
        [sys.executable, "-c", _GENERATOR, url, str(seconds), str(connections)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(out)
    lat = data["lat"]
    return LoadResult(
        data["n"] / data["elapsed"],
        lat[len(lat) // 2] * 1000,
        lat[int(len(lat) * 0.99)] * 1000,
        data["n"],
        data["errors"],
        "python-asyncio",
    )


def redis_round_trips(url: str, fn: object, requests: int) -> float:
    """Client round trips to Redis per call of `fn`, seen with MONITOR (commands run inside Lua excluded)."""
    import threading

    import redis

    seen: list[str] = []
    db = int(url.rsplit("/", 1)[-1]) if url.rsplit("/", 1)[-1].isdigit() else 0
    monitor_client = redis.Redis.from_url(url)
    ready = threading.Event()
    stop = threading.Event()

    def watch() -> None:
        with monitor_client.monitor() as monitor:
            ready.set()
            for command in monitor.listen():
                if stop.is_set() and "__bench_stop__" in command["command"]:
                    return
                if command.get("client_type") != "lua" and command.get("db") == db:
                    seen.append(command["command"])

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    ready.wait(5)
    time.sleep(0.2)
    for _ in range(requests):
        fn()  # type: ignore[operator]
    stop.set()
    marker = redis.Redis.from_url(url)
    marker.get("__bench_stop__")
    thread.join(10)
    relevant = [
        c for c in seen if "__bench_stop__" not in c and not c.startswith(("HELLO", "SELECT", "CLIENT"))
    ]
    return len(relevant) / requests
