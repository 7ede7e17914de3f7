"""Guard: no file in the repository names an absolute path on some machine (a work or home directory).

Such paths only work on the machine that wrote them (a fixture that skips elsewhere, a lock file that
names its compiler's checkout); refer to files relative to the repository root instead.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Spelled in pieces so this file does not match itself.
MACHINE_PATH = re.compile(
    r"(?<![\w.~-])/(?:"
    + "wo"
    + r"rk|"
    + "ho"
    + r"me/[A-Za-z_][\w.-]*|"
    + "ro"
    + r"ot|"
    + "Us"
    + r"ers/[\w.-]+)/"
)


def machine_paths(text: str) -> list[str]:
    return [match.group(0) for match in MACHINE_PATH.finditer(text)]


def tracked_files() -> list[Path]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
    ).stdout.decode()
    return [ROOT / name for name in listing.split("\0") if name]


def test_the_pattern_sees_machine_paths_and_nothing_else() -> None:
    # negative control: the guard below can fail
    for path in ("/" + "work/wt-x/src", "# via -r /" + "home/alice/roomgate/x", "/" + "root/.cache/uv"):
        assert machine_paths(path), path
    for path in ("../shared/DESIGN.md", "/api/v1.3/getRoomTypes", "/_sim/state", "https://x.example/home/"):
        assert not machine_paths(path), path


def test_no_tracked_file_names_an_absolute_machine_path() -> None:
    found = []
    for path in tracked_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue  # binary, or deleted in the work tree
        found += [f"{path.relative_to(ROOT)}: {hit}" for hit in machine_paths(text)]
    assert found == []
