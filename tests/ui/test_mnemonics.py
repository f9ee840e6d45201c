"""Alt+letter: every button and labelled field of a window or dialog has its own letter."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QLabel,
    QLineEdit,
    QMenuBar,
    QToolBar,
    QToolButton,
    QWidget,
)

from ffdesk.ui.form_widget import FormWidget
from ffdesk.ui.main_window import MainWindow
from tests.fakes.stripe import FakeStripe
from tests.ui.conftest import find_dialog
from tests.ui.helpers import click, open_integration, type_into
from tests.ui.test_sync import enabled_stripe

# Buttons that appear more than once at a time (one per message bar), reached by Tab.
NO_LETTER = {"Details…"}


def mnemonic(text: str) -> str | None:
    """The letter after a single "&" ("&&" is a literal ampersand)."""
    text = text.replace("&&", "")
    index = text.find("&")
    return text[index + 1].casefold() if 0 <= index < len(text) - 1 else None


def shown_mnemonics(root: QWidget) -> list[tuple[str, str | None]]:
    """(text, letter) of the shown buttons, buddy labels and menu titles of `root`'s window."""
    found: list[tuple[str, str | None]] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if widget.window() is not root or not widget.isVisible():
            continue
        if isinstance(widget.parentWidget(), QToolBar | QLineEdit) and isinstance(
            widget, QToolButton
        ):
            continue  # toolbar buttons have shortcuts; a field's icons are the field's
        if isinstance(widget, QLabel) and isinstance(widget.buddy(), QWidget):
            if any(isinstance(a, FormWidget) for a in ancestors(widget)):
                continue  # field labels come from the modules' views: Tab reaches the fields
            found.append((widget.text(), mnemonic(widget.text())))
        elif isinstance(widget, QAbstractButton) and widget.text():
            found.append((widget.text(), mnemonic(widget.text())))
        elif isinstance(widget, QMenuBar):
            found += [(a.text(), mnemonic(a.text())) for a in widget.actions() if a.text()]
    return found


def ancestors(widget: QWidget) -> list[QWidget]:
    found = []
    parent = widget.parentWidget()
    while parent is not None:
        found.append(parent)
        parent = parent.parentWidget()
    return found


def assert_unique_letters(root: QWidget, *, every_button: bool = True) -> None:
    found = shown_mnemonics(root)
    letters = Counter(letter for _text, letter in found if letter)
    twice = {letter: [t for t, m in found if m == letter] for letter, n in letters.items() if n > 1}
    assert not twice, f"the same Alt+letter twice in {root.objectName()}: {twice}"
    if every_button:
        missing = [t for t, letter in found if letter is None and t not in NO_LETTER]
        assert not missing, f"no Alt+letter: {missing}"


def test_the_window_never_gives_one_letter_twice(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: FakeStripe
) -> None:
    open_integration(qtbot, window, "payment_stripe")  # not installed: Install
    assert_unique_letters(window)
    enabled_stripe(arun, window, contacts=2)
    open_integration(qtbot, window, "payment_stripe")
    type_into(qtbot, window, "publishable_key", "pk_test_letters")  # Save and Discard
    window.show_message("error", "Shown to have both message bars", "details")
    window.pane.message.show_message("error", "A pane message", "details")
    assert_unique_letters(window)
    click(qtbot, window.pane.form.save_button)
    qtbot.waitUntil(lambda: not window.pane.dirty)
    window.pane.tabs.setCurrentIndex(1)  # Resync
    assert_unique_letters(window)


def test_alt_letter_presses_the_button(qtbot: Any, window: MainWindow) -> None:
    open_integration(qtbot, window, "payment_stripe")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    header = window.pane.header
    qtbot.keyClick(window.catalogue.tree, Qt.Key.Key_I, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: header.badge.text() == "Installed", timeout=20000)


@pytest.mark.parametrize(
    ("action", "dialog_name"),
    [
        ("new_action", "newCompanyDialog"),
        ("rename_action", "renameCompanyDialog"),
    ],
)
def test_company_dialogs_give_each_letter_once(
    qtbot: Any, window: MainWindow, action: str, dialog_name: str
) -> None:
    getattr(window.switcher, action).trigger()
    dialog = find_dialog(qtbot, window, dialog_name)
    dialog.edit.setText("Another name")
    assert_unique_letters(dialog, every_button=False)
    assert mnemonic(dialog.accept_button.text())
    dialog.reject()


def test_help_dialogs_give_each_letter_once(qtbot: Any, window: MainWindow) -> None:
    for action, name in (
        (window.shortcuts_action, "shortcutsDialog"),
        (window.about_action, "aboutDialog"),
        (window.doctor_action, "doctorDialog"),
    ):
        action.trigger()
        dialog = find_dialog(qtbot, window, name)
        assert_unique_letters(dialog, every_button=False)
        dialog.reject()
