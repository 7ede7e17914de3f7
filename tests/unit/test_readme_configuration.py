"""The README's configuration table names every setting the service reads."""

from __future__ import annotations

from pathlib import Path

from roomgate.config import Settings, _env_name

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_has_a_row_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    undocumented = [
        _env_name(field) for field in Settings.model_fields if f"`{_env_name(field)}`" not in text
    ]
    assert undocumented == []


def test_the_check_sees_an_undocumented_setting() -> None:
    # negative control: a variable the README does not name is reported
    assert "`ROOMGATE_NO_SUCH_SETTING`" not in README.read_text(encoding="utf-8")
