"""Unsaved edits are never lost silently: switching integration, company or closing asks first."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMessageBox

from ffdesk.ui.field_editors import SECRET_EMPTY, SECRET_SET
from ffdesk.ui.main_window import MainWindow
from tests.ui.conftest import find_dialog, no_dialog
from tests.ui.helpers import click, click_entry, open_integration, type_into

Button = QMessageBox.StandardButton
OTHER = "payment_demo_other"


def answer(qtbot: Any, window: MainWindow, button: QMessageBox.StandardButton) -> None:
    dialog = find_dialog(qtbot, window, "unsavedChangesDialog")
    assert "Stripe has unsaved changes." in dialog.text()
    click(qtbot, dialog.button(button))
    qtbot.waitUntil(lambda: no_dialog(window, "unsavedChangesDialog"))


def other_entry(window: MainWindow) -> str:
    model = window.catalogue.model
    return next(e.identifier for e in model.entries() if e.identifier != "payment_stripe")


def edited_stripe(qtbot: Any, window: MainWindow, arun: Any) -> None:
    arun(window.system.install_module("payment_stripe"), timeout=20000)
    arun(window.refresh())
    open_integration(qtbot, window, "payment_stripe")
    type_into(qtbot, window, "publishable_key", "pk_test_unsaved")
    assert window.pane.dirty


def publishable_placeholder(window: MainWindow) -> str:
    return window.pane.form.editor("publishable_key").widget.placeholderText()


def test_cancel_keeps_the_edits_and_the_selection(
    qtbot: Any, window: MainWindow, arun: Any
) -> None:
    edited_stripe(qtbot, window, arun)
    click_entry(qtbot, window, other_entry(window))
    answer(qtbot, window, Button.Cancel)
    assert window.pane.identifier == "payment_stripe"
    assert window.catalogue.current_identifier() == "payment_stripe"
    assert window.pane.dirty
    assert window.pane.form.editor("publishable_key").widget.text() == "pk_test_unsaved"


def test_discard_drops_the_edits_and_switches(qtbot: Any, window: MainWindow, arun: Any) -> None:
    edited_stripe(qtbot, window, arun)
    target = other_entry(window)
    click_entry(qtbot, window, target)
    answer(qtbot, window, Button.Discard)
    qtbot.waitUntil(lambda: window.pane.identifier == target)
    assert not window.pane.dirty
    open_integration(qtbot, window, "payment_stripe")
    assert publishable_placeholder(window) == SECRET_EMPTY


def test_save_keeps_the_edits_and_switches(qtbot: Any, window: MainWindow, arun: Any) -> None:
    edited_stripe(qtbot, window, arun)
    target = other_entry(window)
    click_entry(qtbot, window, target)
    answer(qtbot, window, Button.Save)
    qtbot.waitUntil(lambda: window.pane.identifier == target)
    open_integration(qtbot, window, "payment_stripe")
    assert publishable_placeholder(window) == SECRET_SET
    assert arun(window.system.integration("payment_stripe")).publishable_key == "pk_test_unsaved"


def test_switching_company_asks_too(qtbot: Any, window: MainWindow, arun: Any) -> None:
    arun(window.system.add_company("Second"))
    edited_stripe(qtbot, window, arun)
    first = window.system.env.cid
    index = window.switcher.findText("Second")
    window.switcher.activated.emit(index)
    answer(qtbot, window, Button.Cancel)
    assert window.system.env.cid == first
    assert window.switcher.currentText() == "My Company"
    assert window.pane.dirty


def test_closing_asks_too(qtbot: Any, window: MainWindow, arun: Any) -> None:
    edited_stripe(qtbot, window, arun)
    with qtbot.assertNotEmitted(window.closed):
        window.close()
        answer(qtbot, window, Button.Cancel)
    assert window.isVisible()
    with qtbot.waitSignal(window.closed):
        window.close()
        answer(qtbot, window, Button.Discard)
    assert not window.isVisible()
