"""Stripe from the window: credentials, test connection, enable (refused, then accepted)."""

from __future__ import annotations

from typing import Any

from ffdesk.ui.field_editors import SECRET_EMPTY, SECRET_SET, SecretEditor
from ffdesk.ui.main_window import MainWindow
from tests.fakes.stripe import FakeStripe
from tests.helpers.memory_keyring import MemoryKeyring
from tests.ui.conftest import STRIPE_KEY
from tests.ui.helpers import badge, click, message, open_integration, type_into


def install(arun: Any, window: MainWindow, identifier: str = "payment_stripe") -> None:
    arun(window.system.install_module(identifier), timeout=20000)
    arun(window.refresh())


def test_fill_credentials_test_and_enable(
    qtbot: Any,
    window: MainWindow,
    arun: Any,
    fake_stripe: FakeStripe,
    memory_keyring: MemoryKeyring,
) -> None:
    install(arun, window)
    open_integration(qtbot, window, "payment_stripe")
    pane, header = window.pane, window.pane.header
    secret = pane.form.editor("secret_key")
    assert isinstance(secret, SecretEditor)
    assert secret.widget.placeholderText() == SECRET_EMPTY

    # Enable without a key: refused, with the module's own sentence, in the pane.
    click(qtbot, header.enable_button)
    qtbot.waitUntil(lambda: "Please enter your Stripe Secret Key" in message(window))
    assert pane.message.kind == "error"
    assert badge(window, "payment_stripe") == "Installed"

    # A live key while Sandbox Mode is on: saved, but enabling says which one to change.
    type_into(qtbot, window, "secret_key", "sk_live_0123456789abcdef")
    assert pane.form.dirty and header.enable_button.isEnabled()
    click(qtbot, pane.form.save_button)
    qtbot.waitUntil(lambda: not pane.form.dirty)
    assert "changes saved" in message(window)
    assert secret.widget.text() == ""  # the stored secret is never put back in the widget
    assert secret.widget.placeholderText() == SECRET_SET
    assert "sk_live_0123456789abcdef" in memory_keyring.store.values()
    click(qtbot, header.enable_button)
    qtbot.waitUntil(lambda: "live key but Sandbox Mode is on" in message(window))
    assert badge(window, "payment_stripe") == "Installed"

    # The right key: the connection test answers ok, then enabling works.
    type_into(qtbot, window, "secret_key", STRIPE_KEY)
    click(qtbot, pane.form.save_button)
    qtbot.waitUntil(lambda: not pane.form.dirty)
    click(qtbot, header.test_button)
    qtbot.waitUntil(lambda: message(window).startswith("Connection ok"), timeout=10000)
    assert pane.message.kind == "success"
    assert fake_stripe.count("GET", "/v1/balance") == 1

    click(qtbot, header.enable_button)
    qtbot.waitUntil(lambda: badge(window, "payment_stripe") == "Enabled", timeout=10000)
    assert "Stripe is enabled" in message(window)
    assert header.badge.text() == "Enabled"
    assert header.disable_button.isVisible() and header.sync_button.isEnabled()
    assert not header.enable_button.isVisible()


def test_test_connection_uses_the_unsaved_key(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: FakeStripe
) -> None:
    install(arun, window)
    open_integration(qtbot, window, "payment_stripe")
    type_into(qtbot, window, "secret_key", "sk_test_wrongwrongwrong")
    click(qtbot, window.pane.header.test_button)
    qtbot.waitUntil(lambda: message(window).startswith("Connection rejected"), timeout=10000)
    assert "sk_test_wrongwrongwrong" not in message(window)  # the key is masked
    assert window.pane.form.dirty  # testing saves nothing


def test_show_toggle_reveals_only_what_was_typed(qtbot: Any, window: MainWindow, arun: Any) -> None:
    install(arun, window)
    open_integration(qtbot, window, "payment_stripe")
    editor = window.pane.form.editor("secret_key")
    assert isinstance(editor, SecretEditor)
    widget = type_into(qtbot, window, "secret_key", "sk_test_typed")
    assert widget.echoMode() == widget.EchoMode.Password
    editor.show_action.trigger()
    assert widget.echoMode() == widget.EchoMode.Normal
    assert widget.text() == "sk_test_typed"
    editor.show_action.trigger()
    assert widget.echoMode() == widget.EchoMode.Password


def test_uninstall_asks_first(qtbot: Any, window: MainWindow, arun: Any) -> None:
    from tests.ui.conftest import find_dialog

    install(arun, window)
    open_integration(qtbot, window, "payment_stripe")
    click(qtbot, window.pane.header.uninstall_button)
    dialog = find_dialog(qtbot, window, "uninstallDialog")
    [confirm] = [b for b in dialog.buttons() if b.text() == "Uninstall"]
    click(qtbot, confirm)
    qtbot.waitUntil(lambda: badge(window, "payment_stripe") == "Not Installed", timeout=10000)
    assert window.pane.header.install_button.isVisible()


def test_unreachable_provider_asks_before_enabling_anyway(
    qtbot: Any, window: MainWindow, arun: Any, monkeypatch: Any
) -> None:
    from ffdesk.sync.results import ConnectionResult
    from tests.ui.conftest import find_dialog

    install(arun, window)
    open_integration(qtbot, window, "payment_stripe")
    pane = window.pane

    async def unreachable(self: Any) -> ConnectionResult:
        return ConnectionResult("unreachable", "Stripe did not answer (timed out).")

    monkeypatch.setattr(type(pane.record), "check_connection", unreachable)
    type_into(qtbot, window, "secret_key", STRIPE_KEY)

    click(qtbot, pane.header.enable_button)  # first time: the user says no
    dialog = find_dialog(qtbot, window, "enableAnywayDialog")
    assert "timed out" in dialog.informativeText()
    click(qtbot, dialog.button(dialog.StandardButton.Cancel))
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert badge(window, "payment_stripe") == "Installed"
    assert pane.message.kind == "warning" and "timed out" in message(window)

    click(qtbot, pane.header.enable_button)  # second time: enable anyway
    dialog = find_dialog(qtbot, window, "enableAnywayDialog")
    [anyway] = [b for b in dialog.buttons() if b.text() == "Enable anyway"]
    click(qtbot, anyway)
    qtbot.waitUntil(lambda: badge(window, "payment_stripe") == "Enabled", timeout=10000)
    assert not pane.dirty  # enabling saved the key typed before
