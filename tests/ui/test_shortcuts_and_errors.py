"""Keyboard shortcuts, and how errors reach the user (plain words vs "Something went wrong")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from ffdesk.engine.errors import UserError
from ffdesk.services import integrations
from ffdesk.ui.errors import SOMETHING_WENT_WRONG
from ffdesk.ui.main_window import MainWindow
from tests.ui.conftest import find_dialog
from tests.ui.helpers import click, message, open_integration, type_into


@pytest.fixture
def stripe(qtbot: Any, window: MainWindow, arun: Any) -> MainWindow:
    arun(window.system.install_module("payment_stripe"), timeout=20000)
    arun(window.refresh())
    open_integration(qtbot, window, "payment_stripe")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


def test_ctrl_f_focuses_the_search_box(qtbot: Any, stripe: MainWindow) -> None:
    stripe.catalogue.tree.setFocus()
    qtbot.keyClick(stripe.catalogue.tree, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(stripe.search.hasFocus)
    qtbot.keyClicks(stripe.search, "stripe")
    assert stripe.catalogue.proxy.entry_count() == 1


def test_ctrl_s_saves_the_form(qtbot: Any, stripe: MainWindow, arun: Any) -> None:
    widget = type_into(qtbot, stripe, "publishable_key", "pk_test_shortcut")
    qtbot.keyClick(widget, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not stripe.pane.dirty)
    assert arun(stripe.system.integration("payment_stripe")).publishable_key == "pk_test_shortcut"


def test_f5_refreshes(qtbot: Any, stripe: MainWindow, arun: Any) -> None:
    record = arun(stripe.system.integration("payment_stripe"))
    record.enabled = True  # changed behind the window's back (the command line, say)
    arun(record.save())
    qtbot.keyClick(stripe.catalogue.tree, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: stripe.pane.header.badge.text() == "Enabled")


def test_a_user_error_is_a_plain_sentence(
    qtbot: Any, stripe: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refused(record: Any) -> Any:
        raise UserError("Stripe is in maintenance until 10:00.")

    monkeypatch.setattr(integrations, "test_connection", refused)
    click(qtbot, stripe.pane.header.test_button)
    qtbot.waitUntil(lambda: message(stripe) == "Stripe is in maintenance until 10:00.")
    assert stripe.pane.message.details_button.isHidden()
    assert stripe.pane.header.test_button.isEnabled()  # re-enabled after the action


def test_a_bug_shows_something_went_wrong_with_details(
    qtbot: Any, stripe: MainWindow, monkeypatch: pytest.MonkeyPatch, log_file: Path
) -> None:

    async def broken(record: Any) -> Any:
        raise RuntimeError("boom in the module")

    monkeypatch.setattr(integrations, "test_connection", broken)
    click(qtbot, stripe.pane.header.test_button)
    qtbot.waitUntil(lambda: message(stripe) == SOMETHING_WENT_WRONG)
    assert not stripe.pane.message.details_button.isHidden()
    click(qtbot, stripe.pane.message.details_button)
    dialog = find_dialog(qtbot, stripe, "errorDetailsDialog")
    assert "RuntimeError: boom in the module" in dialog.detailedText()
    dialog.close()
    assert "RuntimeError: boom in the module" in log_file.read_text()


def test_secrets_never_reach_messages_or_logs(
    qtbot: Any, stripe: MainWindow, monkeypatch: pytest.MonkeyPatch, log_file: Path
) -> None:
    type_into(qtbot, stripe, "secret_key", "sk_test_topsecret0001")
    click(qtbot, stripe.pane.form.save_button)
    qtbot.waitUntil(lambda: not stripe.pane.dirty)

    async def leaky(record: Any) -> Any:
        raise RuntimeError(f"failed with key {record.secret_key}")

    monkeypatch.setattr(integrations, "test_connection", leaky)
    click(qtbot, stripe.pane.header.test_button)
    qtbot.waitUntil(lambda: message(stripe) == SOMETHING_WENT_WRONG)
    click(qtbot, stripe.pane.message.details_button)
    dialog = find_dialog(qtbot, stripe, "errorDetailsDialog")
    assert "failed with key ***" in dialog.detailedText()
    assert "sk_test_topsecret0001" not in dialog.detailedText()
    dialog.close()
    assert "sk_test_topsecret0001" not in log_file.read_text()


def test_ctrl_q_closes_the_window(qtbot: Any, stripe: MainWindow) -> None:
    with qtbot.waitSignal(stripe.closed):
        qtbot.keyClick(stripe.catalogue.tree, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert not stripe.isVisible()


def test_geometry_and_splitter_are_remembered(
    qtbot: Any, window: MainWindow, make_window: Any, system: Any
) -> None:
    window.resize(1100, 700)
    window.splitter.setSizes([350, 750])
    window.close()
    again = make_window(system)  # same QSettings file
    assert again.width() == 1280  # make_window resizes; the restored geometry came first
    assert again.splitter.sizes()[0] == window.splitter.sizes()[0]
    assert again.settings.value("company/last") == "My Company"
