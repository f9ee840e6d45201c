"""Preview and Resync clicked as a user would, and the notice of a paused schedule."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt

from ffdesk.services import integrations
from ffdesk.ui.main_window import MainWindow
from tests.fakes.stripe import FakeStripe
from tests.ui.helpers import click, message, open_integration
from tests.ui.test_sync import enabled_stripe


def dump(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "ffdesk.db") as conn:
        return list(conn.iterdump())


def methods(fake: FakeStripe) -> list[str]:
    with fake.lock:
        return [r.method for r in fake.requests]


def test_preview_lists_what_a_sync_would_do_and_changes_nothing(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    intent = fake_stripe.add_payment_intent(amount=990)
    enabled_stripe(arun, window, contacts=3)
    open_integration(qtbot, window, "payment_stripe")
    pane, header = window.pane, window.pane.header
    fake_stripe.clear_log()
    before = dump(tmp_path)

    click(qtbot, header.preview_button)
    qtbot.waitUntil(lambda: pane.preview_page.lines.count() > 0, timeout=15000)

    lines = [pane.preview_page.lines.item(i).text() for i in range(pane.preview_page.lines.count())]
    assert "push: would create contact 'Contact 0' at Stripe" in lines
    assert f"pull: would create Payment Transaction {intent['id']}" in lines
    assert pane.tabs.currentWidget() is pane.preview_page
    assert "would create 4 and update 0 records" in pane.preview_page.summary.text()
    assert message(window) == "Preview: 4 to create, 0 to update; nothing was sent or saved."
    assert set(methods(fake_stripe)) == {"GET"}  # no customer was created
    assert dump(tmp_path) == before  # no run, no mapping, no payment
    assert pane.runs_model.rowCount() == 0 and pane.mappings_model.rowCount() == 0
    assert header.preview_button.isEnabled() and header.sync_button.isEnabled()


def test_resync_sends_the_selected_record_again(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: FakeStripe
) -> None:
    enabled_stripe(arun, window, contacts=3)
    open_integration(qtbot, window, "payment_stripe")
    pane, header = window.pane, window.pane.header
    click(qtbot, header.sync_button)
    qtbot.waitUntil(lambda: pane.runs_model.rowCount() == 1, timeout=15000)
    qtbot.waitUntil(lambda: header.sync_button.isVisible())
    tab = pane.mappings_tab
    assert not tab.resync_button.isEnabled()  # nothing selected yet
    pane.tabs.setCurrentWidget(tab)
    row = next(i for i, r in enumerate(pane.mappings_model.rows) if r.model == "Contact")
    chosen = pane.mappings_model.rows[row]
    table = tab.table
    rect = table.visualRect(pane.mappings_model.index(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert tab.selected() == (chosen.model, chosen.local_id)
    fake_stripe.clear_log()

    click(qtbot, tab.resync_button)
    qtbot.waitUntil(
        lambda: pane.runs_model.rowCount() == 2 and header.sync_button.isVisible(), timeout=15000
    )

    with fake_stripe.lock:
        posts = [r.path for r in fake_stripe.requests if r.method == "POST"]
    assert posts == [f"/v1/customers/{chosen.remote_id}"]  # that one only, unchanged as it was
    run = pane.runs_model.rows[0]
    assert (run.state, run.updated, run.skipped) == ("done", 1, 0)
    assert message(window) == "Sync finished: 0 created, 1 updated, 0 skipped, 0 failed."


def test_resync_from_the_context_menu_action(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: FakeStripe
) -> None:
    enabled_stripe(arun, window, contacts=1)
    open_integration(qtbot, window, "payment_stripe")
    pane, header = window.pane, window.pane.header
    click(qtbot, header.sync_button)
    qtbot.waitUntil(lambda: pane.runs_model.rowCount() == 1, timeout=15000)
    qtbot.waitUntil(lambda: header.sync_button.isVisible())
    tab = pane.mappings_tab
    assert tab.resync_action in tab.table.actions()
    assert not tab.resync_action.isEnabled()  # nothing selected yet
    tab.table.selectionModel().select(
        pane.mappings_model.index(0, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    fake_stripe.clear_log()
    qtbot.waitUntil(tab.resync_action.isEnabled)
    tab.resync_action.trigger()
    qtbot.waitUntil(
        lambda: pane.runs_model.rowCount() == 2 and header.sync_button.isVisible(), timeout=15000
    )
    assert methods(fake_stripe) == ["POST"]
    assert pane.runs_model.rows[0].updated == 1


def test_a_paused_schedule_is_shown_and_sync_now_resumes_it(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: FakeStripe
) -> None:
    enabled_stripe(arun, window, contacts=1)
    fake_stripe.secret_key = "sk_test_rotatedAtStripe000000000"

    async def scheduled(times: int) -> None:
        Integration = window.system.registry["Integration"]
        for _ in range(times):
            await Integration.sync_payment_stripe()

    arun(scheduled(5), timeout=30000)
    open_integration(qtbot, window, "payment_stripe")
    pane, header = window.pane, window.pane.header
    assert pane.pause_notice.isVisible()
    assert pane.pause_notice.text() == (
        "Scheduled sync paused after 5 failed runs: Stripe rejected the credentials. "
        "A successful Sync now resumes it."
    )

    fake_stripe.secret_key = "sk_test_ffdeskUiTests0000000000"
    click(qtbot, header.sync_button)
    qtbot.waitUntil(lambda: pane.runs_model.rowCount() == 6, timeout=15000)
    qtbot.waitUntil(lambda: not pane.pause_notice.isVisible())
    record = arun(window.system.integration("payment_stripe"))
    assert arun(integrations.schedule_status(record)) is None
