"""Closing and reopening the window brings back its size, the company and the integration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from ffdesk.app import App, parse_args
from ffdesk.engine.system import System
from ffdesk.ui.company_switcher import NEW_COMPANY
from ffdesk.ui.main_window import MainWindow
from tests.ui.helpers import open_integration
from tests.ui.test_company import answer_text_dialog, choose


def reopen(qtbot: Any, arun: Any, qapp: QApplication, database: str, settings: QSettings) -> Any:
    """Start-up as `ffdesk` does it: the window first, then the System, then the contents."""
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.show()
    args, _ = parse_args(["--database", database])
    system = arun(App(qapp, args, window)._open(window.settings))
    window.attach(system)
    arun(window.refresh())
    return window, system


def test_close_and_reopen_restores_geometry_company_and_integration(
    qtbot: Any,
    qapp: QApplication,
    arun: Any,
    tmp_path: Path,
    system: System,
    settings: QSettings,
    make_window: Any,
) -> None:
    window = make_window(system)
    choose(window, NEW_COMPANY)
    answer_text_dialog(qtbot, window, "newCompanyDialog", "Acme Ltd")
    qtbot.waitUntil(lambda: window.switcher.currentText() == "Acme Ltd", timeout=5000)
    open_integration(qtbot, window, "sms_twilio")
    window.resize(1040, 690)
    window.close()

    again, reopened = reopen(qtbot, arun, qapp, system.db.url, settings)
    try:
        # The offscreen screen is 800 px wide, so Qt fits the width back onto it; the height
        # (the default is 800) shows the saved geometry came back.
        assert again.height() == 690
        assert reopened.env.company.name == "Acme Ltd"
        assert again.switcher.currentText() == "Acme Ltd"
        assert again.pane.identifier == "sms_twilio"
        assert again.catalogue.current_identifier() == "sms_twilio"
    finally:
        again._close_confirmed = True
        again.close()
        arun(reopened.close())


def test_a_first_start_shows_the_first_integration(
    qtbot: Any, qapp: QApplication, arun: Any, tmp_path: Path, system: System, settings: QSettings
) -> None:
    again, reopened = reopen(qtbot, arun, qapp, system.db.url, settings)
    try:
        assert again.pane.identifier == again.catalogue.first_identifier()
        assert reopened.env.company.name == "My Company"
    finally:
        again.close()
        arun(reopened.close())
