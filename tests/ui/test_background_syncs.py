"""The window and scheduled syncs: yielding to a background scheduler, offering to install one,
the tray icon's states and menu, notifications of failed runs, closing during a sync."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from ffdesk.engine.system import System
from ffdesk.services.background import ServiceReport
from ffdesk.sync.lease import Lease
from ffdesk.sync.scheduler import Scheduler
from ffdesk.ui.background_syncs import BackgroundSyncs
from ffdesk.ui.main_window import MainWindow
from ffdesk.ui.tray import FAILED, IDLE, SYNCING, TrayIcon
from tests.helpers.slow_module import HOOK, IDENTIFIER, SlowControl, write_slow_module
from tests.ui.conftest import WINDOW_SIZE, find_dialog


@pytest.fixture
def modules_path(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "modules"
    write_slow_module(folder)
    return [folder]


@pytest.fixture
def control() -> Iterator[SlowControl]:
    control = SlowControl()
    sys.modules[HOOK] = control  # type: ignore[assignment]
    yield control
    control.release.set()
    sys.modules.pop(HOOK, None)


@pytest.fixture
def slow_system(system: System, arun: Callable[..., Any], control: SlowControl) -> System:
    """slow_sync installed and enabled in "Company 1" (active) and "Company 2"."""

    async def prepare() -> None:
        await system.install_module(IDENTIFIER)
        first = (await system.companies())[0]
        await system.rename_company(first.id, "Company 1")
        await system.add_company("Company 2")
        await system.sync_integration_records()
        Integration = system.get_model("Integration")
        for record in await Integration.filter(module__identifier=IDENTIFIER).all():
            record.enabled = True
            await record.save()

    arun(prepare())
    return system


class Installed:
    """Stands in for the service installer (no systemd unit is written by these tests)."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, url: str) -> ServiceReport:
        self.urls.append(url)
        return ServiceReport(["Wrote the systemd service: ~/.config/systemd/user/x."], True)


@pytest.fixture
def installer() -> Installed:
    return Installed()


@pytest.fixture
def syncs(
    qtbot: Any,
    arun: Callable[..., Any],
    slow_system: System,
    settings: QSettings,
    installer: Installed,
) -> Iterator[BackgroundSyncs]:
    # Not given to qtbot.addWidget: pytest-qt would delete it before this fixture stops the
    # scheduler (its teardown runs first), and the scheduler's last callbacks need it.
    window = MainWindow(slow_system, settings=settings)
    window.resize(*WINDOW_SIZE)
    arun(window.refresh())
    window.show()
    qtbot.waitExposed(window)
    scheduler = Scheduler(
        slow_system.env,
        tick=0.05,
        beat_interval=0.05,
        lease=Lease(slow_system.db.engine, kind="window"),
    )
    background = BackgroundSyncs(
        window, slow_system, tray=TrayIcon(), install=installer, scheduler=scheduler
    )
    yield background
    arun(background.stop(), timeout=15000)
    window._close_confirmed = True
    for dialog in window.findChildren(QMessageBox):
        dialog.close()
    window.close()
    window.deleteLater()


def run_states(system: System, arun: Callable[..., Any]) -> list[tuple[str, str]]:
    async def read() -> list[tuple[str, str]]:
        SyncRun = system.get_model("SyncRun")
        return [(r.state, r.error or "") for r in await SyncRun.all().order_by("id").all()]

    return arun(read())


def test_the_window_yields_to_a_background_scheduler_and_takes_over_when_it_goes(
    qtbot: Any, arun: Callable[..., Any], syncs: BackgroundSyncs, control: SlowControl
) -> None:
    service = Lease(syncs.system.db.engine, kind="service", host="server-1")
    assert service.try_acquire()
    status = syncs.window.schedule_status
    checks: list[bool] = []
    syncs.lease_checked.connect(checks.append)
    syncs.start()
    qtbot.waitUntil(lambda: len(checks) >= 3, timeout=5000)
    beat = service.read().heartbeat
    assert status.label.text() == (
        f"Scheduled syncs run in the background on server-1 (last check {beat:%H:%M})"
    )
    assert status.install_button.isHidden()
    assert control.started == []  # both schedules are due: the service runs them, not the window
    assert not syncs.scheduler.active

    service.release()  # the service stopped: the window runs the schedules from now on
    qtbot.waitUntil(lambda: sorted(control.finished) == ["Company 1", "Company 2"], timeout=5000)
    assert status.label.text() == "Scheduled syncs run only while this window is open."
    assert status.install_button.isVisible()
    qtbot.waitUntil(
        lambda: run_states(syncs.system, arun) == [("done", ""), ("done", "")], timeout=5000
    )


