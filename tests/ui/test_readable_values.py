"""A company-scoped value that is no secret (Twilio's From number) is typed, saved and shown
again in the form as text; the auth token next to it stays a hidden secret."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLineEdit

from ffdesk.ui.main_window import MainWindow
from tests.ui.helpers import click, open_integration, type_into

FROM = "+15005550006"
TOKEN = "0123456789abcdef0123456789abcdef"


def test_the_from_number_reads_back_the_token_does_not(
    qtbot: Any, window: MainWindow, arun: Any
) -> None:
    arun(window.system.install_module("sms_twilio"), timeout=20000)
    arun(window.refresh())
    open_integration(qtbot, window, "sms_twilio")
    type_into(qtbot, window, "twilio_from_number", FROM)
    type_into(qtbot, window, "twilio_auth_token", TOKEN)
    click(qtbot, window.pane.form.save_button)
    qtbot.waitUntil(lambda: not window.pane.dirty)

    arun(window.refresh())  # read back from storage, as after a restart
    open_integration(qtbot, window, "sms_twilio")
    sender = window.pane.form.editor("twilio_from_number").widget
    token = window.pane.form.editor("twilio_auth_token").widget
    assert isinstance(sender, QLineEdit) and isinstance(token, QLineEdit)
    assert sender.text() == FROM
    assert sender.echoMode() == QLineEdit.EchoMode.Normal
    assert token.text() == "" and token.echoMode() == QLineEdit.EchoMode.Password
    assert TOKEN not in token.placeholderText()
