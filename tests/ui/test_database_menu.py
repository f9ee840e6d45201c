"""Database > Check the database / Back up the database…: the window offers `ffdesk db`."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from ffdesk.engine.system import System
from ffdesk.ui.main_window import MainWindow
from tests.helpers.database import sqlite_only
from tests.ui.conftest import find_dialog


def test_the_check_reports_a_healthy_database(qtbot: Any, window: MainWindow) -> None:
    window.database_menu.check_action.trigger()
    qtbot.waitUntil(lambda: window.message.isVisible(), timeout=10000)
    assert window.message.kind == "info"
    assert window.message.label.text().startswith("ffdesk's database is healthy (")


@sqlite_only
def test_a_backup_is_written_where_the_user_chose(
    qtbot: Any, window: MainWindow, system: System, tmp_path: Path
) -> None:
    target = tmp_path / "copy.db"
    window.database_menu.backup_action.trigger()
    dialog = find_dialog(qtbot, window, "backupDialog")
    dialog.selectFile(str(target))
    dialog.accept()
    qtbot.waitUntil(lambda: window.message.isVisible(), timeout=10000)
    assert window.message.label.text().startswith(f"Backed up ffdesk's database to {target} (")
    with closing(sqlite3.connect(target)) as copy:
        names = [r[0] for r in copy.execute("SELECT name FROM company")]
    assert names == ["My Company"]
    # Again to the same file: refused in a sentence, the first copy untouched.
    window.message.hide()
    window.database_menu.backup_action.trigger()
    dialog = find_dialog(qtbot, window, "backupDialog")
    dialog.selectFile(str(target))
    dialog.accept()
    qtbot.waitUntil(lambda: window.message.isVisible(), timeout=10000)
    assert window.message.kind == "error"
    assert window.message.label.text() == (
        f"{target} already exists: choose a new file name for the backup."
    )
