"""The integration pane's first screen: when it syncs by itself, Last Synced On, the card of a
module that is not installed, messages that do not move the form and name modules by their
names, destructive confirmations, the unsaved marker in the title, run states not elided."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QMessageBox

from ffdesk.engine.system import System
from ffdesk.sync.schedules import find_schedule
from ffdesk.ui.main_window import MainWindow
from tests.fakes.stripe import FakeStripe
from tests.ui.conftest import find_dialog
from tests.ui.helpers import (
    click,
    click_entry,
    message,
    open_integration,
    shown_title,
    type_into,
)
from tests.ui.test_screenshots import configure_stripe


def install(arun: Any, window: MainWindow, identifier: str = "payment_stripe") -> None:
    arun(window.system.install_module(identifier), timeout=20000)
    arun(window.refresh())


def top_of(window: MainWindow, widget: Any) -> int:
    return int(widget.mapTo(window, QPoint(0, 0)).y())


async def schedule_next_at(system: System, when: datetime) -> None:
    schedule = await find_schedule("payment_stripe", system.env.cid)
    schedule.next_due = when
    await schedule.save()


def test_an_enabled_integration_says_when_it_syncs_by_itself(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: FakeStripe
) -> None:
    arun(configure_stripe(window.system, enable=True), timeout=20000)
    when = datetime.now().replace(second=0, microsecond=0) + timedelta(days=1)
    arun(schedule_next_at(window.system, when))
    arun(window.refresh())
    open_integration(qtbot, window, "payment_stripe")
    note = window.pane.schedule_note
    upcoming = f"next on {when:%Y-%m-%d} at {when:%H:%M}"
    assert note.isVisible()
    assert note.text() == f"Syncs every hour while ffdesk runs; {upcoming}."

    # A background service took the schedules over: the sentence says where they run.
    window.schedule_status.show_background("nas.example.org", None)
    assert note.text() == (
        f"Syncs every hour in the background service on nas.example.org; {upcoming}."
    )

    # Disabled, it does not sync by itself: no sentence about a schedule.
    click(qtbot, window.pane.header.disable_button)
    qtbot.waitUntil(lambda: window.pane.header.enable_button.isVisible())
    assert not note.isVisible()


def test_last_synced_on_is_filled_when_the_header_says_it_synced(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: FakeStripe
) -> None:
    arun(configure_stripe(window.system, contacts=2, enable=True), timeout=20000)
    arun(window.refresh())
    open_integration(qtbot, window, "payment_stripe")
    last_synced = window.pane.form.editor("last_synced_date").widget
    assert last_synced.text() == "Never"
    type_into(qtbot, window, "max_run_minutes", "30")  # an unsaved edit stays while it syncs
    click(qtbot, window.pane.header.sync_button)
    qtbot.waitUntil(lambda: "Last synced today at" in window.pane.header.meta.text(), timeout=15000)
    time = window.pane.header.meta.text().rsplit(" ", 1)[-1]
    qtbot.waitUntil(lambda: last_synced.text().endswith(time))
    assert last_synced.text() == f"{datetime.now():%Y-%m-%d} {time}"
    assert window.pane.form.editor("max_run_minutes").widget.text() == "30"
    assert window.pane.form.dirty


def test_a_module_that_is_not_installed_shows_a_card_with_install(
    qtbot: Any, window: MainWindow
) -> None:
    open_integration(qtbot, window, "payment_stripe")
    pane = window.pane
    card = pane.install_card
    assert card.isVisible()
    assert not pane.form.isVisible()  # no disabled form that looks editable
    assert card.title.text() == "Stripe"
    assert "push contacts as customers" in card.description.text()
    assert card.also.text() == "Installing it also installs Contacts and Online Payment."
    assert not card.logo.pixmap().isNull()

    click(qtbot, card.install_button)
    qtbot.waitUntil(lambda: pane.header.enable_button.isVisible(), timeout=20000)
    assert not card.isVisible()
    assert pane.form.isVisible()
    assert pane.form.editor("secret_key").widget.isVisible()


def test_install_messages_name_the_modules_by_their_names(qtbot: Any, window: MainWindow) -> None:
    open_integration(qtbot, window, "payment_stripe")
    click(qtbot, window.pane.header.install_button)
    qtbot.waitUntil(lambda: "installed" in message(window), timeout=20000)
    assert message(window) == "Stripe installed. Also installs Contacts and Online Payment."


def test_messages_do_not_push_the_form_down(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: FakeStripe
) -> None:
    arun(configure_stripe(window.system), timeout=20000)
    arun(window.refresh())
    open_integration(qtbot, window, "payment_stripe")
    form = window.pane.form
    before = top_of(window, form)
    click(qtbot, window.pane.header.test_button)
    qtbot.waitUntil(lambda: message(window).startswith("Connection ok"), timeout=10000)
    assert top_of(window, form) == before
    type_into(qtbot, window, "secret_key", "sk_live_0123456789abcdef")
    click(qtbot, window.pane.header.enable_button)
    qtbot.waitUntil(lambda: "need attention" in message(window), timeout=10000)
    assert top_of(window, form) == before
    click(qtbot, window.pane.message.close_button)
    assert message(window) == ""
    assert top_of(window, form) == before


def test_confirmations_style_the_destructive_button_and_keep_icons_off_cancel(
    qtbot: Any, window: MainWindow, arun: Any
) -> None:
    install(arun, window)
    open_integration(qtbot, window, "payment_stripe")
    click(qtbot, window.pane.header.uninstall_button)
    dialog = find_dialog(qtbot, window, "uninstallDialog")
    [uninstall] = [b for b in dialog.buttons() if b.text() == "Uninstall"]
    cancel = dialog.button(QMessageBox.StandardButton.Cancel)
    assert uninstall.property("destructive") is True
    assert uninstall.palette().button().color() != cancel.palette().button().color() or (
        uninstall.grab().toImage() != cancel.grab().toImage()
    )
    assert cancel.icon().isNull() and uninstall.icon().isNull()
    click(qtbot, cancel)

    # Leaving unsaved edits: Discard is the destructive answer.
    type_into(qtbot, window, "max_run_minutes", "30")
    click_entry(qtbot, window, "payment_paypal")
    box = find_dialog(qtbot, window, "unsavedChangesDialog")
    assert box.button(QMessageBox.StandardButton.Discard).property("destructive") is True
    assert box.button(QMessageBox.StandardButton.Cancel).icon().isNull()
    click(qtbot, box.button(QMessageBox.StandardButton.Cancel))


def test_the_title_shows_unsaved_changes(qtbot: Any, window: MainWindow, arun: Any) -> None:
    install(arun, window)
    open_integration(qtbot, window, "payment_stripe")
    assert "[*]" in window.windowTitle() and not window.isWindowModified()
    assert shown_title(window) == "ffdesk — My Company"
    type_into(qtbot, window, "max_run_minutes", "30")
    assert window.isWindowModified()
    assert shown_title(window) == "ffdesk — My Company*"
    click(qtbot, window.pane.form.save_button)
    qtbot.waitUntil(lambda: not window.isWindowModified())
    assert shown_title(window) == "ffdesk — My Company"


def test_a_cancelled_run_is_not_elided(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: FakeStripe
) -> None:
    arun(configure_stripe(window.system, contacts=20, enable=True), timeout=20000)
    arun(window.refresh())
    open_integration(qtbot, window, "payment_stripe")
    fake_stripe.delay_next(20, 0.3, path_prefix="/v1/customers", method="POST")
    header = window.pane.header
    click(qtbot, header.sync_button)
    qtbot.waitUntil(lambda: header.cancel_button.isVisible(), timeout=10000)
    click(qtbot, header.cancel_button)
    qtbot.waitUntil(lambda: window.pane.runs_model.rowCount() == 1, timeout=15000)
    qtbot.waitUntil(lambda: window.pane.runs_model.index(0, 2).data() == "Cancelled", timeout=15000)
    table = window.pane.runs_page.table
    # Qt's own measure of the column's content (text, padding, margins) fits its width.
    assert table.columnWidth(2) >= table.sizeHintForColumn(2)
    assert table.columnWidth(1) >= table.sizeHintForColumn(1)
