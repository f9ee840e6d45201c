"""The Records area and the Data tab, used as an administrator would: click and type."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLineEdit, QPlainTextEdit, QWidget

from ffdesk.engine.system import System
from ffdesk.services import integrations
from ffdesk.sync.http import RetryPolicy
from ffdesk.ui.main_window import MainWindow
from ffdesk.ui.records_browser import RecordsBrowser
from tests.fakes.stripe import FakeStripe
from tests.fakes.twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, MAGIC_FROM, FakeTwilio
from tests.fakes.ups import DEFAULT_ACCOUNT, DEFAULT_CLIENT_ID, DEFAULT_SECRET, FakeUps
from tests.ui.conftest import find_dialog
from tests.ui.helpers import click, open_integration

TRACKING = "1Z999AA10123456784"


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RetryPolicy, "backoff", lambda self, retry, rng=None: 0.0)


@pytest.fixture
def fake_twilio(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTwilio]:
    with FakeTwilio(seed=1) as server:
        monkeypatch.setenv("FFDESK_SMS_TWILIO_API_BASE", server.url)
        monkeypatch.setenv("FFDESK_SMS_TWILIO_RATE_LIMIT", "0")
        yield server


@pytest.fixture
def fake_ups(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeUps]:
    with FakeUps(seed=1) as server:
        monkeypatch.setenv("FFDESK_SHIPPING_UPS_API_BASE", server.url)
        monkeypatch.setenv("FFDESK_SHIPPING_UPS_RATE_LIMIT", "0")
        yield server


# -- set-up a test does before the user acts ----------------------------------------------------


async def enable(system: System, identifier: str, **values: Any) -> None:
    await system.install_module(identifier)
    record = await system.integration(identifier)
    for name, value in values.items():
        setattr(record, name, value)
    await record.save()
    assert await integrations.enable(record) == "Enabled"


async def add_payments(system: System, count: int) -> None:
    await system.install_module("online_payment")
    Payment = system.registry["PaymentTransaction"]
    start = datetime(2026, 1, 1, 9, 0)
    async with system.db.transaction():
        for i in range(count):
            await Payment.create(
                reference=f"pi_{i:04d}",
                amount=Decimal(i) + Decimal("0.50"),
                currency="EUR",
                state="done" if i % 3 else "failed",
                date=start + timedelta(hours=i),
                company=system.env.cid,
            )


# -- what a user does ----------------------------------------------------------------------------


def open_records(qtbot: Any, window: MainWindow, plural: str) -> RecordsBrowser:
    """Click the Records tab, then the record type called `plural` in the list."""
    tabs = window.areas
    bar = tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(1).center())
    area = tabs.records
    qtbot.waitUntil(lambda: area.types.count() > 0)
    items = area.types.findItems(plural, Qt.MatchFlag.MatchExactly)
    assert items, f"{plural} is not offered"
    rect = area.types.visualItemRect(items[0])
    qtbot.mouseClick(area.types.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    browser = area.browser
    qtbot.waitUntil(lambda: browser.info is not None and browser.info.plural_label == plural)
    return browser


def open_data_tab(qtbot: Any, window: MainWindow, identifier: str, plural: str) -> RecordsBrowser:
    """Open the integration, click its Data tab, choose `plural`."""
    open_integration(qtbot, window, identifier)
    pane = window.pane
    assert pane is not None
    tabs = pane.tabs
    bar = tabs.tabBar()
    index = tabs.indexOf(pane.data_tab)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    browser = pane.data_tab
    qtbot.waitUntil(lambda: browser.model_chooser.count() > 0)
    index = browser.model_chooser.findText(plural)
    assert index >= 0, f"{plural} is not offered on {identifier}'s Data tab"
    browser.model_chooser.setFocus()
    browser.model_chooser.setCurrentIndex(index)
    qtbot.waitUntil(lambda: browser.info is not None and browser.info.plural_label == plural)
    return browser


def type_text(qtbot: Any, widget: QWidget, text: str) -> None:
    widget.setFocus()
    if isinstance(widget, (QLineEdit, QPlainTextEdit)):
        widget.selectAll()
        qtbot.keyClick(widget, Qt.Key.Key_Backspace)
    qtbot.keyClicks(widget, text)


def column_texts(browser: RecordsBrowser, name: str) -> list[str]:
    column = browser.model.column_of(name)
    assert column is not None, f"no column {name}"
    return [
        str(browser.model.index(row, column).data() or "")
        for row in range(browser.model.rowCount())
    ]


def click_row(qtbot: Any, browser: RecordsBrowser, row: int) -> None:
    index = browser.model.index(row, 0)
    browser.table.scrollTo(index)
    rect = browser.table.visualRect(index)
    qtbot.mouseClick(browser.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


# -- tests ---------------------------------------------------------------------------------------


def test_records_area_is_a_tab_beside_the_integrations_which_stay_the_default(
    window: MainWindow,
) -> None:
    assert window.areas.currentIndex() == 0
    assert window.areas.currentWidget() is window.splitter
    assert [window.areas.tabText(i) for i in range(window.areas.count())] == [
        "Integrations",
        "Records",
    ]


def test_the_records_table_is_one_tab_stop_and_arrows_move_inside(
    qtbot: Any, window: MainWindow, arun: Callable[..., Any]
) -> None:
    arun(add_payments(window.system, 30), timeout=30000)  # type: ignore[arg-type]
    browser = open_records(qtbot, window, "Payments")
    qtbot.waitUntil(lambda: browser.model.rowCount() == 30)
    table = browser.table
    table.setFocus()
    qtbot.waitUntil(table.hasFocus)
    qtbot.keyClick(table, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: browser.selected_id() is not None)
    first = browser.selected_id()
    qtbot.keyClick(table, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: browser.selected_id() not in (None, first))
    qtbot.keyClick(table, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: not table.hasFocus())
    focused = QApplication.focusWidget()
    assert focused is not None and focused is not table and not table.isAncestorOf(focused)


def test_create_a_contact_with_the_form_and_see_the_engines_sentence_under_a_field(
    qtbot: Any, window: MainWindow, arun: Callable[..., Any]
) -> None:
    arun(window.system.install_module("contacts"), timeout=20000)  # type: ignore[union-attr]
    browser = open_records(qtbot, window, "Contacts")
    assert browser.model.rowCount() == 0
    click(qtbot, browser.new_button)
    dialog = find_dialog(qtbot, window, "recordFormDialog")
    name = dialog.findChild(QLineEdit, "field_name")
    email = dialog.findChild(QLineEdit, "field_email")
    # Nothing typed: the engine says the name is needed, under the name; the dialog stays.
    click(qtbot, dialog.save_button)
    error = dialog.editors["name"].error
    qtbot.waitUntil(error.isVisible)
    assert "Name" in error.text()
    assert dialog.isVisible()
    type_text(qtbot, name, "x" * 300)  # longer than the engine's max_length 255
    click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: "255" in error.text())
    type_text(qtbot, name, "Ada Lovelace")
    type_text(qtbot, email, "ada@example.org")
    click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    qtbot.waitUntil(lambda: browser.model.rowCount() == 1)
    assert column_texts(browser, "name") == ["Ada Lovelace"]
    assert column_texts(browser, "email") == ["ada@example.org"]
    # The new contact is selected; Edit… changes it.
    assert browser.selected_id() is not None
    click(qtbot, browser.edit_button)
    dialog = find_dialog(qtbot, window, "recordFormDialog")
    assert dialog.findChild(QLineEdit, "field_name").text() == "Ada Lovelace"
    type_text(qtbot, dialog.findChild(QLineEdit, "field_phone"), "+44 20 7946 0000")
    click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: column_texts(browser, "phone") == ["+44 20 7946 0000"])


def test_import_contacts_reports_bad_rows_by_line(
    qtbot: Any, window: MainWindow, arun: Callable[..., Any], tmp_path: Path
) -> None:
    arun(window.system.install_module("contacts"), timeout=20000)  # type: ignore[union-attr]
    people = tmp_path / "people.csv"
    people.write_text(
        "name,email,phone\nAda,ada@example.org,\n,nobody@example.org,\nBob,not-an-email,\n"
        "Cy,cy@example.org,+1 415 555 0100\n",
        encoding="utf-8",
    )
    browser = open_records(qtbot, window, "Contacts")
    click(qtbot, browser.import_button)
    chooser = find_dialog(qtbot, window, "importContactsFile")
    chooser.selectFile(str(people))  # the user picks the file in the dialog
    buttons = chooser.findChild(QDialogButtonBox, "buttonBox")
    click(qtbot, buttons.button(QDialogButtonBox.StandardButton.Open))
    report = find_dialog(qtbot, window, "importReportDialog")
    assert "2 created" in report.summary.text() and "2 bad row(s)" in report.summary.text()
    bad = report.bad_rows.toPlainText().splitlines()
    assert [line.split(":")[0] for line in bad] == ["line 3", "line 4"]
    qtbot.waitUntil(lambda: sorted(column_texts(browser, "name")) == ["Ada", "Cy"])
    report.close()


def test_filter_payments_by_a_q_expression_and_keep_the_last_good_result(
    qtbot: Any, window: MainWindow, arun: Callable[..., Any]
) -> None:
    arun(add_payments(window.system, 300), timeout=30000)  # type: ignore[arg-type]
    browser = open_records(qtbot, window, "Payments")
    qtbot.waitUntil(lambda: browser.model.rowCount() == 300)
    type_text(qtbot, browser.filter, "Q(state='failed') & Q(amount__lt=30)")
    qtbot.keyClick(browser.filter, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: browser.model.rowCount() == 10)  # 0, 3, ..., 27
    assert set(column_texts(browser, "state")) == {"failed"}
    assert browser.count_label.text() == "10 record(s)"
    # A filter the engine refuses: its sentence beside the field, the table unchanged.
    type_text(qtbot, browser.filter, "Q(colour='red')")
    qtbot.keyClick(browser.filter, Qt.Key.Key_Return)
    qtbot.waitUntil(browser.filter_error.isVisible)
    assert "colour" in browser.filter_error.text()
    assert "Traceback" not in browser.filter_error.text()
    assert browser.model.rowCount() == 10
    assert browser.applied_filter == "Q(state='failed') & Q(amount__lt=30)"
    # Fixed: the error goes away.
    type_text(qtbot, browser.filter, "Q(amount__gte=290)")
    qtbot.keyClick(browser.filter, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: browser.model.rowCount() == 10 and not browser.filter_error.isVisible())
    # Sorting by clicking a column header, then again for the other way round.
    header = browser.table.horizontalHeader()
    amount = browser.model.column_of("amount")
    assert amount is not None
    pos = header.sectionViewportPosition(amount) + header.sectionSize(amount) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=header.rect().center())
    qtbot.mouseClick(
        header.viewport(), Qt.MouseButton.LeftButton, pos=header.rect().center().__class__(pos, 5)
    )
    qtbot.waitUntil(lambda: browser._sort == "amount")
    qtbot.waitUntil(lambda: column_texts(browser, "reference")[0] == "pi_0290")
    qtbot.mouseClick(
        header.viewport(), Qt.MouseButton.LeftButton, pos=header.rect().center().__class__(pos, 5)
    )
    qtbot.waitUntil(lambda: column_texts(browser, "reference")[0] == "pi_0299")
    # The search box narrows too.
    type_text(qtbot, browser.search, "pi_0295")
    qtbot.keyClick(browser.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: column_texts(browser, "reference") == ["pi_0295"])


def test_send_a_test_sms_queued_then_sent_by_sync(
    qtbot: Any, window: MainWindow, arun: Callable[..., Any], fake_twilio: FakeTwilio
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
    assert browser.sms_button.isVisible()
    click(qtbot, browser.sms_button)
    dialog = find_dialog(qtbot, window, "sendSmsDialog")
    type_text(qtbot, dialog.to, "+14155550100")
    type_text(qtbot, dialog.body, "Hello from ffdesk")
    click(qtbot, dialog.queue_button)
    qtbot.waitUntil(lambda: browser.model.rowCount() == 1)
    assert column_texts(browser, "status") == ["queued"]
    assert fake_twilio.sent_to("+14155550100") == []
    # The next sync sends it; the Data tab shows the new status.
    click(qtbot, window.pane.header.sync_button)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: column_texts(browser, "status") != ["queued"], timeout=15000)
    assert len(fake_twilio.sent_to("+14155550100")) == 1
    assert column_texts(browser, "status")[0] in ("sent", "delivered")


def test_send_now_sends_the_test_sms_at_once(
    qtbot: Any, window: MainWindow, arun: Callable[..., Any], fake_twilio: FakeTwilio
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
    browser = open_records(qtbot, window, "Messages")
    click(qtbot, browser.sms_button)
    dialog = find_dialog(qtbot, window, "sendSmsDialog")
    type_text(qtbot, dialog.to, "+14155550123")
    type_text(qtbot, dialog.body, "Right now")
    click(qtbot, dialog.send_now_button)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=15000)
    assert len(fake_twilio.sent_to("+14155550123")) == 1
    qtbot.waitUntil(lambda: browser.model.rowCount() == 1)
    # Sent: Twilio's message id beside it, and the sentence says so.
    sid = next(iter(fake_twilio.messages))
    qtbot.waitUntil(lambda: browser.detail.remote_id.text() == sid)
    assert browser.message.text.startswith("Test SMS to +14155550123:")


def test_add_a_tracking_number_and_see_its_status_after_a_ups_sync(
    qtbot: Any, window: MainWindow, arun: Callable[..., Any], fake_ups: FakeUps
) -> None:
    fake_ups.add_package(TRACKING, scans=("label", "pickup", "transit"))
    arun(
        enable(
            window.system,  # type: ignore[arg-type]
            "shipping_ups",
            ups_client_id=DEFAULT_CLIENT_ID,
            ups_client_secret=DEFAULT_SECRET,
            ups_account_number=DEFAULT_ACCOUNT,
        ),
        timeout=20000,
    )
    browser = open_data_tab(qtbot, window, "shipping_ups", "Shipments")
    click(qtbot, browser.track_button)
    dialog = find_dialog(qtbot, window, "trackShipmentDialog")
    click(qtbot, dialog.add_button)  # nothing typed: said under the field
    qtbot.waitUntil(dialog.error.isVisible)
    assert "Tracking Number" in dialog.error.text()
    type_text(qtbot, dialog.number, "1z 999 aa1 01 2345 6784")
    click(qtbot, dialog.add_button)
    qtbot.waitUntil(lambda: browser.model.rowCount() == 1)
    assert column_texts(browser, "tracking_number") == [TRACKING]
    assert column_texts(browser, "status") == ["Unknown"]
    click(qtbot, window.pane.header.sync_button)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: column_texts(browser, "status") == ["In Transit"], timeout=15000)


class _UrlCatcher(QObject):
    """Stands in for the desktop's browser: records the addresses ffdesk asks to open."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString())


