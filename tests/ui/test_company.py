"""Switching company: every value shown is the active company's own."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

from ffdesk.ui.company_switcher import NEW_COMPANY, RENAME_COMPANY
from ffdesk.ui.field_editors import SECRET_EMPTY, SECRET_SET
from ffdesk.ui.main_window import MainWindow
from tests.ui.conftest import find_dialog
from tests.ui.helpers import badge, click, open_integration, shown_title, type_into


def answer_text_dialog(qtbot: Any, window: MainWindow, name: str, text: str) -> None:
    dialog = find_dialog(qtbot, window, name)
    edit = dialog.findChild(QLineEdit)
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    click(qtbot, ok)


def choose(window: MainWindow, text: str) -> None:
    """Pick an entry of the company combo as a user does (the combo reports `activated`)."""
    switcher = window.switcher
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
    assert shown_title(window) == "ffdesk — Beta Ltd"
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
    assert shown_title(window) == "ffdesk — Acme Corp"
    assert window.switcher.currentText() == "Acme Corp"


def test_duplicate_company_name_is_refused_in_plain_words(qtbot: Any, window: MainWindow) -> None:
    choose(window, NEW_COMPANY)
    answer_text_dialog(qtbot, window, "newCompanyDialog", "My Company")
    qtbot.waitUntil(lambda: window.message.isVisible())
    assert window.message.text == "A company named 'My Company' already exists."
    assert window.message.details_button.isHidden()
    assert window.switcher.currentText() == "My Company"