def test_run_schedules_in_the_background_installs_the_service(
    qtbot: Any, syncs: BackgroundSyncs, installer: Installed
) -> None:
    syncs.start()
    status = syncs.window.schedule_status
    qtbot.waitUntil(
        lambda: status.label.text() == "Scheduled syncs run only while this window is open.",
        timeout=5000,
    )
    assert status.install_button.text() == "Run schedules in the bac&kground…"
    qtbot.mouseClick(status.install_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: installer.urls == [syncs.system.db.url], timeout=5000)
    qtbot.waitUntil(lambda: "Wrote the systemd service" in syncs.window.message.text, timeout=5000)


def test_tray_menu_pauses_and_resumes_all_schedules_and_syncs_all_now(
    qtbot: Any, arun: Callable[..., Any], syncs: BackgroundSyncs, control: SlowControl
) -> None:
    tray = syncs.tray
    assert tray is not None
    texts = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
    assert texts == ["Open ffdesk", "Sync all now", "Pause all schedules", "Quit"]
    Schedule = syncs.system.get_model("IntegrationSchedule")

    def active_flags() -> list[bool]:
        return arun(_flags(Schedule))

    tray.pause_action.trigger()  # paused before the first tick: nothing runs
    syncs.start()
    qtbot.waitUntil(lambda: active_flags() == [False, False], timeout=5000)
    qtbot.waitUntil(lambda: syncs.scheduler.last_tick is not None, timeout=5000)
    assert control.started == []

    tray.pause_action.trigger()  # resumed: both were due, both run
    qtbot.waitUntil(lambda: active_flags() == [True, True], timeout=5000)
    qtbot.waitUntil(lambda: len(control.finished) == 2, timeout=5000)
    qtbot.waitUntil(lambda: syncs.scheduler.runs_in_progress == 0, timeout=5000)

    tray.sync_all_action.trigger()  # not due for an hour, but "Sync all now" runs them again
    qtbot.waitUntil(lambda: len(control.finished) == 4, timeout=5000)
    assert sorted(control.finished) == ["Company 1", "Company 1", "Company 2", "Company 2"]


async def _flags(Schedule: Any) -> list[bool]:
    return [bool(s.active) for s in await Schedule.all().order_by("id").all()]


def test_tray_open_and_quit(qtbot: Any, syncs: BackgroundSyncs) -> None:
    tray = syncs.tray
    assert tray is not None
    syncs.window.hide()
    tray.open_action.trigger()
    qtbot.waitUntil(syncs.window.isVisible, timeout=3000)
    with qtbot.waitSignal(syncs.quit_requested, timeout=3000):
        tray.quit_action.trigger()


def test_tray_shows_syncing_then_failed_and_the_notification_opens_that_history(
    qtbot: Any, arun: Callable[..., Any], syncs: BackgroundSyncs, control: SlowControl
) -> None:
    tray = syncs.tray
    assert tray is not None and tray.state == IDLE
    control.slow_companies = {"Company 2"}
    control.failing_companies = {"Company 2"}
    syncs.start()
    qtbot.waitUntil(lambda: tray.state == SYNCING, timeout=5000)
    assert tray.current_icon().cacheKey() == tray.icon_for(SYNCING).cacheKey()
    assert tray.icon.toolTip() == "ffdesk: syncing…"
    control.release.set()
    qtbot.waitUntil(lambda: tray.state == FAILED, timeout=5000)
    assert tray.icon.toolTip() == "ffdesk: a scheduled sync failed"
    assert tray.notifications == [
        (
            "Scheduled sync of Slow Sync failed",
            "Slow Sync refused the request: account suspended.",
        )
    ]
    window = syncs.window
    assert window.system is not None
    company_2 = arun(window.system.select_company("Company 2")).id
    arun(window.system.select_company("Company 1"))
    with qtbot.waitSignal(window.company_changed, timeout=5000) as switched:
        tray.icon.messageClicked.emit()  # the user clicks the notification
    assert switched.args == [company_2]
    qtbot.waitUntil(lambda: window.pane is not None and window.pane.identifier == IDENTIFIER)
    assert window.pane is not None and window.pane.tabs.currentIndex() == 0
    assert window.pane.tabs.tabText(0).startswith("Sync history")
    tray.open_action.trigger()  # seen: the tray goes back to idle
    assert tray.state == IDLE


