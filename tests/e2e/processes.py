"""Real roomgate processes (`roomgate serve`, `roomgate worker`) for crash and multi-process tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2

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
