"""The `pause:` fault point holds a run at its point until the test opens the gate."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from roomgate.services.faults import FaultPoints, FaultSpecError
from tests.pause_gate import PauseGate


async def test_a_paused_run_waits_at_its_point_until_the_gate_opens(tmp_path: Path) -> None:
    # given runs paused after their hold
    gate = PauseGate(tmp_path / "gate", "after_hold")
    faults = FaultPoints.parse(f"{gate.fault},after_authorize=crash")
    runs = [asyncio.ensure_future(faults.hit("after_hold")) for _ in range(3)]
    # when they reach the point
    for _ in range(1000):  # bounded yields until all three announced themselves
        if gate.arrived() == 3:
            break
        await asyncio.sleep(0)
    # then each announced itself and none went on (negative control for the release below)
    assert gate.arrived() == 3 and not any(run.done() for run in runs)
    # and other points do not pause
    await faults.hit("after_pms_create")
    # when the test opens the gate, every run goes on
    gate.open()
    await asyncio.wait_for(asyncio.gather(*runs), timeout=30)


def test_pause_needs_a_directory() -> None:
    with pytest.raises(FaultSpecError, match="pause:<directory>"):
        FaultPoints.parse("after_hold=pause:")
