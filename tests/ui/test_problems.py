"""Broken modules are listed with their reason; the rest of the window keeps working."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ffdesk.ui.main_window import MainWindow
from tests.ui.helpers import badge, click, message, open_integration

BROKEN = Path(__file__).resolve().parent.parent / "fixtures" / "broken_modules"


@pytest.fixture
def modules_path() -> list[Path]:
    return [BROKEN]


def test_broken_modules_are_listed_with_their_reason(qtbot: Any, window: MainWindow) -> None:
    reasons = window.problems.reasons()
    assert reasons["bad_yaml"].startswith("bad_yaml (manifest.yaml, line 4): bad YAML")
    assert "depends on" in reasons["depends_on_broken"]
    assert window.problems_action.text() == f"Problems ({len(reasons)})"
    assert window.problems_dock.isHidden()
    window.problems_action.trigger()
    assert window.problems_dock.isVisible()
    table = window.problems.model
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert rows["missing_name"] == reasons["missing_name"]
    # Healthy modules are still listed and usable.
    assert badge(window, "payment_stripe") == "Not Installed"


def test_a_module_broken_at_install_time_reports_in_the_pane(
    qtbot: Any, window: MainWindow
) -> None:
    open_integration(qtbot, window, "view_missing_target")
    click(qtbot, window.pane.header.install_button)
    qtbot.waitUntil(lambda: "Cannot install view_missing_target" in message(window), timeout=10000)
    assert window.pane.message.kind == "error"
    assert window.pane.message.details_button.isHidden()  # the user's problem, not a bug
    qtbot.waitUntil(lambda: "view_missing_target" in window.problems.reasons())
    assert badge(window, "view_missing_target") == "Not Installed"
