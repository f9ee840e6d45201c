"""Switching company: every value shown is the active company's own."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from ffdesk.ui.company_switcher import NEW_COMPANY, RENAME_COMPANY
from ffdesk.ui.field_editors import SECRET_EMPTY, SECRET_SET
from ffdesk.ui.main_window import MainWindow
from tests.ui.conftest import find_dialog
from tests.ui.helpers import badge, click, open_integration, type_into


def answer_text_dialog(qtbot: Any, window: MainWindow, name: str, text: str) -> None:
    dialog = find_dialog(qtbot, window, name)
    edit = dialog.findChild(QLineEdit)
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    click(qtbot, dialog.accept_button)


def choose(window: MainWindow, text: str) -> None:
    """Pick a company of the combo as a user does (the combo reports `activated`), or one of
    the company actions beside it."""
    switcher = window.switcher
    actions = {NEW_COMPANY: switcher.new_action, RENAME_COMPANY: switcher.rename_action}
    if text in actions:
        actions[text].trigger()
        return
    index = switcher.findText(text)
    assert index >= 0, text
    switcher.setCurrentIndex(index)
    switcher.activated.emit(index)


def test_new_company_and_switching_shows_its_own_values(
    qtbot: Any, window: MainWindow, arun: Any
) -> None:
    arun(window.system.install_module("payment_stripe"), timeout=20000)
    arun(window.refresh())
    open_integration(qtbot, window, "payment_stripe")
    type_into(qtbot, window, "secret_key", "sk_test_firstcompany")
    window.pane.form.editor("sandbox_mode").widget.click()
    click(qtbot, window.pane.form.save_button)
    qtbot.waitUntil(lambda: not window.pane.dirty)
    first = window.system.env.cid

    with qtbot.waitSignal(window.company_changed, timeout=10000):
        choose(window, NEW_COMPANY)
        answer_text_dialog(qtbot, window, "newCompanyDialog", "Beta Ltd")
    assert window.switcher.currentText() == "Beta Ltd"
    assert window.windowTitle() == "ffdesk — Beta Ltd"
    assert window.pane.identifier == "payment_stripe"
    form = window.pane.form
    assert form.record.company_id == window.system.env.cid != first
    assert form.editor("secret_key").widget.placeholderText() == SECRET_EMPTY
    assert form.editor("sandbox_mode").widget.isChecked()  # Beta's own default
    assert badge(window, "payment_stripe") == "Installed"

    with qtbot.waitSignal(window.company_changed, timeout=10000):
        choose(window, "My Company")
    assert window.system.env.cid == first
    assert form.editor("secret_key").widget.placeholderText() == SECRET_SET
    assert form.editor("secret_key").widget.text() == ""
    assert not form.editor("sandbox_mode").widget.isChecked()
    assert window.settings.value("company/last") == "My Company"


def test_enabled_in_one_company_only(qtbot: Any, window: MainWindow, arun: Any) -> None:
    async def setup() -> int:
        system = window.system
        await system.install_module("payment_stripe")
        other = await system.add_company("Other")
        record = await system.integration("payment_stripe")
        record.enabled = True
        await record.save()
        return int(other.id)

    other = arun(setup(), timeout=20000)
    arun(window.refresh())
    assert badge(window, "payment_stripe") == "Enabled"
    with qtbot.waitSignal(window.company_changed, timeout=10000):
        choose(window, "Other")
    assert window.system.env.cid == other
    assert badge(window, "payment_stripe") == "Installed"


def test_rename_company(qtbot: Any, window: MainWindow) -> None:
    choose(window, RENAME_COMPANY)
    answer_text_dialog(qtbot, window, "renameCompanyDialog", "Acme Corp")
    qtbot.waitUntil(lambda: window.switcher.findText("Acme Corp") >= 0)
    assert window.windowTitle() == "ffdesk — Acme Corp"
    assert window.switcher.currentText() == "Acme Corp"


def test_a_taken_name_is_refused_in_the_dialog_before_anything_closes(
    qtbot: Any, window: MainWindow
) -> None:
    choose(window, NEW_COMPANY)
    dialog = find_dialog(qtbot, window, "newCompanyDialog")
    edit = dialog.findChild(QLineEdit)
    assert not dialog.accept_button.isEnabled()
    assert dialog.problem.text() == "Type a name for the company."
    qtbot.keyClicks(edit, "   ")
    assert not dialog.accept_button.isEnabled()  # blanks are no name
    edit.clear()
    qtbot.keyClicks(edit, "my company")  # names compare casefolded, as the engine's
    assert not dialog.accept_button.isEnabled()
    assert dialog.problem.text() == "A company named my company already exists."
    qtbot.keyClick(edit, Qt.Key.Key_Return)  # Enter on a taken name: nothing happens
    assert dialog.isVisible()
    assert not window.message.isVisible()
    qtbot.keyClicks(edit, " 2")
    assert dialog.accept_button.isEnabled()
    assert dialog.problem.text() == ""
    with qtbot.waitSignal(window.company_changed, timeout=10000):
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert window.switcher.currentText() == "my company 2"
    assert not window.message.isVisible()
