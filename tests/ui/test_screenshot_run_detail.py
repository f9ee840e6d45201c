"""Renders a run's detail (and the history row that opens it) into PNG files for the docs.

They go to a temporary folder; set FFDESK_SCREENSHOTS=docs/screenshots to refresh the ones in
the documentation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ffdesk.ui.main_window import MainWindow
from tests.fakes.stripe import FakeStripe
from tests.ui.test_run_detail import open_dialogs, synced_with_failures
from tests.ui.test_screenshots import save, shots  # noqa: F401


def test_screenshot_run_detail(
    qtbot: Any,
    window: MainWindow,
    arun: Any,
    fake_stripe: FakeStripe,
    shots: Path,  # noqa: F811
) -> None:
    synced_with_failures(qtbot, window, arun, fake_stripe)
    save(qtbot, window, shots / "sync-history-failed.png")
    table = window.pane.runs_page.table
    table.setFocus()
    table.setCurrentIndex(window.pane.runs_model.index(0, 0))
    qtbot.keyClick(table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(open_dialogs(window)) == 1)
    [dialog] = open_dialogs(window)
    QApplication.processEvents()
    image = dialog.grab()
    assert image.width() >= 700 and image.height() >= 500
    assert image.save(str(shots / "run-detail.png"))
    dialog.close()
