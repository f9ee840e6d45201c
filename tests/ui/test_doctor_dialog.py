"""Help > Doctor shows the same checks as `ffdesk doctor`, for the window's own database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtWidgets import QMenu

from ffdesk.ui.main_window import MainWindow
from tests.helpers.database import ON_POSTGRESQL


def rows(window: MainWindow) -> dict[str, tuple[str, str]]:
    dialog = window.doctor_dialog
    assert dialog is not None
    tree = dialog.tree
    return {
        tree.topLevelItem(i).text(0): (tree.topLevelItem(i).text(1), tree.topLevelItem(i).text(2))
        for i in range(tree.topLevelItemCount())
    }


@pytest.fixture(autouse=True)
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The data folder check writes a probe file: into tmp_path, not the user's folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))


def open_doctor(qtbot: Any, window: MainWindow) -> None:
    help_menu = window.findChild(QMenu, "helpMenu")
    assert help_menu is not None and help_menu.title() == "&Help"
    assert window.doctor_action in help_menu.actions()
    window.doctor_action.trigger()
    dialog = window.doctor_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.report is not None and dialog.tree.topLevelItemCount() > 0)
    assert dialog.isVisible()


def test_help_doctor_lists_every_check(qtbot: Any, window: MainWindow) -> None:
    open_doctor(qtbot, window)
    shown = rows(window)
    assert list(shown) == ["keyring", "data folder", "database", "network", "modules", "clock"]
    assert shown["database"][0] == "ok"
    assert window.system is not None
    dialect = "postgresql" if ON_POSTGRESQL else "sqlite"
    assert f"({dialect}) opened; schema is current." in shown["database"][1]
    assert window.doctor_dialog is not None
    assert window.doctor_dialog.verdict.text() == "Everything looks fine."


def test_help_doctor_shows_a_missing_keyring_with_its_fix(qtbot: Any, window: MainWindow) -> None:
    keyring.set_keyring(fail.Keyring())  # the autouse fixture puts the memory keyring back
    open_doctor(qtbot, window)
    status, details = rows(window)["keyring"]
    assert status == "problem"
    assert "No usable keyring" in details and "Fix: " in details
    assert "PYTHON_KEYRING_BACKEND" in details
    dialog = window.doctor_dialog
    assert dialog is not None
    assert dialog.verdict.text().startswith("Some checks found a problem")
    # Fixed, then checked again from the dialog.
    from tests.helpers.memory_keyring import MemoryKeyring

    keyring.set_keyring(MemoryKeyring())
    with qtbot.waitSignal(dialog.report_shown, timeout=10000):
        dialog.again.click()
    assert rows(window)["keyring"][0] == "ok"
