"""The form: widgets by kind, labels and hints, live visible/readonly/required, Save/Discard."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QLineEdit,
    QPlainTextEdit,
)

from ffdesk.ui.field_editors import ImageEditor
from ffdesk.ui.main_window import MainWindow
from tests.ui.demo_module import write_demo_module
from tests.ui.helpers import click, open_integration, type_into


@pytest.fixture
def modules_path(tmp_path: Path) -> list[Path]:
    return [write_demo_module(tmp_path / "extra")]


@pytest.fixture
def demo(qtbot: Any, window: MainWindow, arun: Any) -> MainWindow:
    arun(window.system.install_module("payment_demo"), timeout=20000)
    arun(window.refresh())
    open_integration(qtbot, window, "payment_demo")
    return window


def row_shown(window: MainWindow, name: str) -> bool:
    row = window.pane.form.rows[name]
    return row.container.isVisibleTo(window.pane.form)


def test_widgets_by_kind_with_labels_and_hints(demo: MainWindow) -> None:
    form = demo.pane.form
    kinds = {
        "demo_mode": QComboBox,
        "demo_live_key": QLineEdit,
        "demo_notes": QPlainTextEdit,
        "demo_limit": QLineEdit,
        "demo_start": QDateTimeEdit,
        "enabled": QCheckBox,
    }
    for name, kind in kinds.items():
        assert isinstance(form.editor(name).widget, kind), name
    assert isinstance(form.editor("demo_logo"), ImageEditor)
    assert form.editor("demo_live_key").widget.echoMode() == QLineEdit.EchoMode.Password
    assert form.rows["demo_mode"].label.text() == "Mode"
    assert form.editor("demo_mode").widget.toolTip() == "Live moves real money."
    assert [g.title() for g, _ in form._groups][:2] == ["Integration", "Demo settings"]
    assert form.editor("name").widget.isReadOnly()


def test_visibility_and_required_follow_unsaved_edits(qtbot: Any, demo: MainWindow) -> None:
    form = demo.pane.form
    assert not row_shown(demo, "demo_live_key")
    combo = form.editor("demo_mode").widget
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)  # Test -> Live, as a user does with the keyboard
    assert combo.currentText() == "Live"
    assert form.record.demo_mode == "Live"  # the edit is on the record, not yet saved
    assert row_shown(demo, "demo_live_key")
    assert "*" in form.rows["demo_live_key"].label.text()  # required now
    assert form.editor("demo_limit").widget.isReadOnly()
    assert form.dirty

    qtbot.keyClick(combo, Qt.Key.Key_Up)  # back to Test: nothing left to save
    assert not row_shown(demo, "demo_live_key")
    assert not form.editor("demo_limit").widget.isReadOnly()
    assert not form.dirty


def test_wrong_number_is_shown_under_the_field_and_blocks_save(
    qtbot: Any, demo: MainWindow
) -> None:
    form = demo.pane.form
    widget = type_into(qtbot, demo, "demo_limit", "12")
    assert form.edits == {"demo_limit": 12} and form.save_button.isEnabled()
    widget.setValidator(None)  # a pasted value the validator would not let through
    type_into(qtbot, demo, "demo_limit", "12x")
    assert not form.save_button.isEnabled()
    assert "Daily Limit" in form.rows["demo_limit"].error.text()
    type_into(qtbot, demo, "demo_limit", "25")
    assert form.rows["demo_limit"].error.isHidden() and form.save_button.isEnabled()


def test_save_and_discard(qtbot: Any, demo: MainWindow, arun: Any) -> None:
    form = demo.pane.form
    notes = form.editor("demo_notes").widget
    notes.setFocus()
    qtbot.keyClicks(notes, "Call the bank first")
    type_into(qtbot, demo, "demo_limit", "500")
    start = form.editor("demo_start").widget
    start.setDateTime(start.dateTime().fromString("2027-01-02 03:04", "yyyy-MM-dd HH:mm"))
    assert form.dirty and demo.isWindowModified()
    click(qtbot, form.save_button)
    qtbot.waitUntil(lambda: not form.dirty)

    stored = arun(demo.system.integration("payment_demo"))
    assert (stored.demo_notes, stored.demo_limit) == ("Call the bank first", 500)
    assert stored.demo_start == dt.datetime(2027, 1, 2, 3, 4)

    type_into(qtbot, demo, "demo_limit", "999")
    assert form.record.demo_limit == 999
    click(qtbot, form.discard_button)
    assert not form.dirty
    assert form.editor("demo_limit").widget.text() == "500"
    assert form.record.demo_limit == 500


def test_remove_a_stored_secret(qtbot: Any, demo: MainWindow, arun: Any) -> None:
    form = demo.pane.form
    combo = form.editor("demo_mode").widget
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    type_into(qtbot, demo, "demo_live_key", "live-secret-1234")
    click(qtbot, form.save_button)
    qtbot.waitUntil(lambda: not form.dirty)
    editor = form.editor("demo_live_key")
    assert editor.remove_action.isVisible()
    editor.remove_action.trigger()
    assert form.dirty and "removed when you save" in editor.widget.placeholderText()
    click(qtbot, form.save_button)
    qtbot.waitUntil(lambda: not form.dirty)
    assert arun(demo.system.integration("payment_demo")).demo_live_key is None
