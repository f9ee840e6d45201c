"""A run's detail from the Sync history: opened by double-click or Enter, closed by Esc."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QTableWidget

from ffdesk.ui.main_window import MainWindow
from ffdesk.ui.run_detail import RunDetailDialog
from tests.fakes.stripe import FakeStripe
from tests.ui.helpers import click, open_integration
from tests.ui.test_sync import enabled_stripe

REJECTED = {"error": {"type": "invalid_request_error", "message": "Invalid email address"}}


class UrlCatcher(QObject):
    """Stands in for the desktop's file manager: remembers the folders it was asked to open."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toLocalFile())


@pytest.fixture
def url_catcher() -> Any:
    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    yield catcher
    QDesktopServices.unsetUrlHandler("file")


def synced_with_failures(qtbot: Any, window: MainWindow, arun: Any, fake: FakeStripe) -> None:
    """Stripe pushes 6 contacts (3 refused by Stripe) and pulls 2 payments, from the window."""
    for amount in (1200, 3400):
        fake.add_payment_intent(amount=amount)
    enabled_stripe(arun, window, contacts=6)
    open_integration(qtbot, window, "payment_stripe")
    fake.fail_next(3, 400, body=REJECTED, path_prefix="/v1/customers", method="POST")
    click(qtbot, window.pane.header.sync_button)
    qtbot.waitUntil(
        lambda: (
            window.pane.runs_model.rowCount() == 1
            and window.pane.runs_model.rows[0].state != "running"
        ),
        timeout=15000,
    )


def open_dialogs(window: MainWindow) -> list[RunDetailDialog]:
    return [d for d in window.findChildren(RunDetailDialog) if d.isVisible()]


def cell(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    return item.text() if item is not None else ""


def test_double_click_opens_the_detail_of_a_run_with_failed_records(
    qtbot: Any,
    window: MainWindow,
    arun: Any,
    fake_stripe: FakeStripe,
    url_catcher: UrlCatcher,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FFDESK_LOG_DIR", str(tmp_path / "logs"))
    synced_with_failures(qtbot, window, arun, fake_stripe)
    table = window.pane.runs_page.table
    model = window.pane.runs_model
    error = model.index(0, 7).data()
    assert error.startswith("3 records failed: first: contact ")
    assert "Invalid email address" in error
    # Finished, but not all went well: the State column says so, not a plain "Done".
    assert model.index(0, 2).data() == "Done with failures"

    rect = table.visualRect(model.index(0, 0))
    # A real double-click: press and release, then the second press Qt reports as double.
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: len(open_dialogs(window)) == 1)
    [dialog] = open_dialogs(window)
    assert not dialog.isModal()
    assert dialog.windowTitle() == f"Sync run {model.rows[0].run_id} of Stripe"
    facts = {key: label.text() for key, label in dialog.facts.items()}
    run = model.rows[0]
    assert facts["started"] == f"{run.started:%Y-%m-%d %H:%M:%S}"
    assert facts["finished"] == f"{run.finished:%Y-%m-%d %H:%M:%S}"
    assert facts["duration"].endswith(" s") and facts["duration"][0].isdigit()
    assert facts["trigger"] == "Manual"
    assert facts["state"] == "Done with failures"
    counts = dialog.counts
    assert counts.verticalHeaderItem(0).text() == "Pushed to Stripe"
    assert counts.verticalHeaderItem(1).text() == "Pulled from Stripe"
    pushed = [cell(counts, 0, c) for c in range(4)]
    pulled = [cell(counts, 1, c) for c in range(4)]
    assert pushed == ["3", "0", "0", "3"]  # created, updated, skipped, failed
    assert pulled == ["2", "0", "0", "0"]
    failures = dialog.failures
    assert failures.rowCount() == 3
    for row in range(3):
        assert cell(failures, row, 0).startswith("contact ")
        assert "Invalid email address" in cell(failures, row, 1)
    log = dialog.log.toPlainText()
    assert "Invalid email address" in log
    assert "sk_test" not in log

    click(qtbot, dialog.open_folder)
    assert url_catcher.opened == [str(tmp_path / "logs")]

    # Non-modal: the window still takes clicks while it is open; Esc closes it.
    assert window.isEnabled()
    dialog.activateWindow()
    dialog.setFocus()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not open_dialogs(window))


def test_enter_on_a_selected_run_opens_its_detail(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: FakeStripe
) -> None:
    synced_with_failures(qtbot, window, arun, fake_stripe)
    table = window.pane.runs_page.table
    table.setFocus()
    table.selectRow(0)
    table.setCurrentIndex(window.pane.runs_model.index(0, 0))
    qtbot.keyClick(table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(open_dialogs(window)) == 1)
    [dialog] = open_dialogs(window)
    assert dialog.facts["state"].text() == "Done with failures"
    # Enter again brings the same dialog forward instead of opening a second one.
    table.setFocus()
    with qtbot.assertNotEmitted(window.pane.run_details.detail_opened, wait=200):
        qtbot.keyClick(table, Qt.Key.Key_Return)
    assert open_dialogs(window) == [dialog]
    dialog.close()


def test_failed_and_error_stay_visible_at_1024_pixels(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: FakeStripe
) -> None:
    synced_with_failures(qtbot, window, arun, fake_stripe)
    table = window.pane.runs_page.table
    assert not any(table.isColumnHidden(c) for c in range(8))  # 1280 px: room for all
    window.resize(1024, 700)
    QApplication.processEvents()
    viewport = table.viewport().width()
    failed_right = table.columnViewportPosition(6) + table.columnWidth(6)
    assert table.columnViewportPosition(6) >= 0 and failed_right <= viewport
    error_left = table.columnViewportPosition(7)
    # The Error column starts on screen with room for its first words.
    assert error_left + table.fontMetrics().horizontalAdvance("3 records failed") <= viewport
