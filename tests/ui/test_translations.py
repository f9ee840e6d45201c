"""The window speaks the user's language: German ships, picked from the locale at start-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication, QMessageBox

from ffdesk.engine.system import System
from ffdesk.ui import dialogs
from ffdesk.ui.main_window import MainWindow
from ffdesk.ui.translations import TRANSLATIONS, install_translations, remove_translations
from tests.ui.conftest import find_dialog
from tests.ui.helpers import click, open_integration

ROOT = Path(__file__).resolve().parents[2]
GERMAN = QLocale(QLocale.Language.German, QLocale.Country.Germany)

# Starts the window as `ffdesk` does (create_application, then the first paint) and prints
# what the user reads in it.
PROBE = """
import json
from ffdesk.app import create_application, show_window
app = create_application()
window = show_window(app)
print(json.dumps({
    "search": window.search.placeholderText(),
    "opening": window.opening.text(),
    "refresh": window.refresh_action.text(),
    "problems": window.problems_action.text(),
}))
"""


def start_window(tmp_path: Path, lang: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")
    }
    env.update(
        LANG=lang,
        QT_QPA_PLATFORM="offscreen",
        HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_started_with_a_german_locale_the_window_speaks_german(tmp_path: Path) -> None:
    texts = start_window(tmp_path, "de_DE.UTF-8")
    assert texts == {
        "search": "Integrationen suchen (Strg+F)",
        "opening": "Datenbank wird geöffnet…",
        "refresh": "Aktualisieren",
        "problems": "Probleme",
    }


def test_started_with_an_english_locale_the_window_stays_english(tmp_path: Path) -> None:
    texts = start_window(tmp_path, "en_US.UTF-8")
    assert texts["search"] == "Search integrations (Ctrl+F)"
    assert texts["opening"] == "Opening the database…"


def test_the_german_catalogue_is_complete() -> None:
    source = (TRANSLATIONS / "ffdesk_de.ts").read_text(encoding="utf-8")
    assert 'type="unfinished"' not in source
    assert (TRANSLATIONS / "ffdesk_de.qm").stat().st_size > 0
    # A string lupdate filed under no context is never looked up: it stays English.
    assert "<name></name>" not in source


def test_a_sync_result_and_a_duration_speak_german(german: list[str]) -> None:
    from datetime import datetime

    from ffdesk.sync.runner import RunOutcome, RunState
    from ffdesk.ui.integration_pane import describe_outcome
    from ffdesk.ui.labels import run_state_label
    from ffdesk.ui.run_detail import duration_text

    now = datetime.now()
    outcome = RunOutcome(1, "Stripe", RunState.DONE, 3, 1, 0, 2, None, now, now)
    kind, text = describe_outcome(outcome)
    assert kind == "warning"
    assert text.startswith("Synchronisierung mit Fehlern beendet")
    assert "3 angelegt" in text
    assert duration_text(None) == "läuft noch"
    # The history's and the run detail's State of such a run (not a plain "Fertig").
    assert run_state_label("partial") == "Mit Fehlern beendet"
    assert run_state_label("done") == "Fertig"


@pytest.fixture
def german(qapp: QApplication) -> Iterator[list[str]]:
    found = install_translations(qapp, GERMAN)
    yield found
    remove_translations(qapp)


def test_the_whole_window_in_german(
    qtbot: Any,
    german: list[str],
    system: System,
    make_window: Callable[[System], MainWindow],
) -> None:
    assert german == ["qtbase", "ffdesk"]
    window = make_window(system)
    catalogue = window.catalogue
    assert catalogue.state_filter.itemText(0) == "Alle"
    assert catalogue.count_label.text().endswith(" Integrationen")
    assert window.switcher.new_action.text() == "&Neue Firma…"

    open_integration(qtbot, window, "payment_stripe")
    header = window.pane.header
    assert header.badge.text() == "Nicht installiert"
    assert header.install_button.text() == "&Installieren"
    assert window.pane.tabs.tabText(0) == "Synchronisierungsverlauf (0)"

    click(qtbot, header.install_button)
    qtbot.waitUntil(lambda: header.badge.text() == "Installiert", timeout=10000)
    assert window.pane.message.text.startswith("Stripe installiert.")
    assert header.enable_button.text() == "&Aktivieren"
    assert window.pane.form.save_button.text() == "&Speichern"


def test_standard_dialog_buttons_are_german_too(
    qtbot: Any, german: list[str], system: System, make_window: Callable[[System], MainWindow]
) -> None:
    window = make_window(system)
    dialogs.ask_unsaved_changes(window, "Stripe", lambda _answer: None)
    box: QMessageBox = find_dialog(qtbot, window, "unsavedChangesDialog")
    assert box.text() == "Stripe hat ungespeicherte Änderungen."
    assert box.button(QMessageBox.StandardButton.Discard).text() == "Verwerfen"
    box.close()
