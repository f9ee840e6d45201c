"""Actions a user takes in the window, written once for every test."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from ffdesk.ui.catalogue_model import Role
from ffdesk.ui.main_window import MainWindow


def click_entry(qtbot: Any, window: MainWindow, identifier: str) -> None:
    """Click the catalogue row of `identifier` like a user would."""
    view = window.catalogue
    index = view.proxy.mapFromSource(view.model.index_of(identifier))
    assert index.isValid(), f"{identifier} is not listed"
    view.tree.scrollTo(index)
    rect = view.tree.visualRect(index)
    qtbot.mouseClick(view.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def open_integration(qtbot: Any, window: MainWindow, identifier: str) -> None:
    click_entry(qtbot, window, identifier)
    qtbot.waitUntil(
        lambda: window.pane.details is not None and window.pane.details.identifier == identifier
    )


def badge(window: MainWindow, identifier: str) -> str:
    """The state badge the catalogue paints for `identifier`."""
    model = window.catalogue.model
    return str(model.data(model.index_of(identifier), Role.STATE))


def type_into(qtbot: Any, window: MainWindow, field: str, text: str) -> QLineEdit:
    """Type into a form field (replacing what the user typed before)."""
    widget = window.pane.form.editor(field).widget
    assert isinstance(widget, QLineEdit)
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClick(widget, Qt.Key.Key_Backspace)
    qtbot.keyClicks(widget, text)
    return widget


def message(window: MainWindow) -> str:
    return window.pane.message.text


def click(qtbot: Any, button: Any) -> None:
    assert button.isVisible() and button.isEnabled(), f"{button.text()} cannot be clicked"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def shown_title(window: MainWindow) -> str:
    """The title as the window manager shows it: Qt puts "*" for [*] while there are unsaved
    edits, and nothing otherwise."""
    return window.windowTitle().replace("[*]", "*" if window.isWindowModified() else "")
