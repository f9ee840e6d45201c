"""Closing the window while a sync runs: ffdesk asks first, records that closing stopped the
run (not a user's Cancel), and says so once at the next start with "Sync now"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from ffdesk.engine.system import System
from ffdesk.sync.runner import RunState
from ffdesk.ui.main_window import MainWindow
from tests.fakes.stripe import FakeStripe
from tests.ui.conftest import find_dialog
from tests.ui.helpers import click, open_integration
from tests.ui.test_sync import enabled_stripe

QUESTION = "A Stripe sync is running: stop it and quit, or keep the window open?"


def press_ctrl_q(qtbot: Any, window: MainWindow) -> QMessageBox:
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    return find_dialog(qtbot, window, "keepSyncingDialog")


def button(box: QMessageBox, text: str) -> Any:
    [found] = [b for b in box.buttons() if b.text() == text]
    return found


def latest_run(arun: Any, system: System) -> Any:
    return arun(system.registry["SyncRun"].all().order_by("-id").first())


def test_closing_during_a_sync_asks_records_and_tells_once(
    qtbot: Any,
    window: MainWindow,
    arun: Any,
    fake_stripe: FakeStripe,
    system: System,
    make_window: Callable[[System], MainWindow],
) -> None:
    enabled_stripe(arun, window, contacts=30)
    open_integration(qtbot, window, "payment_stripe")
    fake_stripe.delay_next(30, 0.2, path_prefix="/v1/customers", method="POST")
    click(qtbot, window.pane.header.sync_button)
    qtbot.waitUntil(lambda: window.pane.header.cancel_button.isVisible())
    closed: list[bool] = []
    window.closed.connect(lambda: closed.append(True))

    box = press_ctrl_q(qtbot, window)  # first: the user keeps the window
    assert box.text() == QUESTION
    assert "Keep syncing in the tray" not in [b.text() for b in box.buttons()]
    click(qtbot, button(box, "Keep the window open"))
    qtbot.waitUntil(lambda: not box.isVisible())
    assert closed == [] and window.isVisible() and window.controller.busy

    box = press_ctrl_q(qtbot, window)  # then stops and quits
    click(qtbot, button(box, "Stop the sync and quit"))
    qtbot.waitUntil(lambda: closed == [True], timeout=3000)
    qtbot.waitUntil(lambda: not window.controller.busy, timeout=15000)

    from ffdesk.sync.runner import CLOSED_TEXT
    from ffdesk.ui.closed_runs_notice import ClosedRunsNotice, tell_runs_stopped_by_closing

    run = latest_run(arun, system)
    assert (run.state, run.stop_reason, run.error) == (RunState.CANCELLED, "closed", CLOSED_TEXT)
    assert run.created < 30

    # ffdesk runs names it too.
    listed = subprocess.run(
        [sys.executable, "-m", "ffdesk", "--database", system.db.url, "runs", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "FFDESK_LOG_DIR": os.environ.get("FFDESK_LOG_DIR", "")},
    )
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)["runs"]
    assert (row["state"], row["stop_reason"], row["error"]) == ("cancelled", "closed", CLOSED_TEXT)

    # The next start says so, in the window's message bar, with Sync now.
    second = make_window(system)
    notice = tell_runs_stopped_by_closing(second)
    qtbot.waitUntil(notice.bar.isVisible, timeout=5000)
    company = system.env.company.name
    assert notice.bar.label.text() == (
        f"The Stripe sync of {company} was stopped because ffdesk was closed; what was "
        "synced until then is kept."
    )
    open_integration(qtbot, second, "payment_stripe")
    history = second.pane.runs_model
    assert history.index(0, 2).data() == "Stopped"  # not "Cancelled": nobody pressed Cancel
    assert history.index(0, 7).data() == CLOSED_TEXT

    # A start after that one says nothing more.
    third = make_window(system)
    assert arun(ClosedRunsNotice(third).check()) == []
    third._close_confirmed = True
    third.close()

    click(qtbot, notice.sync_button)
    assert not notice.bar.isVisible()
    qtbot.waitUntil(lambda: latest_run(arun, system).id != run.id, timeout=5000)
    qtbot.waitUntil(lambda: latest_run(arun, system).state == "done", timeout=30000)


def test_closing_with_a_tray_offers_it_in_the_same_question(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: FakeStripe
) -> None:
    enabled_stripe(arun, window, contacts=10)
    open_integration(qtbot, window, "payment_stripe")
    fake_stripe.delay_next(10, 0.2, path_prefix="/v1/customers", method="POST")
    window.tray_available = True
    click(qtbot, window.pane.header.sync_button)
    qtbot.waitUntil(lambda: window.pane.header.cancel_button.isVisible())

    box = press_ctrl_q(qtbot, window)

    assert box.text() == (
        "A Stripe sync is running: stop it and quit, keep syncing in the tray, or keep the "
        "window open?"
    )
    assert [b.text() for b in box.buttons()].count("Keep syncing in the tray") == 1
    qtbot.keyClick(box, Qt.Key.Key_Escape)  # Esc keeps the window open
    qtbot.waitUntil(lambda: not box.isVisible())
    assert window.isVisible() and window.controller.busy
    window.controller.cancel(int(window.pane.record.id))
    qtbot.waitUntil(lambda: not window.controller.busy, timeout=15000)
