"""Sync now from the window: progress, history, mappings, Cancel, a loop that keeps turning."""

from __future__ import annotations

import itertools
import time
from typing import Any

from PySide6.QtCore import QTimer

from ffdesk.services import integrations
from ffdesk.sync.runner import RunState
from ffdesk.ui.main_window import MainWindow
from tests.fakes.stripe import FakeStripe
from tests.ui.conftest import STRIPE_KEY
from tests.ui.helpers import click, message, open_integration


def enabled_stripe(arun: Any, window: MainWindow, contacts: int) -> None:
    """Stripe installed, configured and enabled, with some contacts to push."""

    async def setup() -> None:
        system = window.system
        await system.install_module("payment_stripe")
        record = await system.integration("payment_stripe")
        record.secret_key = STRIPE_KEY
        await record.save()
        await integrations.enable(record)
        Contact = system.registry["Contact"]
        for i in range(contacts):
            await Contact.create(
                name=f"Contact {i}", email=f"c{i}@example.org", company=system.env.cid
            )

    arun(setup(), timeout=20000)
    arun(window.refresh())


def test_sync_now_shows_progress_then_history(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: FakeStripe
) -> None:
    for amount in (1200, 3400):
        fake_stripe.add_payment_intent(amount=amount)
    enabled_stripe(arun, window, contacts=12)
    open_integration(qtbot, window, "payment_stripe")
    pane, header = window.pane, window.pane.header
    progress: list[tuple[int, int]] = []
    window.controller.sync_progressed.connect(
        lambda _id, done, total: progress.append((done, total))
    )
    fake_stripe.delay_next(1, 0.3, path_prefix="/v1/payment_intents")

    click(qtbot, header.sync_button)
    qtbot.waitUntil(lambda: header.progress.isVisible() and header.cancel_button.isVisible())
    assert header.badge.text() == "Syncing"
    assert not header.sync_button.isVisible()
    qtbot.waitUntil(
        lambda: pane.runs_model.rowCount() == 1 and not header.progress.isVisible(), timeout=15000
    )

    assert (12, 12) in progress  # done / total of the contact push was shown
    run = pane.runs_model.rows[0]
    assert (run.state, run.created, run.failed) == ("done", 14, 0)
    model = pane.runs_model
    shown = [model.index(0, c).data() for c in range(model.columnCount())]
    assert shown[1:7] == ["Manual", "Done", 14, 0, 0, 0]
    assert message(window) == "Sync finished: 14 created, 0 updated, 0 skipped, 0 failed."
    assert pane.mappings_model.rowCount() == 14
    assert pane.tabs.tabText(0) == "Sync history (1)"
    assert "Last synced today" in header.meta.text()
    assert header.sync_button.isVisible() and header.sync_button.isEnabled()


def test_cancel_mid_run_keeps_what_was_done(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: FakeStripe
) -> None:
    enabled_stripe(arun, window, contacts=40)
    open_integration(qtbot, window, "payment_stripe")
    header = window.pane.header
    fake_stripe.delay_next(40, 0.2, path_prefix="/v1/customers", method="POST")

    click(qtbot, header.sync_button)
    qtbot.waitUntil(lambda: header.cancel_button.isVisible())
    click(qtbot, header.cancel_button)
    assert "Cancelling" in message(window)
    # The buttons change when the run ends; the history row a moment later, when it is read
    # again (until then it still says Running): wait for what the user ends up reading.
    qtbot.waitUntil(
        lambda: (
            window.pane.runs_model.rowCount() == 1
            and window.pane.runs_model.rows[0].state != RunState.RUNNING
            and not header.cancel_button.isVisible()
        ),
        timeout=15000,
    )

    run = window.pane.runs_model.rows[0]
    assert run.state == RunState.CANCELLED
    assert run.created < 40
    assert message(window).startswith("Sync cancelled; what was done is kept")
    assert window.pane.runs_model.index(0, 2).data() == "Cancelled"


def test_event_loop_keeps_turning_during_a_sync(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: FakeStripe
) -> None:
    enabled_stripe(arun, window, contacts=3)
    open_integration(qtbot, window, "payment_stripe")
    fake_stripe.delay_next(1, 1.0, path_prefix="/v1/payment_intents")
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))

    timer.start()
    started = time.monotonic()
    click(qtbot, window.pane.header.sync_button)
    # While the fake holds its answer, the user can still search the catalogue.
    qtbot.waitUntil(lambda: window.pane.header.cancel_button.isVisible())
    qtbot.keyClicks(window.search, "stripe")
    assert window.catalogue.proxy.entry_count() == 1
    qtbot.waitUntil(
        lambda: (
            window.pane.runs_model.rowCount() == 1
            and not window.controller.is_running(window.pane.record.id)
        ),
        timeout=15000,
    )
    timer.stop()

    duration = time.monotonic() - started
    assert duration >= 1.0
    assert len(ticks) >= duration / 0.020 * 0.5  # at least half the ticks of an idle loop
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert max(gaps) < 0.25  # never frozen for more than a quarter of a second


def test_second_sync_request_while_running_is_refused(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: FakeStripe
) -> None:
    enabled_stripe(arun, window, contacts=2)
    open_integration(qtbot, window, "payment_stripe")
    fake_stripe.delay_next(1, 0.5, path_prefix="/v1/payment_intents")
    click(qtbot, window.pane.header.sync_button)
    qtbot.waitUntil(lambda: window.pane.header.cancel_button.isVisible())
    # The command line (or the scheduler) asks for the same integration meanwhile.
    from ffdesk.sync.runner import AlreadySyncing, run_sync

    record = arun(window.system.integration("payment_stripe"))
    try:
        arun(run_sync(record, trigger="command line"))
    except AlreadySyncing as exc:
        assert "already syncing since" in str(exc)
    else:
        raise AssertionError("a second run was allowed")
    qtbot.waitUntil(
        lambda: (
            window.pane.runs_model.rowCount() == 1
            and not window.pane.header.cancel_button.isVisible()
        ),
        timeout=15000,
    )


def test_a_rate_limit_pause_is_shown_in_the_window(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: FakeStripe
) -> None:
    enabled_stripe(arun, window, contacts=3)
    open_integration(qtbot, window, "payment_stripe")
    header = window.pane.header
    fake_stripe.fail_next(1, 429, headers={"Retry-After": "2"}, path_prefix="/v1/customers")

    click(qtbot, header.sync_button)
    qtbot.waitUntil(
        lambda: message(window).startswith("Waiting for Stripe's rate limit, resumes in"),
        timeout=10000,
    )
    assert message(window) in (
        "Waiting for Stripe's rate limit, resumes in 2 s.",
        "Waiting for Stripe's rate limit, resumes in 3 s.",
    )
    qtbot.waitUntil(lambda: window.pane.runs_model.rowCount() == 1, timeout=15000)
    qtbot.waitUntil(lambda: message(window).startswith("Sync finished"), timeout=5000)
    run = window.pane.runs_model.rows[0]
    assert (run.state, run.created, run.failed) == ("done", 3, 0)
