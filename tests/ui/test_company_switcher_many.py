"""The company switcher with 500 companies: type to filter, pick, most recent first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt

from ffdesk.engine.system import System
from ffdesk.ui.main_window import MainWindow

COMPANIES = 500


@pytest.fixture
def many(system: System, arun: Callable[..., Any]) -> System:
    async def add() -> None:
        Company = system.get_model("Company")
        async with system.db.transaction():
            for i in range(1, COMPANIES):
                company = await Company.create(name=f"Client {i:03d}")
                system.env.cids.append(company.id)

    arun(add())
    return system


def choose_by_typing(qtbot: Any, window: MainWindow, typed: str, pick: str) -> list[str]:
    """Type into the switcher, read the filtered list, pick `pick` from it with the keyboard."""
    switcher = window.switcher
    editor = switcher.lineEdit()
    editor.selectAll()
    qtbot.keyClicks(editor, typed)
    completer = switcher.completer()
    model = completer.completionModel()
    shown = [model.index(row, 0).data() for row in range(model.rowCount())]
    row = shown.index(pick)
    popup = completer.popup()
    qtbot.waitUntil(popup.isVisible, timeout=3000)
    popup.setCurrentIndex(model.index(row, 0))
    with qtbot.waitSignal(window.company_changed, timeout=10000):
        qtbot.keyClick(popup, Qt.Key.Key_Return)
    return shown


def test_typing_filters_500_companies_and_the_recent_ones_come_first(
    qtbot: Any, many: System, make_window: Callable[[System], MainWindow]
) -> None:
    window = make_window(many)
    switcher = window.switcher
    assert len(switcher.company_names()) == COMPANIES

    shown = choose_by_typing(qtbot, window, "ent 25", "Client 250")
    # Only the names that contain what was typed, whatever the case.
    assert shown == [f"Client {n}" for n in range(250, 260)]
    assert window.system is not None and window.system.env.company.name == "Client 250"
    assert switcher.currentText() == "Client 250"

    shown = choose_by_typing(qtbot, window, "CLIENT 01", "Client 017")
    assert shown == [f"Client {n:03d}" for n in range(10, 20)]
    assert switcher.currentText() == "Client 017"

    # Most recently used first, then the rest by name.
    names = switcher.company_names()
    assert names[:3] == ["Client 017", "Client 250", "Client 001"]
    assert names[-1] == "My Company"
    assert len(names) == COMPANIES


def test_typed_text_that_matches_nothing_switches_nothing(
    qtbot: Any, many: System, make_window: Callable[[System], MainWindow]
) -> None:
    window = make_window(many)
    editor = window.switcher.lineEdit()
    editor.selectAll()
    qtbot.keyClicks(editor, "no such company")
    assert window.switcher.completer().completionCount() == 0
    with qtbot.assertNotEmitted(window.company_changed, wait=200):
        qtbot.keyClick(editor, Qt.Key.Key_Return)
        window.switcher.clearFocus()
        editor.editingFinished.emit()
    assert window.switcher.currentText() == "My Company"
