"""Screenshots of the form's own messages: fields marked at Enable, checks as typed, and the
card of a module that is not installed (FFDESK_SCREENSHOTS=docs/screenshots refreshes them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ffdesk.ui.main_window import MainWindow
from tests.ui.helpers import click, message, open_integration, type_into
from tests.ui.test_screenshots import save, shots  # noqa: F401  (the fixture)


def test_screenshot_validation_messages(
    qtbot: Any,
    window: MainWindow,
    arun: Any,
    shots: Path,  # noqa: F811
) -> None:
    arun(window.system.install_module("shipping_ups"), timeout=20000)
    arun(window.refresh())
    open_integration(qtbot, window, "shipping_ups")
    type_into(qtbot, window, "ups_account_number", "12-34")
    click(qtbot, window.pane.header.enable_button)
    qtbot.waitUntil(lambda: "need attention" in message(window))
    save(qtbot, window, shots / "validation-messages.png")


def test_screenshot_not_installed_card(
    qtbot: Any,
    window: MainWindow,
    shots: Path,  # noqa: F811
) -> None:
    open_integration(qtbot, window, "payment_stripe")
    assert window.pane.install_card.isVisible()
    save(qtbot, window, shots / "not-installed-card.png")


def test_screenshot_checks_as_typed(
    qtbot: Any,
    window: MainWindow,
    arun: Any,
    shots: Path,  # noqa: F811
) -> None:
    arun(window.system.install_module("payment_stripe"), timeout=20000)
    arun(window.refresh())
    open_integration(qtbot, window, "payment_stripe")
    type_into(qtbot, window, "secret_key", "sk_live_0123456789abcdef")
    type_into(qtbot, window, "webhook_secret", "secret_0123")
    assert window.pane.form.rows["secret_key"].error.isVisible()
    window.pane.form.scroll.ensureWidgetVisible(window.pane.form.rows["webhook_secret"].container)
    save(qtbot, window, shots / "checks-as-typed.png")
