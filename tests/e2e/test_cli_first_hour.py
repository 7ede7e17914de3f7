"""The command line as a newcomer meets it: `-h`, `--version`, help naming defaults and environment
variables, no colour codes in piped output, clear refusals (an unmigrated database, a worker without a
shared Redis), and the demo's printed flow pasted into bash as it is."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from roomgate import __version__
from roomgate.ledger.migrate import upgrade
from roomgate.logging import use_colour
from tests.e2e.processes import free_port, process_env
from tests.e2e.test_cli import running

pytestmark = pytest.mark.slow

ANSI = re.compile(r"\x1b\[")
COMMANDS = ["demo", "serve", "migrate", "simulate", "worker"]


def roomgate(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "roomgate.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_clean_env(env or {}),
        timeout=60,
    )


def _clean_env(extra: dict[str, str]) -> dict[str, str]:
    # Only what the test sets: no REDIS_URL or DATABASE_URL inherited from the shell running the tests.
    env = {k: v for k, v in process_env({}).items() if k not in {"REDIS_URL", "DATABASE_URL", "NO_COLOR"}}
    return {**env, **extra}


def test_dash_h_is_help_and_version_prints_the_version() -> None:
    assert roomgate("-h").stdout == roomgate("--help").stdout
    assert "Commands" in roomgate("-h").stdout
    version = roomgate("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"roomgate {__version__}"


@pytest.mark.parametrize("command", COMMANDS)
def test_help_names_defaults_and_environment_variables_without_colour(command: str) -> None:
    # piped (not a terminal): no ANSI codes
    result = roomgate(command, "-h")
    assert result.returncode == 0 and "Usage" in result.stdout
    assert not ANSI.search(result.stdout)
    text = " ".join(result.stdout.split())
    for option in re.findall(r"--([a-z][a-z-]+)", result.stdout):
        if option in {"help", "once"}:
            continue
        assert re.search(rf"--{option}\b.*?(default|env var)", text), (command, option, text)


def test_serve_and_worker_help_name_their_environment() -> None:
    serve = " ".join(roomgate("serve", "-h").stdout.split())
    assert "ROOMGATE_HOST" in serve and "ROOMGATE_PORT" in serve and "DATABASE_URL" in serve
    worker = " ".join(roomgate("worker", "-h").stdout.split())
    assert "REDIS_URL" in worker and "DATABASE_URL" in worker


def test_no_color_and_non_terminals_get_no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour(Terminal()) is True
    assert use_colour(open(os.devnull, "w")) is False  # noqa: SIM115 - closed with the process
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_colour(Terminal()) is False


def test_serve_refuses_a_database_that_was_never_migrated(tmp_path: Path) -> None:
    result = roomgate(
        "serve",
        "--port",
        str(free_port()),
        cwd=tmp_path,
        env={"DATABASE_URL": f"sqlite:///{tmp_path}/never.db"},
    )
    assert result.returncode == 2
    assert "never migrated" in result.stderr and "roomgate migrate" in result.stderr
    assert not ANSI.search(result.stderr)
    assert not (tmp_path / "never.db").exists()  # looking did not create it


def test_worker_without_a_shared_redis_says_what_to_do(tmp_path: Path) -> None:
    result = roomgate("worker", "--once", cwd=tmp_path)
    assert result.returncode == 2
    assert "REDIS_URL" in result.stderr and "roomgate demo" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_worker_once_on_a_migrated_database_runs(tmp_path: Path, real_redis_url: str) -> None:
    url = f"sqlite:///{tmp_path}/ledger.db"
    unmigrated = roomgate("worker", "--once", env={"DATABASE_URL": url, "REDIS_URL": real_redis_url})
    assert unmigrated.returncode == 2 and "roomgate migrate" in unmigrated.stderr
    upgrade(url)
    result = roomgate("worker", "--once", env={"DATABASE_URL": url, "REDIS_URL": real_redis_url})
    assert result.returncode == 0, result.stderr
    assert "recovery: 0 confirmed" in result.stdout


@pytest.mark.slow
def test_the_demos_printed_flow_runs_as_pasted(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(["demo", "--port", str(port)], tmp_path, f"{base}/healthz") as proc:
        banner = ""
        while "The Mews hotel" not in banner:
            banner += proc.stdout.readline()  # type: ignore[union-attr]
        banner += proc.stdout.readline()  # type: ignore[union-attr]
        assert not ANSI.search(banner)
        # the numbered steps, as a person would paste them (continuation lines included)
        steps = re.findall(r"^\d\. .*\n((?:  .*\n)+)", banner, flags=re.MULTILINE)
        assert len(steps) == 4, banner
        script = "set -euo pipefail\n" + "".join(
            f"echo '--- step {n}'\n{step}echo\n" for n, step in enumerate(steps, 1)
        )
        ran = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
        assert ran.returncode == 0, ran.stderr
        out = ran.stdout
        availability, booking_id, booking, cancel = (part.strip() for part in out.split("--- step ")[1:])
        assert '"roomTypeId":"room_456"' in availability
        assert re.fullmatch(r"2\n.*\n(bk_[0-9a-f]{16})", booking_id, flags=re.DOTALL), booking_id
        assert '"status":"confirmed"' in booking and '"paymentStatus":"captured"' in booking
        assert '"status":"cancelled"' in cancel and '"paymentStatus":"refunded"' in cancel
        # the Mews hotel is its own hotel, served by the Mews simulator
        mews = re.search(r"curl '([^']+hotel_555/availability[^']+)'", banner)
        assert mews is not None
        import httpx2

        answer = httpx2.get(mews.group(1)).json()
        assert answer["vendor"] == "mews" and {r["roomTypeId"] for r in answer["roomTypes"]} == {
            "room_551",
            "room_552",
        }
