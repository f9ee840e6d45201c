"""The right side: one integration with its actions, form, sync history and mapped records.

Async slots stay tiny: mark busy, await the service, render the result, unmark busy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal, Slot
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSplitter, QStackedWidget, QTabWidget, QVBoxLayout, QWidget
from qasync import asyncSlot

from ffdesk.engine.env import env_ctx
from ffdesk.engine.model import Model
from ffdesk.engine.system import System
from ffdesk.services import integrations
from ffdesk.services.window import (
    ENABLED,
    NOT_INSTALLED,
    IntegrationDetails,
    integration_details,
    shown_state,
    unreadable_problem,
)
from ffdesk.sync.results import ConnectionUnreachable
from ffdesk.sync.runner import RecordRef, RunOutcome, RunState
from ffdesk.ui import dialogs
from ffdesk.ui.activity import activity_page
from ffdesk.ui.errors import report_error
from ffdesk.ui.form_widget import FormWidget
from ffdesk.ui.history_tables import (
    MappingsModel,
    RunsModel,
    TablePage,
    size_mapping_columns,
    size_run_columns,
)
from ffdesk.ui.icons import IconCache
from ffdesk.ui.install_card import InstallCard
from ffdesk.ui.integration_header import IntegrationHeader, describe_last_synced
from ffdesk.ui.message_bar import MessageSlot
from ffdesk.ui.names import join_names
from ffdesk.ui.pane_layout import (
    CONTENT_MARGINS,
    CONTENT_SPACING,
    SPLITTER_HANDLE,
    SPLITTER_SIZES,
    SPLITTER_STRETCH,
    fitted_sizes,
)
from ffdesk.ui.pane_state import Key, PaneStates, StateMessageBar
from ffdesk.ui.records_data_tab import DataTab
from ffdesk.ui.run_detail import RunDetailLauncher
from ffdesk.ui.schedule_note import describe_schedule
from ffdesk.ui.sync_controller import SyncController
from ffdesk.ui.sync_tools import MappingsPage, PreviewPage
from ffdesk.ui.tasks import spawn

T = TypeVar("T")
CONNECTION_KINDS = {"ok": "success", "rejected": "error", "unreachable": "warning"}
CONNECTION_TITLES = {
    "ok": QT_TRANSLATE_NOOP("IntegrationPane", "Connection ok"),
    "rejected": QT_TRANSLATE_NOOP("IntegrationPane", "Connection rejected"),
    "unreachable": QT_TRANSLATE_NOOP("IntegrationPane", "Provider unreachable"),
}
#: A test stopped by the typed settings themselves: nothing was sent, nothing was rejected.
SETTINGS_TITLE = QT_TRANSLATE_NOOP("IntegrationPane", "Check the settings")


def describe_outcome(outcome: RunOutcome) -> tuple[str, str]:
    """The message kind and sentence for a finished run."""
    # QCoreApplication.translate spelled out at each call: lupdate files the strings under
    # "IntegrationPane" only then (a local tr() wrapper left them in no context, untranslated).
    counts = QCoreApplication.translate(
        "IntegrationPane",
        "{created} created, {updated} updated, {skipped} skipped, {failed} failed",
    ).format(
        created=outcome.created,
        updated=outcome.updated,
        skipped=outcome.skipped,
        failed=outcome.failed,
    )
    if outcome.state == RunState.CANCELLED:
        return "warning", QCoreApplication.translate(
            "IntegrationPane", "Sync cancelled; what was done is kept ({counts})."
        ).format(counts=counts)
    if outcome.state == RunState.FAILED:
        error = outcome.error or QCoreApplication.translate("IntegrationPane", "see the run log")
        return "error", QCoreApplication.translate(
            "IntegrationPane", "Sync failed: {error} ({counts})."
        ).format(error=error, counts=counts)
    if outcome.failed:
        return "warning", QCoreApplication.translate(
            "IntegrationPane", "Sync finished with failures: {counts}."
        ).format(counts=counts)
    return "success", QCoreApplication.translate(
        "IntegrationPane", "Sync finished: {counts}."
    ).format(counts=counts)


class IntegrationPane(QWidget):
    """Shows and acts on the selected integration of the active company.

    Emits `state_changed(str identifier, str state)`, `modules_changed()` (after install or
    uninstall), `dirty_changed(bool)` and `status_reported(str)`.
    """

    state_changed = Signal(str, str)
    modules_changed = Signal()
    dirty_changed = Signal(bool)
    status_reported = Signal(str)

    def __init__(
        self,
        system: System,
        controller: SyncController,
        icons: IconCache,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("integrationPane")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.system = system
        self.controller = controller
        self.identifier: str | None = None
        self.details: IntegrationDetails | None = None
        self._generation = 0
        # Busy state and messages per (company, integration): a result lands on its own one.
        self.states = PaneStates(controller, self)
        # The last preview of each integration (by record id): kept with what it describes.
        self._previews: dict[int, RunOutcome] = {}

        self.header = IntegrationHeader(icons)
        self.message = StateMessageBar(self.states, self._key)
        self.form = FormWidget(system)
        self.runs_model = RunsModel(self)
        self.mappings_model = MappingsModel(self)
        self.runs_page = TablePage(self.runs_model, self.tr("No sync has run yet."))
        self.mappings_page = TablePage(
            self.mappings_model, self.tr("No local record is linked to a remote one yet.")
        )
        size_run_columns(self.runs_page.table)
        size_mapping_columns(self.mappings_page.table)
        self.runs_page.table.setObjectName("syncHistory")
        self.run_details = RunDetailLauncher(self.runs_page.table, self.runs_model, system, self)
        self.mappings_page.table.setObjectName("mappedRecords")
        self.mappings_tab = MappingsPage(self.mappings_page)
        self.preview_page = PreviewPage()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(False)
        self.tabs.addTab(self.runs_page, self.tr("Sync history"))
        self.tabs.addTab(self.mappings_tab, self.tr("Mapped records"))
        self.activity_page = activity_page(self)
        self.activity_page.table.setObjectName("integrationActivity")
        self.tabs.addTab(self.activity_page, self.tr("Activity"))
        self.tabs.addTab(self.preview_page, self.tr("Preview"))
        self.data_tab = DataTab(system, self.tabs)
        self.tabs.addTab(self.data_tab, self.tr("Data"))
        self.pause_notice = QLabel()
        self.pause_notice.setObjectName("schedulePause")
        self.pause_notice.setWordWrap(True)
        self.pause_notice.hide()
        self.schedule_note = QLabel()
        self.schedule_note.setObjectName("scheduleNote")
        self.schedule_note.setWordWrap(True)
        self.schedule_note.hide()
        self._schedule_host = ""  # the background service's host when it runs the schedules

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.form)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, SPLITTER_STRETCH[0])
        self.splitter.setStretchFactor(1, SPLITTER_STRETCH[1])
        self.splitter.setHandleWidth(SPLITTER_HANDLE)
        self.splitter.setObjectName("paneSplitter")
        self.splitter.setSizes(list(SPLITTER_SIZES))
        self._user_sized = False
        self.splitter.splitterMoved.connect(self._on_splitter_splitter_moved)

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(*CONTENT_MARGINS)
        layout.setSpacing(CONTENT_SPACING)
        layout.addWidget(self.header)
        layout.addWidget(MessageSlot(self.message))  # keeps its room: the form never moves
        layout.addWidget(self.pause_notice)
        layout.addWidget(self.schedule_note)
        layout.addWidget(self.splitter, 1)
        # A module that is not installed shows what it offers, not a form that cannot be used.
        self.install_card = InstallCard(icons)
        self.install_card.hide()
        layout.addWidget(self.install_card, 1)
        self.placeholder = QLabel(self.tr("Select an integration on the left to see its settings."))
        self.placeholder.setObjectName("emptyHint")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

        self.header.install_requested.connect(self._on_header_install_requested)
        self.install_card.install_requested.connect(self._on_header_install_requested)
        self.header.uninstall_requested.connect(self._on_header_uninstall_requested)
        self.header.enable_requested.connect(self._on_header_enable_requested)
        self.header.disable_requested.connect(self._on_header_disable_requested)
        self.header.test_requested.connect(self._on_header_test_requested)
        self.header.sync_requested.connect(self._on_header_sync_requested)
        self.header.preview_requested.connect(self._on_header_preview_requested)
        self.mappings_tab.resync_requested.connect(self._on_mappings_tab_resync_requested)
        self.header.cancel_requested.connect(self._on_header_cancel_requested)
        self.form.save_requested.connect(self._on_form_save_requested)
        self.form.discard_requested.connect(self._on_form_discard_requested)
        self.form.dirty_changed.connect(self.dirty_changed)
        self.message.details_requested.connect(self._on_message_details_requested)
        controller.sync_started.connect(self._on_controller_sync_started)
        controller.sync_progressed.connect(self._on_controller_sync_progressed)
        controller.sync_finished.connect(self._on_controller_sync_finished)
        controller.sync_failed.connect(self._on_controller_sync_failed)
        self.states.changed.connect(self._on_states_changed)

    # -- state -------------------------------------------------------------------------
    @property
    def record(self) -> Model | None:
        return self.form.record

    @property
    def dirty(self) -> bool:
        return self.form.dirty

    def _key(self) -> Key | None:
        """(company, integration) of what the pane shows: where its state is kept."""
        if self.identifier is None:
            return None
        return (int(self.system.env.cid), self.identifier)  # type: ignore[arg-type]

    @property
    def _busy(self) -> bool:
        """Whether a Test, Enable, Preview or other action runs on the shown integration."""
        key = self._key()
        return key is not None and self.states.state(key).busy

    @property
    def running(self) -> bool:
        record = self.record
        return record is not None and self.controller.is_running(record.id)

    # -- loading -----------------------------------------------------------------------
    async def show_integration(self, identifier: str | None) -> None:
        """Show another integration (or none); unsaved edits of the previous one are dropped."""
        self._generation += 1
        generation = self._generation
        self.message.blank()  # kept for its integration, shown again when it is
        self.identifier = identifier
        self.placeholder.setText(self.tr("Select an integration on the left to see its settings."))
        if identifier is None:
            self.details = None
            self.form.set_record(None)
            self.stack.setCurrentWidget(self.placeholder)
            return
        env_ctx.set(self.system.env)
        unreadable = unreadable_problem(self.system, identifier)
        if unreadable is not None:  # no manifest, no form: say why instead
            self.details = None
            self.form.set_record(None)
            self.placeholder.setText(
                self.tr("{module} is unavailable: {problem}").format(
                    module=identifier, problem=unreadable
                )
            )
            self.stack.setCurrentWidget(self.placeholder)
            return
        try:
            details = await integration_details(self.system, identifier)
        except Exception as exc:
            self._show_error(exc, f"opening {identifier}")
            return
        if generation == self._generation:
            self._render(details, keep_form=False)
            key = self._key()
            if key is not None:
                self.message.show_state(self.states.state(key))

    async def reload(self) -> None:
        """Read the shown integration again; unsaved edits stay in the form."""
        if self.identifier is None:
            return
        env_ctx.set(self.system.env)
        try:
            details = await integration_details(self.system, self.identifier)
        except Exception as exc:
            self._show_error(exc, f"reloading {self.identifier}")
            return
        self._render(details, keep_form=self.form.dirty)

    def _render(self, details: IntegrationDetails, *, keep_form: bool) -> None:
        self.details = details
        record = details.record
        if not keep_form:
            self.form.set_record(record)
            self._fit_splitter()
        else:
            self.form.refresh_stored()
        meta = details.category
        if details.state != NOT_INSTALLED:
            meta += " · " + describe_last_synced(details.last_synced)
        self.header.show_integration(
            record.name, details.image, details.state, record.description or "", meta
        )
        self.runs_model.set_rows(details.history)
        self.mappings_model.set_rows(details.mappings)
        self.tabs.setTabText(
            0, self.tr("Sync history ({count})").format(count=len(details.history))
        )
        self.tabs.setTabText(
            1, self.tr("Mapped records ({count})").format(count=len(details.mappings))
        )
        self.activity_page.model.set_rows(details.activity)  # type: ignore[attr-defined]
        pause = details.schedule_pause
        self.pause_notice.setVisible(pause is not None)
        if pause is not None:
            self.pause_notice.setText(
                self.tr(
                    "Scheduled sync paused after {count} failed runs: {reason}. "
                    "A successful Sync now resumes it."
                ).format(count=pause.failed_runs, reason=pause.reason)
            )
        self._render_schedule()
        installed = details.state != NOT_INSTALLED
        self.splitter.setVisible(installed)
        self.install_card.setVisible(not installed)
        # The card says what the module does; the header does not say it twice.
        self.header.description.setVisible(installed and bool(record.description))
        if not installed:
            self.install_card.show_module(
                record.name,
                details.image,
                record.description or "",
                details.also_installs,
                details.problem,
                self._busy,
            )
        self.preview_page.show_outcome(self._previews.get(int(record.id)))  # type: ignore[arg-type]
        self.data_tab.show_integration(details.identifier, installed=details.state != NOT_INSTALLED)
        if details.problem and details.state == NOT_INSTALLED and not self.message.text:
            self.message.show_message(
                "warning",
                self.tr("This module cannot be installed: {problem}").format(
                    problem=details.problem
                ),
            )
        self._render_actions()
        if self.running:
            self.header.show_progress(*self.controller.progress(int(record.id)))  # type: ignore[arg-type]
        self.stack.setCurrentIndex(1)
        self.state_changed.emit(details.identifier, details.state)

    def _render_schedule(self) -> None:
        details = self.details
        shown = details is not None and details.state == ENABLED and not details.schedule_pause
        self.schedule_note.setVisible(shown)
        if shown and details is not None:
            self.schedule_note.setText(describe_schedule(details.schedule, self._schedule_host))

    @Slot(str)
    def set_schedule_runner(self, host: str) -> None:
        """Who runs the schedules now: a background service on `host`, or ("") the window."""
        self._schedule_host = host
        self._render_schedule()

    def _render_actions(self) -> None:
        details = self.details
        if details is None:
            return
        running = self.running
        self.header.set_actions(
            state=details.state,
            running=running,
            busy=self._busy,
            can_install=details.problem is None,
            install_reason=details.problem or "",
            can_sync=details.sync_available,
            sync_reason=details.sync_reason,
        )
        if running:
            self.header.set_state(details.state, "Syncing")
        else:  # the catalogue's word: "Unavailable" when it cannot be installed
            self.header.set_state(details.state, shown_state(details.state, details.problem))
        self.install_card.install_button.setEnabled(details.problem is None and not self._busy)
        key = self._key()
        if not running and key is not None and self.states.state(key).task == "test":
            self.header.cancel_button.setVisible(True)  # a slow Test can be stopped too
        can_resync = details.sync_available and not running and not self._busy
        self.mappings_tab.set_allowed(can_resync, "" if can_resync else details.sync_reason)

    def _fit_splitter(self) -> None:
        """Give the form the height it needs; the tables keep at least TABLES_MIN_HEIGHT."""
        if self._user_sized:
            return
        available = sum(self.splitter.sizes())
        if available <= 0:
            return
        needed = self.form.body.sizeHint().height() + self.form.buttons_height()
        self.splitter.setSizes(fitted_sizes(available, needed))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_splitter()

    @Slot(int, int)
    def _on_splitter_splitter_moved(self, _pos: int, _index: int) -> None:
        self._user_sized = True

    # -- actions -----------------------------------------------------------------------
    async def _act(
        self, action: str, work: Callable[[], Awaitable[T]], task: str = "work"
    ) -> T | None:
        """Run one service call with the integration's buttons disabled; errors are kept for
        (and shown on) the integration it was started on."""
        env_ctx.set(self.system.env)
        key = self._key()
        if key is None:
            return None
        self.states.begin(key, task)
        try:
            return await work()
        except Exception as exc:
            self._report_failure(key, exc, action)
            return None
        finally:
            self.states.end(key)

    def _say(self, key: Key | None, kind: str, text: str, details: str | None = None) -> None:
        """Show `text` if `key` is shown, else keep it for when it is."""
        if key is None:
            return
        if key == self._key():
            self.message.show_message(kind, text, details)
        else:
            self.states.say(key, kind, text, details)

    def _show_error(self, exc: BaseException, action: str) -> None:
        self._report_failure(None, exc, action)

    def _report_failure(self, key: Key | None, exc: BaseException, action: str) -> None:
        """Tell why an action failed to the integration `key` it concerns (None: the one shown):
        fields to fix are marked where they are typed, anything else is a sentence."""
        shown = key is None or key == self._key()
        problems = getattr(exc, "problems", None)
        if problems and shown:
            self._show_field_problems(str(exc), problems)
            return
        report = report_error(exc, action)
        if shown:
            self.message.show_report(report)
        else:
            self._say(key, "error", report.message, report.details)

    def _show_field_problems(self, text: str, problems: dict[str, str], title: str = "") -> None:
        """Mark every field found wrong (focus on the first) and sum them up in the bar."""
        labels = self.form.mark_problems(problems)
        if len(labels) > 1 and title:
            text = self.tr("{fields} need attention; each says why under it.").format(
                fields=join_names(labels)
            )
        elif len(labels) > 1:
            text = self.tr(
                "{name} cannot be enabled yet: {fields} need attention; each says why under it."
            ).format(name=self._name(), fields=join_names(labels))
        self.message.show_message("error", f"{title}: {text}" if title else text)

    async def save(self) -> bool:
        """Save the form's edits; False (with the reason shown) when they cannot be saved."""
        record = self.record
        if record is None or not self.form.dirty:
            return True
        if self.form.invalid:
            self.message.show_message(
                "error", self.tr("Correct the highlighted fields before saving.")
            )
            return False
        saved = await self._act(f"saving {record.name}", self._save_record)
        return bool(saved)

    async def _save_record(self) -> bool:
        record = self.record
        assert record is not None
        await record.save()
        self.form.mark_saved()
        self.message.show_message(
            "success", self.tr("{name}: changes saved.").format(name=record.name)
        )
        return True

    def discard(self) -> None:
        self.form.discard()
        self.message.clear()

    @asyncSlot()
    async def _on_form_save_requested(self) -> None:
        await self.save()

    @Slot()
    def _on_form_discard_requested(self) -> None:
        self.discard()

    @asyncSlot()
    async def _on_header_install_requested(self) -> None:
        identifier = self.identifier
        if identifier is None:
            return
        installed = await self._act(
            f"installing {identifier}", lambda: self.system.install_module(identifier)
        )
        if installed is None:  # refused: the module's problem is now known, show it everywhere
            await self.reload()
            self.modules_changed.emit()
            return
        await self._after_modules_changed(
            self.tr("{name} installed.").format(name=self._name()),
            installed,
            self.tr("Also installs {modules}."),
        )

    @Slot()
    def _on_header_uninstall_requested(self) -> None:
        name = self._name()
        dialogs.confirm(
            self,
            self.tr("Uninstall"),
            self.tr("Uninstall {name}?").format(name=name),
            self.tr("Uninstall"),
            lambda: spawn(self._uninstall()),
            informative=self.tr(
                "Its integrations are disabled in every company. "
                "Synced data and settings stay in the database."
            ),
            name="uninstallDialog",
            destructive=True,
        )

    async def _uninstall(self) -> None:
        identifier = self.identifier
        if identifier is None:
            return
        removed = await self._act(
            f"uninstalling {identifier}", lambda: self.system.uninstall_module(identifier)
        )
        if removed is not None:
            await self._after_modules_changed(
                self.tr("{name} uninstalled.").format(name=self._name()),
                removed,
                self.tr("Also uninstalls {modules}."),
            )

    async def _after_modules_changed(self, message: str, modules: list[str], also: str) -> None:
        others = [self._module_name(m) for m in modules if m != self.identifier]
        suffix = " " + also.format(modules=join_names(sorted(others))) if others else ""
        self.message.show_message("success", message + suffix)
        self.status_reported.emit(message)
        self.form.set_record(None)
        await self.reload()
        self.modules_changed.emit()

    @asyncSlot()
    async def _on_header_enable_requested(self) -> None:
        await self._enable(anyway=False)

    async def _enable(self, *, anyway: bool, record: Model | None = None) -> None:
        record = record or self.record
        key = self._key()
        if record is None or key is None:
            return
        env_ctx.set(self.system.env)
        self.states.begin(key, "enable")
        try:
            await integrations.enable(record, anyway=anyway)
        except ConnectionUnreachable as exc:
            self._say(key, "warning", exc.result.message)
            if key == self._key():  # the question belongs to the pane of that integration
                dialogs.confirm(
                    self,
                    self.tr("Provider unreachable"),
                    self.tr("Enable {name} anyway?").format(name=record.name),
                    self.tr("Enable anyway"),
                    lambda: spawn(self._enable(anyway=True, record=record)),
                    # The reason, said once: its syncs will fail until it can be reached.
                    informative=exc.result.message,
                    name="enableAnywayDialog",
                )
            return
        except Exception as exc:
            self._report_failure(key, exc, f"enabling {record.name}")
            return
        finally:
            self.states.end(key)
        self._say(key, "success", self.tr("{name} is enabled.").format(name=record.name))
        if key == self._key():
            self.form.mark_saved()
            await self.reload()

    @asyncSlot()
    async def _on_header_disable_requested(self) -> None:
        record = self.record
        if record is None:
            return
        state = await self._act(f"disabling {record.name}", lambda: integrations.disable(record))
        if state is not None:
            self.form.mark_saved()
            self.message.show_message(
                "info", self.tr("{name} is disabled.").format(name=record.name)
            )
            await self.reload()

    @asyncSlot()
    async def _on_header_test_requested(self) -> None:
        record = self.record
        if record is None:
            return
        key = self._key()
        self.message.show_message(
            "info", self.tr("Testing the connection to {name}…").format(name=record.name)
        )
        # Its own task, so that Cancel stops the Test and nothing else.
        test = asyncio.ensure_future(integrations.test_connection(record))
        env_ctx.set(self.system.env)
        if key is not None:
            self.states.begin(key, "test", test.cancel)
        try:
            result = await test
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not test.cancelled() or (current is not None and current.cancelling()):
                raise
            self._say(key, "info", self.tr("Connection test cancelled."))
            return
        except Exception as exc:
            report = report_error(exc, f"testing {record.name}")
            self._say(key, "error", report.message, report.details)
            return
        finally:
            if key is not None:
                self.states.end(key)
        if result.problems and key == self._key():  # the typed settings, not the provider
            self._show_field_problems(
                result.message, dict(result.problems), self.tr(SETTINGS_TITLE)
            )
            return
        if result.problems:
            self._say(key, "error", f"{self.tr(SETTINGS_TITLE)}: {result.message}")
            return
        title = self.tr(CONNECTION_TITLES[result.outcome])
        self._say(key, CONNECTION_KINDS[result.outcome], f"{title}: {result.message}")

    @asyncSlot()
    async def _on_header_sync_requested(self) -> None:
        record, identifier = self.record, self.identifier
        if record is None or identifier is None:
            return
        if self.form.dirty:
            self.message.show_message(
                "info",
                self.tr("Syncing with the saved settings; your unsaved changes are not used."),
            )
        else:
            self.message.clear()
        await self.controller.run(identifier, int(record.company_id))

    @asyncSlot()
    async def _on_header_preview_requested(self) -> None:
        record = self.record
        if record is None:
            return
        key = self._key()
        self.message.show_message(
            "info", self.tr("Previewing a sync of {name}…").format(name=record.name)
        )
        outcome = await self._act(
            f"previewing {record.name}", lambda: integrations.preview(record), "preview"
        )
        if outcome is None:
            return
        self._previews[int(record.id)] = outcome  # type: ignore[arg-type]
        if self._is_current(int(record.id)):  # type: ignore[arg-type]
            self.preview_page.show_outcome(outcome)
            self.tabs.setCurrentWidget(self.preview_page)
        if outcome.state == RunState.FAILED:
            self._say(
                key, "error", self.tr("Preview failed: {error}").format(error=outcome.error or "")
            )
        else:
            self._say(
                key,
                "info",
                self.tr(
                    "Preview: {created} to create, {updated} to update; nothing was sent or saved."
                ).format(created=outcome.created, updated=outcome.updated),
            )

    @asyncSlot(str, str)
    async def _on_mappings_tab_resync_requested(self, model: str, local_id: str) -> None:
        record, identifier = self.record, self.identifier
        if record is None or identifier is None:
            return
        self.message.show_message(
            "info",
            self.tr("Resyncing {model} #{local_id}…").format(model=model, local_id=local_id),
        )
        await self.controller.run(
            identifier, int(record.company_id), only=RecordRef(model, local_id)
        )

    @Slot()
    def _on_header_cancel_requested(self) -> None:
        record, key = self.record, self._key()
        if not self.running and key is not None and self.states.state(key).task == "test":
            self.states.cancel(key)  # the Test's own task: it says "cancelled" when it stops
            return
        if record is not None and self.controller.cancel(int(record.id)):  # type: ignore[arg-type]
            self.header.cancel_button.setEnabled(False)
            self.message.show_message(
                "info", self.tr("Cancelling: the sync stops after the current record.")
            )

    # -- sync reports --------------------------------------------------------------------
    def _is_current(self, integration_id: int) -> bool:
        record = self.record
        return record is not None and record.id == integration_id

    @asyncSlot(int)
    async def _on_controller_sync_started(self, integration_id: int) -> None:
        if self._is_current(integration_id):
            self._render_actions()
            self.header.show_progress(0, None)
            await self.reload()  # the new run is listed as running

    @Slot(int, int, int)
    def _on_controller_sync_progressed(self, integration_id: int, done: int, total: int) -> None:
        if self._is_current(integration_id):
            self.header.show_progress(done, None if total < 0 else total)

    @asyncSlot(int, object)
    async def _on_controller_sync_finished(self, integration_id: int, outcome: RunOutcome) -> None:
        # The message is kept by `states` for the integration that synced (shown if current).
        if self._is_current(integration_id):
            await self.reload()

    @asyncSlot(int, str, str)
    async def _on_controller_sync_failed(
        self, integration_id: int, message: str, details: str
    ) -> None:
        if self._is_current(integration_id):
            await self.reload()

    @Slot(int, str)
    def _on_states_changed(self, company_id: int, identifier: str) -> None:
        """The busy state or message of an integration changed: render it if it is shown."""
        if (company_id, identifier) != self._key():
            return
        self.message.show_state(self.states.state((company_id, identifier)))
        self._render_actions()

    @Slot(str, str)
    def _on_message_details_requested(self, message: str, details: str) -> None:
        dialogs.show_details(self, message, details)

    def _module_name(self, identifier: str) -> str:
        """A module as people know it ("Online Payment"), not by its identifier."""
        found = self.system.discovered.get(identifier)
        manifest = found.manifest if found is not None else None
        return manifest.name if manifest is not None else identifier

    def _name(self) -> str:
        record = self.record
        if record is not None:
            return str(record.name)
        return self.identifier or ""
