"""Validation where the user types: every missing field at once, the module's checks as they
type, hints under the fields, and a local problem never called a rejected connection."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QCheckBox

from ffdesk.ui.main_window import MainWindow
from tests.fakes.stripe import FakeStripe
from tests.ui.helpers import click, message, open_integration, type_into


def install(arun: Any, window: MainWindow, identifier: str) -> None:
    arun(window.system.install_module(identifier), timeout=20000)
    arun(window.refresh())


def error_under(window: MainWindow, field: str) -> str:
    """The sentence shown under a field ("" when none is shown)."""
    row = window.pane.form.rows[field]
    return row.error.text() if row.error.isVisible() else ""


def test_enable_names_every_missing_field_marks_them_and_focuses_the_first(
    qtbot: Any, window: MainWindow, arun: Any
) -> None:
    install(arun, window, "shipping_ups")
    open_integration(qtbot, window, "shipping_ups")
    click(qtbot, window.pane.header.enable_button)
    qtbot.waitUntil(lambda: "need attention" in message(window))
    text = message(window)
    assert "Client ID, Client Secret and Account Number" in text
    assert window.pane.message.kind == "error"
    assert (
        error_under(window, "ups_client_id") == "Please enter your UPS Client ID before enabling."
    )
    assert "UPS Client Secret" in error_under(window, "ups_client_secret")
    assert "UPS account number" in error_under(window, "ups_account_number")
    assert error_under(window, "sandbox_mode") == ""
    first = window.pane.form.editor("ups_client_id").widget
    qtbot.waitUntil(lambda: QApplication.focusWidget() is first)

    # Filling one field clears its mark only; the others keep theirs until filled.
    qtbot.keyClicks(first, "A" * 32)
    assert error_under(window, "ups_client_id") == ""
    assert "UPS account number" in error_under(window, "ups_account_number")


def test_the_form_says_what_the_star_means(qtbot: Any, window: MainWindow, arun: Any) -> None:
    install(arun, window, "payment_stripe")
    open_integration(qtbot, window, "payment_stripe")
    legend = window.pane.form.required_legend
    assert legend.isVisible()
    assert "needed to enable" in legend.text()
    assert "*" in window.pane.form.rows["secret_key"].label.text()


def test_stripe_key_is_checked_as_it_is_typed(qtbot: Any, window: MainWindow, arun: Any) -> None:
    install(arun, window, "payment_stripe")
    open_integration(qtbot, window, "payment_stripe")
    form = window.pane.form
    assert error_under(window, "secret_key") == ""  # empty is not wrong yet

    type_into(qtbot, window, "secret_key", "pk_live_0123456789")
    assert "must start with sk_test_, sk_live_, rk_test_ or rk_live_" in error_under(
        window, "secret_key"
    )
    type_into(qtbot, window, "secret_key", "sk_live_0123456789abcdef")
    assert "live key but Sandbox Mode is on" in error_under(window, "secret_key")
    assert message(window) == ""  # said beside the field, not in the bar

    sandbox = form.editor("sandbox_mode").widget
    assert isinstance(sandbox, QCheckBox) and sandbox.isChecked()
    sandbox.setFocus()
    qtbot.keyClick(sandbox, Qt.Key.Key_Space)
    assert not sandbox.isChecked()
    assert error_under(window, "secret_key") == ""
    type_into(qtbot, window, "secret_key", "rk_test_0123456789abcdef")
    assert "test key but Sandbox Mode is off" in error_under(window, "secret_key")

    type_into(qtbot, window, "webhook_secret", "secret_0123")
    assert "must start with whsec_" in error_under(window, "webhook_secret")
    # A warning about the values does not stop saving them.
    assert form.save_button.isEnabled()


def test_twilio_checks_run_through_the_same_hook(qtbot: Any, window: MainWindow, arun: Any) -> None:
    install(arun, window, "sms_twilio")
    open_integration(qtbot, window, "sms_twilio")
    type_into(qtbot, window, "twilio_account_sid", "SK" + "0" * 32)
    assert "API Key SID (SK...), not the Account SID" in error_under(window, "twilio_account_sid")
    type_into(qtbot, window, "twilio_from_number", "12345")
    assert "E.164" in error_under(window, "twilio_from_number")
    type_into(qtbot, window, "twilio_from_number", "+15005550006")
    assert error_under(window, "twilio_from_number") == ""


def test_a_key_in_the_wrong_format_is_not_a_rejected_connection(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: FakeStripe
) -> None:
    install(arun, window, "payment_stripe")
    open_integration(qtbot, window, "payment_stripe")
    field = type_into(qtbot, window, "secret_key", "stripe_0123456789")
    window.pane.form.editor("publishable_key").widget.setFocus()
    click(qtbot, window.pane.header.test_button)
    qtbot.waitUntil(lambda: message(window).startswith("Check the settings"))
    assert "Connection rejected" not in message(window)
    assert "must start with sk_test_" in message(window)
    assert "must start with sk_test_" in error_under(window, "secret_key")
    assert QApplication.focusWidget() is field

    type_into(qtbot, window, "webhook_secret", "secret_0123")
    click(qtbot, window.pane.header.test_button)
    qtbot.waitUntil(
        lambda: (
            message(window) == "Check the settings: Secret Key and Webhook Signing Secret "
            "need attention; each says why under it."
        )
    )
    assert fake_stripe.count("GET", "/v1/balance") == 0  # nothing was sent


def test_hints_show_under_their_fields(qtbot: Any, window: MainWindow, arun: Any) -> None:
    install(arun, window, "payment_stripe")
    open_integration(qtbot, window, "payment_stripe")
    row = window.pane.form.rows["secret_key"]
    assert row.hint.isVisible()
    assert row.hint.text().startswith("Starts with sk_test_ / sk_live_")
    editor = row.editor.widget
    assert (
        row.hint.mapTo(window, row.hint.rect().topLeft()).y()
        >= editor.mapTo(window, editor.rect().bottomLeft()).y()
    )
