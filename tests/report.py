"""Numbers a test measured, shown in the terminal summary even when output is captured."""

from __future__ import annotations

import pytest


def report(request: pytest.FixtureRequest, line: str) -> None:
    """Write `line` to the terminal (and into the JUnit report as a property)."""
    plugins = request.config.pluginmanager
    capture, terminal = plugins.getplugin("capturemanager"), plugins.getplugin("terminalreporter")
    request.node.user_properties.append(("measured", line))
    if terminal is None:
        return
    if capture is None:
        terminal.write_line(line)
        return
    with capture.global_and_fixture_disabled():
        terminal.write_line(line)
