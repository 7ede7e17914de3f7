"""Polling operations through HTTP (admin endpoints, bearer token, typed answers, clear 4xx) and the
command line (`roomgate sync` with its progress bar, `roomgate polling status`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from roomgate.cli import app as cli_app
from roomgate.ledger.migrate import upgrade
from roomgate.simulators.registry import create_simulator
from roomgate.simulators.server import ServerThread
from tests.e2e.stack import HOTEL, KEY, Stack, running_stack


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with running_stack(f"sqlite:///{tmp_path}/polling.db") as s:
        yield s


def test_admin_polling_endpoints(stack: Stack) -> None:
    # list: every configured hotel, never started yet
    listed = stack.admin("GET", "/polling").json()
    assert {h["hotelId"] for h in listed["hotels"]} >= {HOTEL, "hotel_777"}
    assert set(listed["hotels"][0]) >= {
        "hotelId",
        "vendor",
        "isRunning",
        "lastSyncAt",
        "nextSyncAt",
        "errorCount",
        "lastError",
        "stoppedReason",
    }
    # start → running, due now
    started = stack.admin("POST", f"/polling/cloudbeds/{HOTEL}/start").json()["status"]
    assert started["isRunning"] and started["errorCount"] == 0 and started["nextSyncAt"]
    # sync → answers when the poll is done, with what it read and changed
    stack.set_sim_inventory(0, date.today() + timedelta(days=3), date.today() + timedelta(days=4))
    synced = stack.admin("POST", f"/polling/cloudbeds/{HOTEL}/sync")
    assert synced.status_code == 200, synced.text
    body = synced.json()
    assert body["changes"]["roomTypes"] == 3 and body["changes"]["nightsRead"] == 90
    assert body["changes"]["changedNights"] == 90  # nothing was cached before
    assert body["status"]["lastSyncAt"] is not None
    availability = stack.availability(date.today() + timedelta(days=3), date.today() + timedelta(days=4))
    assert availability["source"] == "cache" and availability["nights"][0]["available"] == 0
    # status and stop
    one = stack.admin("GET", f"/polling/cloudbeds/{HOTEL}").json()["status"]
    assert one["hotelId"] == HOTEL and one["lastChanges"]["nightsRead"] == 90
    stopped = stack.admin("POST", f"/polling/cloudbeds/{HOTEL}/stop").json()["status"]
    assert not stopped["isRunning"] and stopped["stoppedReason"] == "stopped_by_admin"
    # reconciliation report (none yet, then one run)
    assert stack.admin("GET", "/reconciliation").json() == {"success": True, "report": None}
    run = stack.admin("POST", "/reconciliation/run").json()["report"]
    assert run["bookingsChecked"] == 0 and run["drift"] == []


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/polling/cloudbeds/hotel_unknown", 404, "NOT_FOUND"),
        ("POST", "/polling/cloudbeds/hotel_unknown/sync", 404, "NOT_FOUND"),
        ("POST", f"/polling/mews/{HOTEL}/start", 400, "VALIDATION_ERROR"),  # the hotel is at cloudbeds
        ("POST", f"/polling/opera/{HOTEL}/start", 400, "VALIDATION_ERROR"),  # not a vendor we know
        ("GET", "/polling/cloudbeds/bad%20id", 400, "VALIDATION_ERROR"),
    ],
)
def test_admin_polling_refuses_bad_input_and_changes_nothing(
    stack: Stack, method: str, path: str, status: int, code: str
) -> None:
    before = stack.sim_state()["calls"]
    response = stack.admin(method, path)
    assert response.status_code == status, response.text
    assert response.json()["success"] is False and response.json()["errorCode"] == code
    assert stack.sim_state()["calls"] == before


def test_admin_polling_needs_the_token(stack: Stack) -> None:
    response = stack.client.post(f"{stack.url}/api/admin/polling/cloudbeds/{HOTEL}/sync")
    assert response.status_code == 401 and response.json()["errorCode"] == "UNAUTHORIZED"


def test_cli_sync_with_progress_and_polling_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database_url = f"sqlite:///{tmp_path}/cli.db"
    upgrade(database_url)
    with ServerThread(create_simulator("cloudbeds")) as sim:
        for name, value in {
            "DATABASE_URL": database_url,
            "CLOUDBEDS_BASE_URL": f"{sim.url}/api/v1.3",
            f"PMS_{HOTEL}_API_KEY": KEY,
            "ROOMGATE_LOG_LEVEL": "WARNING",
        }.items():
            monkeypatch.setenv(name, value)
        runner = CliRunner()
        # when an operator syncs one hotel
        synced = runner.invoke(cli_app, ["sync", "cloudbeds", HOTEL])
        # then a progress bar ran to the end and the changes are printed
        assert synced.exit_code == 0, synced.output
        assert f"sync cloudbeds/{HOTEL}" in synced.output and "100%" in synced.output
        assert "nightsRead: 90" in synced.output
        # status shows the hotel with its last sync
        status = runner.invoke(cli_app, ["polling", "status"])
        assert status.exit_code == 0 and HOTEL in status.output
        # unknown hotel and wrong vendor: clear errors, exit code 2
        assert runner.invoke(cli_app, ["sync", "cloudbeds", "hotel_unknown"]).exit_code == 2
        assert runner.invoke(cli_app, ["sync", "mews", HOTEL]).exit_code == 2
        assert runner.invoke(cli_app, ["sync", "opera", HOTEL]).exit_code == 2


def test_admin_sync_against_a_failing_pms_answers_503_and_counts_the_failure(tmp_path: Path) -> None:
    with running_stack(f"sqlite:///{tmp_path}/failing.db", env={"ROOMGATE_RETRY_ATTEMPTS": "0"}) as stack:
        stack.admin("POST", f"/polling/cloudbeds/{HOTEL}/start").raise_for_status()
        stack.faults(status=500)
        response = stack.admin("POST", f"/polling/cloudbeds/{HOTEL}/sync")
        assert response.status_code == 503 and response.json()["errorCode"] == "PMS_UNAVAILABLE"
        status = stack.admin("GET", f"/polling/cloudbeds/{HOTEL}").json()["status"]
        assert status["errorCount"] == 1 and status["isRunning"] and "500" in (status["lastError"] or "")