def test_a_contact_shows_its_mapping_and_resyncs(
    qtbot: Any, window: MainWindow, arun: Callable[..., Any], fake_stripe: FakeStripe
) -> None:
    from tests.ui.test_screenshots import configure_stripe

    arun(configure_stripe(window.system, contacts=2, enable=True), timeout=20000)  # type: ignore[arg-type]
    open_integration(qtbot, window, "payment_stripe")
    click(qtbot, window.pane.header.sync_button)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: fake_stripe.count("POST", "/v1/customers") == 2, timeout=15000)
    qtbot.waitUntil(lambda: not window.controller.busy, timeout=15000)  # type: ignore[union-attr]
    browser = open_records(qtbot, window, "Contacts")
    qtbot.waitUntil(lambda: browser.model.rowCount() == 2)
    click_row(qtbot, browser, 0)
    detail = browser.detail
    qtbot.waitUntil(lambda: detail.remote_id.text().startswith("cus_"))
    assert detail.last_synced.text() not in ("", "never")
    assert detail.last_error.text() == "none"
    remote = detail.remote_id.text()
    # Open in provider dashboard: the customer's page at Stripe (test mode).
    catcher = _UrlCatcher()
    QDesktopServices.setUrlHandler("https", catcher, "open")
    try:
        click(qtbot, detail.dashboard_button)
        assert catcher.opened == [f"https://dashboard.stripe.com/test/customers/{remote}"]
    finally:
        QDesktopServices.unsetUrlHandler("https")
    before = len(fake_stripe.log)
    click(qtbot, detail.resync_button)
    qtbot.waitUntil(lambda: "Sync finished" in browser.message.text, timeout=15000)
    assert "1 updated" in browser.message.text or "1 skipped" in browser.message.text
    sent = [entry for entry in fake_stripe.log[before:] if remote in str(entry)]
    assert sent, "the resync did not reach Stripe for that customer"
