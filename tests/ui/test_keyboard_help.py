"""Help > Keyboard Shortcuts and About; Esc in the search, Enter in a field; the focus after
an action button ran."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication

from ffdesk import __version__
from ffdesk.ui.main_window import MainWindow
from tests.fakes.stripe import FakeStripe
from tests.ui.conftest import STRIPE_KEY, find_dialog
from tests.ui.helpers import message, open_integration, type_into


@pytest.fixture
def stripe(qtbot: Any, window: MainWindow, arun: Any) -> MainWindow:
    arun(window.system.install_module("payment_stripe"), timeout=20000)
    arun(window.refresh())
    open_integration(qtbot, window, "payment_stripe")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


def keys(action: QAction) -> str:
    return ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())


def test_keyboard_shortcuts_lists_every_action_with_keys(qtbot: Any, stripe: MainWindow) -> None:
    # An action added later (by another part of the window) is listed without more work.
    extra = QAction("Jump somewhere", stripe)
    extra.setShortcut(QKeySequence("Ctrl+J"))
    stripe.addAction(extra)
    qtbot.keyClick(stripe.catalogue.tree, Qt.Key.Key_F1)
    dialog = find_dialog(qtbot, stripe, "shortcutsDialog")
    rows = dict(dialog.rows())
    assert rows["Jump somewhere"] == keys(extra)
    for action, name in (
        (stripe.find_action, "Find an integration"),
        (stripe.save_action, "Save the form"),
        (stripe.quit_action, "Quit"),
        (stripe.refresh_action, "Refresh"),
        (stripe.switcher.new_action, "New company…"),
        (stripe.switcher.rename_action, "Rename company…"),
        (stripe.shortcuts_action, "Keyboard Shortcuts"),
        (stripe.clear_search_action, "Clear the search"),
        (stripe.problems_action, "Show the module problems"),
    ):
        assert rows[name] == keys(action), name
    assert rows["Next or previous control"] == "Tab, Shift+Tab"
    assert not dialog.tree.tabKeyNavigation()
    qtbot.keyClick(dialog.tree, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_about_names_version_licence_and_links(qtbot: Any, window: MainWindow) -> None:
    [about] = [a for a in window.help_menu.actions() if a is window.about_action]
    assert about.text() == "&About ffdesk"
    about.trigger()
    dialog = find_dialog(qtbot, window, "aboutDialog")
    text = dialog.text.text()
    assert f"ffdesk {__version__}" in dialog.findChild(type(dialog.text), "paneTitle").text()
    assert "MIT licence" in text
    assert 'href="https://fullfinity.io"' in text
    assert dialog.text.openExternalLinks()
    assert window.doctor_action in window.help_menu.actions()
    dialog.reject()


def test_escape_in_the_search_clears_it(qtbot: Any, stripe: MainWindow) -> None:
    total = stripe.catalogue.proxy.entry_count()
    qtbot.keyClick(stripe.catalogue.tree, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(stripe.search.hasFocus)
    qtbot.keyClicks(stripe.search, "stripe")
    assert stripe.catalogue.proxy.entry_count() == 1
    qtbot.keyClick(stripe.search, Qt.Key.Key_Escape)
    assert stripe.search.text() == ""
    assert stripe.catalogue.proxy.entry_count() == total


def test_enter_in_a_field_saves(qtbot: Any, stripe: MainWindow, arun: Any) -> None:
    widget = type_into(qtbot, stripe, "publishable_key", "pk_test_enter")
    qtbot.keyClick(widget, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not stripe.pane.dirty)
    assert arun(stripe.system.integration("payment_stripe")).publishable_key == "pk_test_enter"
    assert message(stripe) == "Stripe: changes saved."


def test_the_focus_comes_back_to_the_action_button_that_ran(
    qtbot: Any, stripe: MainWindow, fake_stripe: FakeStripe
) -> None:
    header = stripe.pane.header
    type_into(qtbot, stripe, "secret_key", STRIPE_KEY)
    qtbot.keyClick(stripe.pane.form.editor("secret_key").widget, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not stripe.pane.dirty)
    header.test_button.setFocus(Qt.FocusReason.TabFocusReason)
    fake_stripe.delay_next(1, 0.3, path_prefix="/v1/")
    qtbot.keyClick(header.test_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not header.test_button.isEnabled())  # busy: every action waits
    qtbot.waitUntil(lambda: message(stripe).startswith("Connection ok"), timeout=10000)
    qtbot.waitUntil(header.test_button.hasFocus)

    # Enable goes away once it ran: its place goes to the next action, Disable.
    header.enable_button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(header.enable_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: header.badge.text() == "Enabled", timeout=10000)
    qtbot.waitUntil(header.disable_button.hasFocus)
    assert QApplication.focusWidget() is header.disable_button


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """As in test_screenshots: FFDESK_SCREENSHOTS=docs/screenshots refreshes the docs' one."""
    folder = Path(os.environ.get("FFDESK_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_screenshot_keyboard_shortcuts(qtbot: Any, stripe: MainWindow, shots: Path) -> None:
    stripe.shortcuts_action.trigger()
    dialog = find_dialog(qtbot, stripe, "shortcutsDialog")
    qtbot.waitExposed(dialog)
    QApplication.processEvents()
    image = dialog.grab()
    assert image.width() >= 400
    assert image.save(str(shots / "keyboard-shortcuts.png"))
    dialog.reject()


def test_help_is_the_last_menu(stripe: MainWindow) -> None:
    # Database and Configuration are added once the database is open; Help stays last, where
    # users look for it.
    titles = [a.text().replace("&", "") for a in stripe.menuBar().actions()]
    assert titles[-1] == "Help"
    assert {"Database", "Configuration", "Activity"} <= set(titles[:-1])
