"""The company switcher by keyboard: companies only, type to filter, Enter to switch; the
company actions beside it; a warning that still holds survives a switch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keyring
import keyring.backends.fail
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ffdesk.app import show_startup_warnings
from ffdesk.engine.system import System
from ffdesk.ui.main_window import MainWindow
from tests.ui.conftest import find_dialog, no_dialog

COMPANIES = 300


@pytest.fixture
def many(system: System, arun: Callable[..., Any]) -> System:
    async def add() -> None:
        Company = system.get_model("Company")
        async with system.db.transaction():
            for i in range(1, COMPANIES):
                company = await Company.create(name=f"Company {i:04d}")
                system.env.cids.append(company.id)

    arun(add())
    return system


@pytest.fixture
def focused(qtbot: Any, many: System, make_window: Callable[[System], MainWindow]) -> MainWindow:
    """The window with the keyboard on the switcher, as Tab puts it there (text selected)."""
    window = make_window(many)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.switcher.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(window.switcher.hasFocus)
    return window


def test_the_list_holds_companies_only(focused: MainWindow) -> None:
    switcher = focused.switcher
    assert switcher.count() == COMPANIES
    assert all(isinstance(switcher.itemData(i), int) for i in range(switcher.count()))
    assert "New company…" not in switcher.company_names()


def test_down_on_the_closed_switcher_opens_the_list_and_switches_nothing(
    qtbot: Any, focused: MainWindow
) -> None:
    switcher = focused.switcher
    with qtbot.assertNotEmitted(focused.company_changed, wait=300):
        qtbot.keyClick(switcher, Qt.Key.Key_Down)
        qtbot.waitUntil(switcher.view().isVisible)
        assert focused.system.env.company.name == "My Company"
        switcher.hidePopup()
        qtbot.keyClick(switcher, Qt.Key.Key_Down)
        qtbot.keyClick(switcher, Qt.Key.Key_Down)
    assert no_dialog(focused, "newCompanyDialog")
    assert focused.system.env.company.name == "My Company"
    switcher.hidePopup()


def test_typing_filters_and_only_enter_switches(qtbot: Any, focused: MainWindow) -> None:
    switcher = focused.switcher
    with qtbot.assertNotEmitted(focused.company_changed, wait=300):
        for key in "Company 0250":
            qtbot.keyClick(QApplication.focusWidget(), key)
    assert focused.system.env.company.name == "My Company"
    completer = switcher.completer()
    assert completer.completionCount() == 1
    with qtbot.waitSignal(focused.company_changed, timeout=10000):
        qtbot.keyClick(switcher.lineEdit(), Qt.Key.Key_Return)
    assert focused.system.env.company.name == "Company 0250"
    assert switcher.currentText() == "Company 0250"


def test_enter_on_part_of_a_name_takes_the_first_match(qtbot: Any, focused: MainWindow) -> None:
    switcher = focused.switcher
    qtbot.keyClicks(switcher.lineEdit(), "0017")
    switcher.completer().popup().hide()
    with qtbot.waitSignal(focused.company_changed, timeout=10000) as blocker:
        qtbot.keyClick(switcher.lineEdit(), Qt.Key.Key_Return)
    assert focused.system.env.company.name == "Company 0017"
    assert blocker.args == [focused.system.env.cid]


def test_escape_after_typing_shows_the_active_company_again(
    qtbot: Any, focused: MainWindow
) -> None:
    switcher = focused.switcher
    qtbot.keyClicks(switcher.lineEdit(), "0042")
    switcher.completer().popup().hide()
    with qtbot.assertNotEmitted(focused.company_changed, wait=200):
        qtbot.keyClick(switcher, Qt.Key.Key_Escape)
    assert switcher.currentText() == "My Company"


def test_the_company_actions_sit_beside_the_list_with_shortcuts(
    qtbot: Any, focused: MainWindow
) -> None:
    button = focused.switcher.actions_button
    assert button.isVisible()
    menu_actions = [a.text() for a in focused.switcher.company_actions()]
    assert menu_actions == ["&New company…", "&Rename company…"]
    qtbot.keyClick(
        focused.switcher,
        Qt.Key.Key_N,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    dialog = find_dialog(qtbot, focused, "newCompanyDialog")
    dialog.reject()
    qtbot.keyClick(focused.switcher, Qt.Key.Key_F2)
    dialog = find_dialog(qtbot, focused, "renameCompanyDialog")
    assert dialog.edit.text() == "My Company"
    assert dialog.accept_button.isEnabled()  # its own name is not taken by another
    dialog.reject()
    # Tab from the switcher reaches the button, whose menu holds both actions.
    focused.switcher.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(focused.switcher, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is button
    assert button.actions() == focused.switcher.company_actions()


def test_an_unusable_keyring_is_still_said_after_switching_company(
    qtbot: Any, many: System, make_window: Callable[[System], MainWindow]
) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())  # the memory keyring comes back after
    window = make_window(many)
    show_startup_warnings(window, many, [])
    assert window.message.isVisible()
    assert window.message.text.startswith("No usable keyring")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    switcher = window.switcher
    switcher.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClicks(switcher.lineEdit(), "Company 0003")
    with qtbot.waitSignal(window.company_changed, timeout=10000):
        qtbot.keyClick(switcher.lineEdit(), Qt.Key.Key_Return)
    assert window.system.env.company.name == "Company 0003"
    assert window.message.isVisible()
    assert window.message.text.startswith("No usable keyring")


def test_a_warning_that_no_longer_holds_goes_with_the_switch(
    qtbot: Any, many: System, make_window: Callable[[System], MainWindow]
) -> None:
    window = make_window(many)
    show_startup_warnings(window, many, ["There is no company 'Nope'."])
    assert window.message.text == "There is no company 'Nope'."
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    switcher = window.switcher
    switcher.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClicks(switcher.lineEdit(), "Company 0003")
    with qtbot.waitSignal(window.company_changed, timeout=10000):
        qtbot.keyClick(switcher.lineEdit(), Qt.Key.Key_Return)
    assert not window.message.isVisible()
