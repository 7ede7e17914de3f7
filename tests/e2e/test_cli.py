"""The command line as a user runs it: `roomgate demo`, `roomgate simulate`, `--help`."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest

from tests.e2e.processes import free_port, process_env
from tests.fake_keys import cloudbeds_key

pytestmark = pytest.mark.slow


@contextmanager
def running(args: list[str], cwd: Path, health: str) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "roomgate.cli", *args],
        cwd=cwd,
        env=process_env({}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            try:
                if httpx2.get(health, timeout=1).status_code < 500:
                    break
            except httpx2.HTTPError:
                pass
            assert time.monotonic() < deadline, "did not start"
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_demo_serves_docs_readyz_and_the_printed_example(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(["demo", "--port", str(port)], tmp_path, f"{base}/healthz") as proc:
        assert httpx2.get(f"{base}/docs").status_code == 200
        assert httpx2.get(f"{base}/readyz").status_code == 200
        # the banner's availability and checkout examples work as printed
        banner = ""
        while "Book the spec's example" not in banner or "-d '" not in banner:
            banner += proc.stdout.readline()  # type: ignore[union-attr]
        banner += proc.stdout.readline()  # type: ignore[union-attr]
        availability_url = re.search(r"curl '([^']+availability[^']+)'", banner).group(1)  # type: ignore[union-attr]
        rooms = httpx2.get(availability_url).json()["roomTypes"]
        assert {"roomTypeId": "room_456", "total": 250000} in [
            {"roomTypeId": r["roomTypeId"], "total": r["total"]} for r in rooms
        ]
        body = re.search(r"-d '(\{.+\})'", banner).group(1)  # type: ignore[union-attr]
        booked = httpx2.post(
            f"{base}/api/booking/checkout",
            content=body.encode(),
            headers={"Content-Type": "application/json", "Idempotency-Key": "demo-test"},
        )
        assert booked.status_code == 200 and booked.json()["success"] is True
    assert (tmp_path / ".roomgate" / "demo.db").is_file()


def test_cloudbeds_simulator_answers_like_the_vendor(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(["simulate", "cloudbeds", "--port", str(port)], tmp_path, f"{base}/_sim/state"):
        denied = httpx2.get(f"{base}/api/v1.3/getHotelDetails", params={"propertyID": "hotel_123"})
        assert denied.status_code == 401
        hotel = httpx2.get(
            f"{base}/api/v1.3/getHotelDetails",
            params={"propertyID": "hotel_123"},
            headers={"x-api-key": cloudbeds_key("anything")},
        ).json()
        assert hotel["success"] is True and hotel["data"]["propertyID"] == "hotel_123"
        assert httpx2.get(f"{base}/_sim/state").json()["calls"]["getHotelDetails"] == 2


@pytest.mark.parametrize("command", ["demo", "serve", "migrate", "simulate", "worker"])
def test_every_command_explains_itself(command: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "roomgate.cli", command, "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "Usage" in result.stdout and len(result.stdout) > 200
