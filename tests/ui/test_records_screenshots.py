"""Renders the Records area and a Data tab offscreen (1280x800) into PNG files.

As tests/ui/test_screenshots.py: a temporary folder, or FFDESK_SCREENSHOTS=docs/screenshots
to refresh the ones in the documentation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ffdesk.ui.main_window import MainWindow
from tests.fakes.stripe import FakeStripe
from tests.fakes.twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, MAGIC_FROM, FakeTwilio
from tests.ui.conftest import find_dialog
from tests.ui.helpers import click
from tests.ui.test_records import (
    click_row,
    enable,
    fake_twilio,  # noqa: F401 (a fixture)
    no_backoff,  # noqa: F401 (a fixture)
    open_data_tab,
    open_records,
    type_text,
)
from tests.ui.test_screenshots import configure_stripe, save, shots  # noqa: F401 (fixture)

CUSTOMERS = ("Acme Ltd", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries")


def test_screenshot_records_payments(
    qtbot: Any,
    window: MainWindow,
    arun: Callable[..., Any],
    shots: Path,  # noqa: F811
    fake_stripe: FakeStripe,
) -> None:
    now = int(time.time())
    for i in range(48):
        fake_stripe.add_payment_intent(
            amount=[1999, 4500, 12000, 800, 25900, 3450][i % 6] + i * 10,
            currency="eur" if i % 3 else "usd",
            status=["succeeded", "succeeded", "processing", "canceled"][i % 4],
            created=now - i * 3600,
            description=f"Order {1040 + i} — {CUSTOMERS[i % len(CUSTOMERS)]}",
        )
    arun(configure_stripe(window.system, contacts=6, enable=True), timeout=20000)  # type: ignore[arg-type]
    arun(window.refresh())
    from tests.ui.helpers import open_integration

    open_integration(qtbot, window, "payment_stripe")
    click(qtbot, window.pane.header.sync_button)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: window.pane.runs_model.rowCount() == 1, timeout=15000)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: not window.controller.busy, timeout=15000)  # type: ignore[union-attr]
    browser = open_records(qtbot, window, "Payments")
    qtbot.waitUntil(lambda: browser.model.rowCount() == 48)
    type_text(qtbot, browser.filter, "Q(state='done') & Q(amount__gte=40)")
    qtbot.keyClick(browser.filter, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: 0 < browser.model.rowCount() < 48)
    click_row(qtbot, browser, 1)
    qtbot.waitUntil(lambda: browser.detail.remote_id.text().startswith("pi_"))
    save(qtbot, window, shots / "records-payments.png")
    # A filter that is not valid: said beside the field, the last good result stays.
    type_text(qtbot, browser.filter, "Q(amount__gte=40) & Q(colour='red')")
    qtbot.keyClick(browser.filter, Qt.Key.Key_Return)
    qtbot.waitUntil(browser.filter_error.isVisible)
    save(qtbot, window, shots / "records-filter-error.png")


def test_screenshot_contact_form_and_twilio_data_tab(
    qtbot: Any,
    window: MainWindow,
    arun: Callable[..., Any],
    shots: Path,  # noqa: F811
    fake_twilio: FakeTwilio,  # noqa: F811
) -> None:
    arun(
        enable(
            window.system,  # type: ignore[arg-type]
            "sms_twilio",
            twilio_account_sid=DEFAULT_ACCOUNT_SID,
            twilio_auth_token=DEFAULT_AUTH_TOKEN,
            twilio_from_number=MAGIC_FROM,
        ),
        timeout=20000,
    )
    browser = open_data_tab(qtbot, window, "sms_twilio", "Messages")
    for n, text in enumerate(("Your order has shipped", "Your code is 482913", "See you at 10")):
        click(qtbot, browser.sms_button)
        dialog = find_dialog(qtbot, window, "sendSmsDialog")
        type_text(qtbot, dialog.to, f"+1415555010{n}")
        type_text(qtbot, dialog.body, text)
        click(qtbot, dialog.queue_button)
        qtbot.waitUntil(lambda n=n: browser.model.rowCount() == n + 1)
    click(qtbot, window.pane.header.sync_button)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: window.pane.runs_model.rowCount() == 1, timeout=15000)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: not window.controller.busy, timeout=15000)  # type: ignore[union-attr]
    click(qtbot, browser.sms_button)
    dialog = find_dialog(qtbot, window, "sendSmsDialog")
    type_text(qtbot, dialog.to, "0415 555 0100")
    type_text(qtbot, dialog.body, "Hello from ffdesk")
    click(qtbot, dialog.queue_button)
    qtbot.waitUntil(dialog.to_error.isVisible)
    dialog.close()
    qtbot.waitUntil(lambda: browser.model.rowCount() == 3)
    window.pane.splitter.setSizes([120, 600])  # type: ignore[union-attr]
    click_row(qtbot, browser, 0)
    qtbot.waitUntil(lambda: browser.detail.remote_id.text().startswith("SM"))
    save(qtbot, window, shots / "data-tab-twilio.png")
    # The contact form, from the Records area.
    arun(window.system.install_module("contacts"), timeout=20000)  # type: ignore[union-attr]
    contacts = open_records(qtbot, window, "Contacts")
    click(qtbot, contacts.new_button)
    form = find_dialog(qtbot, window, "recordFormDialog")
    type_text(qtbot, form.editors["email"].widget, "ada@example")
    click(qtbot, form.save_button)
    qtbot.waitUntil(form.editors["name"].error.isVisible)
    qtbot.wait(50)
    QApplication.processEvents()
    assert form.grab().save(str(shots / "record-form.png"))
    form.close()
