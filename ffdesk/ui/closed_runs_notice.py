"""At start, say once that a sync was stopped because ffdesk was closed, with "Sync now"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QPushButton

from ffdesk.ui.message_bar import MessageBar
from ffdesk.ui.tasks import spawn

if TYPE_CHECKING:
    from ffdesk.engine.system import System
    from ffdesk.ui.main_window import MainWindow

# The newest run already told about (QSettings): each stopped run is told at one start only.
TOLD_KEY = "runs/closedToldUpTo"
# Looking further back than this many stopped runs is not worth a start-up query.
LOOK_BACK = 50


@dataclass(frozen=True)
class StoppedRun:
    """A sync stopped because ffdesk was closed, still the latest run of its integration."""

    run_id: int
    company_id: int
    company: str
    identifier: str
    name: str


async def runs_stopped_by_closing(system: System, after_id: int) -> tuple[list[StoppedRun], int]:
    """The runs of this computer stopped by closing ffdesk since run `after_id` that no later
    run of their integration superseded; and the newest such run id seen (to remember)."""
    from ffdesk.sync.runner import HOST, STOPPED_BY_CLOSING

    registry = system.registry
    if "integration" not in registry["SyncRun"]._fields:
        return [], after_id
    SyncRun = registry["SyncRun"]
    runs = (
        await SyncRun.filter(stop_reason=STOPPED_BY_CLOSING, owner_host=HOST)
        .order_by("-id")
        .limit(LOOK_BACK)
        .all()
    )
    newest = after_id
    found: list[StoppedRun] = []
    for run in runs:
        run_id = int(run.id)  # type: ignore[arg-type]
        if run_id <= after_id:
            break
        newest = max(newest, run_id)
        latest = await SyncRun.filter(integration=run.integration_id).order_by("-id").first()
        if latest is None or latest.id != run.id:
            continue  # synced again since: nothing left to say
        await run.fetch_related("integration", "company")
        integration, company = run.integration, run.company
        if integration is None or company is None or not run.module_identifier:
            continue
        found.append(
            StoppedRun(
                run_id,
                int(company.id),  # type: ignore[arg-type]
                str(company.name),
                str(run.module_identifier),
                str(integration.name),
            )
        )
    return found, newest


class ClosedRunsNotice(QObject):
    """A message bar under the toolbar: which syncs closing ffdesk stopped, and "Sync now"."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.runs: list[StoppedRun] = []
        self.bar = MessageBar()
        self.bar.setObjectName("closedRunsNotice")
        self.sync_button = QPushButton(self.tr("Sync now"))
        self.sync_button.setObjectName("closedRunsSyncNow")
        self.bar.layout().insertWidget(2, self.sync_button)  # before Details and Dismiss
        self.sync_button.clicked.connect(self._on_sync_button_clicked)
        self.bar.close_button.clicked.connect(self._on_bar_dismissed)
        window.message_holder.layout().addWidget(self.bar)

    async def check(self) -> list[StoppedRun]:
        """Look for runs stopped by the last closing; show them (once ever) if there are."""
        system = self.window.system
        if system is None:
            return []
        settings = self.window.settings
        told = settings.value(TOLD_KEY, 0)
        try:
            after = int(told)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            after = 0
        runs, newest = await runs_stopped_by_closing(system, after)
        if newest != after:
            settings.setValue(TOLD_KEY, newest)
            settings.sync()
        if runs:
            self.show_runs(runs)
        return runs

    def show_runs(self, runs: list[StoppedRun]) -> None:
        self.runs = runs
        if len(runs) == 1:
            run = runs[0]
            text = self.tr(
                "The {name} sync of {company} was stopped because ffdesk was closed; what was "
                "synced until then is kept."
            ).format(name=run.name, company=run.company)
        else:
            listed = ", ".join(f"{run.name} ({run.company})" for run in runs)
            text = self.tr(
                "{count} syncs were stopped because ffdesk was closed: {runs}. What was synced "
                "until then is kept."
            ).format(count=len(runs), runs=listed)
        self.bar.show_message("warning", text)
        self.sync_button.setToolTip(
            self.tr("Run these syncs again now") if len(runs) > 1 else self.tr("Sync it again now")
        )
        self.window.message_holder.show()

    def _hide(self) -> None:
        self.bar.clear()
        if not self.window.message.isVisibleTo(self.window.message_holder):
            self.window.message_holder.hide()

    @Slot()
    def _on_bar_dismissed(self) -> None:
        self._hide()

    @Slot()
    def _on_sync_button_clicked(self) -> None:
        controller = self.window.controller
        runs, self.runs = self.runs, []
        self._hide()
        if controller is None:
            return
        for run in runs:
            spawn(controller.run(run.identifier, run.company_id))


def tell_runs_stopped_by_closing(window: MainWindow) -> ClosedRunsNotice:
    """Start looking (in the background) for syncs the last closing stopped."""
    notice = ClosedRunsNotice(window)
    spawn(notice.check())
    return notice
