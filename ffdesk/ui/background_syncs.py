"""Scheduled syncs while the window is open: the window's scheduler (yielding to a background
one), the schedule note in the status bar, the tray icon and notifications of failed runs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from ffdesk.ui.tasks import spawn
from ffdesk.ui.tray import FAILED, IDLE, SYNCING, TrayIcon

if TYPE_CHECKING:
    from ffdesk.engine.system import System
    from ffdesk.sync.lease import LeaseInfo
    from ffdesk.sync.scheduler import ScheduledRun, Scheduler
    from ffdesk.ui.main_window import MainWindow

Installer = Callable[[str], Any]


def _install_service(database_url: str) -> Any:
    from ffdesk.services.background import install

    return install(database_url)


class BackgroundSyncs(QObject):
    """Runs the window's scheduler under the database lease and shows what it does.

    Emits `quit_requested()` (the tray's Quit) and `lease_checked(bool background)`.
    """

    quit_requested = Signal()
    lease_checked = Signal(bool)

    def __init__(
        self,
        window: MainWindow,
        system: System,
        *,
        tray: TrayIcon | None = None,
        install: Installer = _install_service,
        scheduler: Scheduler | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.system = system
        self.tray = tray
        self.install = install
        self.failed_recently = False
        if scheduler is None:
            from ffdesk.sync.lease import Lease
            from ffdesk.sync.scheduler import Scheduler

            scheduler = Scheduler(system.env, lease=Lease(system.db.engine, kind="window"))
        self.scheduler = scheduler
        scheduler.on_lease_checked = self._on_scheduler_lease_checked
        scheduler.on_run_finished = self._on_scheduler_run_finished
        scheduler.on_job_finished = self._after_scheduled_job
        window.schedule_status.background_install_requested.connect(
            self._on_status_background_install_requested
        )
        window.tray_available = tray is not None
        window.scheduled_syncs = scheduler.running_names
        if tray is not None:
            tray.open_requested.connect(self._on_tray_open_requested)
            tray.sync_all_requested.connect(self._on_tray_sync_all_requested)
            tray.pause_all_toggled.connect(self._on_tray_pause_all_toggled)
            tray.quit_requested.connect(self.quit_requested)
            tray.notification_clicked.connect(self._on_tray_notification_clicked)
            tray.show()
        # The tray shows "syncing" while any run goes on (Sync now or scheduled).
        self._state_timer = QTimer(self)
        self._state_timer.setInterval(500)
        self._state_timer.timeout.connect(self.update_tray_state)
        self._state_timer.start()

    def start(self) -> None:
        self.scheduler.start()
        spawn(self._show_paused())

    async def stop(self) -> None:
        self._state_timer.stop()
        await self.scheduler.stop()
        if self.tray is not None:
            self.tray.hide()

    # -- the lease ----------------------------------------------------------------------
    def _on_scheduler_lease_checked(self, info: LeaseInfo, held: bool) -> None:
        background = (not held) and info.held and info.kind == "service"
        status = self.window.schedule_status
        if background:
            status.show_background(info.host or "?", info.heartbeat)
        else:
            status.show_window_only()
        self.lease_checked.emit(background)

    @Slot()
    def _on_status_background_install_requested(self) -> None:
        spawn(self._install())

    async def _install(self) -> None:
        button = self.window.schedule_status.install_button
        button.setEnabled(False)
        try:
            report = await asyncio.to_thread(self.install, self.system.db.url)
        except Exception as exc:
            self.window.show_error(exc, "installing the background scheduler")
            return
        finally:
            button.setEnabled(True)
        lines = getattr(report, "lines", [])
        started = getattr(report, "started", False)
        self.window.show_message("info" if started else "warning", " ".join(lines))
        if started:  # the service takes the lease from this window within seconds
            self.scheduler.check_lease(force=True)

    # -- runs ---------------------------------------------------------------------------
    async def _after_scheduled_job(self, _label: str) -> None:
        await self.window.refresh_catalogue()
        if self.window.pane is not None:
            await self.window.pane.reload()  # keeps unsaved edits

    async def _on_scheduler_run_finished(self, result: ScheduledRun) -> None:
        if not result.failed:
            return
        self.failed_recently = True
        self.update_tray_state()
        if self.tray is None:
            return
        identifier = await self._identifier_of(result.integration_id)
        if result.paused:
            self.notify_paused(result.name, result.company_id or 0, identifier)
            return
        reason = (result.outcome.error if result.outcome else None) or result.message or ""
        if result.outcome is not None and not reason and result.outcome.failed:
            reason = self.tr("{count} records could not be synced.").format(
                count=result.outcome.failed
            )
        self.tray.notify(
            self.tr("Scheduled sync of {name} failed").format(name=result.name),
            reason or self.tr("Open its history to see why."),
            result.company_id or 0,
            identifier,
        )

    async def _identifier_of(self, integration_id: int) -> str:
        record = await self.system.registry["Integration"].filter(id=integration_id).first()
        if record is None:
            return ""
        await record.fetch_related("module")
        return str(record.module.identifier) if record.module else ""

    def notify_paused(self, name: str, company_id: int, identifier: str) -> None:
        """An integration's schedule was paused after repeated failures."""
        if self.tray is not None:
            self.tray.notify(
                self.tr("Schedule of {name} paused").format(name=name),
                self.tr("It failed several times in a row. Open its history to see why."),
                company_id,
                identifier,
            )

    @Slot()
    def update_tray_state(self) -> None:
        if self.tray is None:
            return
        controller = self.window.controller
        busy = self.scheduler.runs_in_progress > 0 or bool(controller and controller.busy)
        self.tray.set_state(SYNCING if busy else FAILED if self.failed_recently else IDLE)

    # -- the tray's menu ----------------------------------------------------------------
    @Slot()
    def _on_tray_open_requested(self) -> None:
        self.failed_recently = False
        self.update_tray_state()
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    @Slot()
    def _on_tray_sync_all_requested(self) -> None:
        spawn(self._sync_all())

    async def _sync_all(self) -> None:
        from ffdesk.engine.env import env_ctx
        from ffdesk.sync.schedules import make_all_due

        env_ctx.set(self.system.env)
        count = await make_all_due()
        # Whoever runs the schedules (this window or the background service) starts them.
        self.scheduler._wake.set()
        self.window.statusBar().showMessage(
            self.tr("{count} scheduled syncs will start now.").format(count=count), 8000
        )

    @Slot(bool)
    def _on_tray_pause_all_toggled(self, paused: bool) -> None:
        spawn(self._pause_all(paused))

    async def _pause_all(self, paused: bool) -> None:
        from ffdesk.engine.env import env_ctx
        from ffdesk.sync.schedules import set_all_active

        env_ctx.set(self.system.env)
        await set_all_active(not paused)
        self.window.statusBar().showMessage(
            self.tr("All schedules paused.") if paused else self.tr("All schedules resumed."),
            8000,
        )

    async def _show_paused(self) -> None:
        """The menu's check mark says whether every schedule is paused."""
        from ffdesk.engine.env import env_ctx
        from ffdesk.sync.schedules import SCHEDULE_MODEL, has_schedules

        env_ctx.set(self.system.env)
        if self.tray is None or not has_schedules():
            return
        Schedule = self.system.registry[SCHEDULE_MODEL]
        with contextlib.suppress(Exception):
            total = await Schedule.all().count()
            active = await Schedule.filter(active=True).count()
            self.tray.set_paused(total > 0 and active == 0)

    @Slot(int, str)
    def _on_tray_notification_clicked(self, company_id: int, identifier: str) -> None:
        spawn(self.window.show_history(company_id, identifier))