@pytest.mark.parametrize("answer", ["Keep syncing in the tray", "Stop the sync and quit"])
def test_closing_the_window_during_a_sync_asks_whether_to_keep_syncing_in_the_tray(
    qtbot: Any,
    arun: Callable[..., Any],
    syncs: BackgroundSyncs,
    control: SlowControl,
    answer: str,
) -> None:
    import asyncio

    window = syncs.window
    assert window.controller is not None and window.system is not None
    control.slow_companies = {"Company 1"}
    task = asyncio.ensure_future(window.controller.run(IDENTIFIER, window.system.env.cid))
    qtbot.waitUntil(lambda: control.started == ["Company 1"], timeout=5000)
    closed: list[bool] = []
    window.closed.connect(lambda: closed.append(True))
    window.close()
    box = find_dialog(qtbot, window, "keepSyncingDialog")
    assert box.text() == (
        "A Slow Sync sync is running: stop it and quit, keep syncing in the tray, or keep the "
        "window open?"
    )
    [button] = [b for b in box.buttons() if b.text() == answer]
    button.click()
    if answer.startswith("Keep"):
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=3000)
        assert closed == [] and window.controller.busy  # still syncing, in the tray
        control.release.set()
        qtbot.waitUntil(task.done, timeout=5000)
        assert run_states(window.system, arun)[-1] == ("done", "")
    else:
        qtbot.waitUntil(lambda: closed == [True], timeout=3000)
        control.release.set()
        qtbot.waitUntil(task.done, timeout=5000)


def test_closing_during_a_scheduled_sync_asks_too(
    qtbot: Any, arun: Callable[..., Any], syncs: BackgroundSyncs, control: SlowControl
) -> None:
    """A sync the window's scheduler started stops when ffdesk quits, as Sync now does: the
    same question first; stopped, the run is recorded interrupted and runs again later."""
    window = syncs.window
    assert window.system is not None
    control.slow_companies = {"Company 1"}
    syncs.start()
    qtbot.waitUntil(lambda: "Company 1" in control.started, timeout=5000)
    qtbot.waitUntil(lambda: syncs.scheduler.running_names() == ["Slow Sync"], timeout=5000)
    assert window.controller is not None and not window.controller.busy  # not a Sync now
    closed: list[bool] = []
    window.closed.connect(lambda: closed.append(True))

    window.close()
    box = find_dialog(qtbot, window, "keepSyncingDialog")
    assert box.text().startswith("A Slow Sync sync is running: stop it and quit")
    [keep] = [b for b in box.buttons() if b.text() == "Keep the window open"]
    keep.click()
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=3000)
    assert closed == [] and window.isVisible()

    window.close()
    box = find_dialog(qtbot, window, "keepSyncingDialog")
    [stop] = [b for b in box.buttons() if b.text() == "Stop the sync and quit"]
    stop.click()
    qtbot.waitUntil(lambda: closed == [True], timeout=3000)
    arun(syncs.stop(), timeout=15000)  # as the App does once the window is closed
    states = run_states(window.system, arun)
    assert [s for s, error in states if error.startswith("interrupted")] == ["failed"], states


def test_no_question_when_nothing_runs(qtbot: Any, syncs: BackgroundSyncs) -> None:
    window = syncs.window
    closed: list[bool] = []
    window.closed.connect(lambda: closed.append(True))
    window.close()
    assert closed == [True]
    assert not [b for b in window.findChildren(QMessageBox) if b.isVisible()]


def test_tray_icons_differ_by_state() -> None:
    tray = TrayIcon()
    keys = {
        tray.icon_for(s).pixmap(32, 32).toImage().pixelColor(28, 28).name()
        for s in (IDLE, SYNCING, FAILED)
    }
    assert len(keys) == 3


def test_a_schedule_paused_after_failures_is_notified_as_paused(
    qtbot: Any, arun: Callable[..., Any], syncs: BackgroundSyncs, control: SlowControl
) -> None:
    tray = syncs.tray
    assert tray is not None
    control.slow_companies = {"Company 2"}
    control.failing_companies = {"Company 2"}
    syncs.start()
    qtbot.waitUntil(lambda: "Company 2" in control.started, timeout=5000)
    system = syncs.system

    async def pause_company_2() -> None:
        # What pausing after N failed runs does to the schedule while its last run goes on.
        company = await system.select_company("Company 2")
        Schedule = system.get_model("IntegrationSchedule")
        schedule = await Schedule.filter(company=company.id).get()
        schedule.active = False
        await schedule.save()
        await system.select_company("Company 1")

    arun(pause_company_2())
    control.release.set()
    qtbot.waitUntil(lambda: tray.notifications != [], timeout=5000)
    assert tray.notifications == [
        (
            "Schedule of Slow Sync paused",
            "It failed several times in a row. Open its history to see why.",
        )
    ]


def test_the_status_bar_button_shows_its_whole_text(
    qtbot: Any, syncs: BackgroundSyncs, installer: Installed
) -> None:
    # The status bar keeps its height; its button must still show its text uncut.
    syncs.start()
    status = syncs.window.schedule_status
    qtbot.waitUntil(status.install_button.isVisible, timeout=5000)
    button = status.install_button
    assert button.height() >= button.fontMetrics().height()
    assert button.height() >= button.sizeHint().height()
    assert button.width() >= button.sizeHint().width()
