"""The main window: toolbar (company, search), catalogue | integration pane, problems dock."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QLineEdit,
    QMainWindow,
    QSizePolicy,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from ffdesk.ui.company_switcher import CompanySwitcher
from ffdesk.ui.icons import IconCache, glyph
from ffdesk.ui.schedule_status import ScheduleStatus
from ffdesk.ui.style import theme, theme_signals
from ffdesk.ui.tasks import spawn

if TYPE_CHECKING:
    # Imported by attach(): start-up paints the window before the engine and the widgets
    # that show its data are even loaded.
    from ffdesk.engine.system import System
    from ffdesk.sync.runner import RunOutcome
    from ffdesk.ui.catalogue_view import CatalogueView
    from ffdesk.ui.doctor_dialog import DoctorDialog
    from ffdesk.ui.integration_pane import IntegrationPane
    from ffdesk.ui.message_bar import MessageBar
    from ffdesk.ui.problems_view import ProblemsView
    from ffdesk.ui.sync_controller import SyncController

TITLE = "ffdesk"
log = logging.getLogger(__name__)

DEFAULT_SIZE = QSize(1280, 800)
CATALOGUE_WIDTH = 420
# How often the window looks for changes made by another administrator or the command line.
WATCH_INTERVAL_MS = 3000
LAST_COMPANY_KEY = "company/last"
RECENT_COMPANIES_KEY = "company/recent"
RECENT_COMPANIES = 20
LAST_INTEGRATION_KEY = "integration/last"


class MainWindow(QMainWindow):
    """The administrator's window over one System.

    It can be shown before the System is open (start-up paints at once, "Opening…" on the
    right) and gets it with `attach()`. Emits `company_changed(int id)`,
    `integration_selected(str identifier)` and `closed()`.
    """

    company_changed = Signal(int)
    integration_selected = Signal(str)
    closed = Signal()
    hidden_to_tray = Signal()

    def __init__(
        self,
        system: System | None = None,
        *,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.system: System | None = None
        self.pane: IntegrationPane | None = None
        self.controller: SyncController | None = None
        self.settings = settings if settings is not None else QSettings()
        self.icons = IconCache()
        self._close_confirmed = False
        # Warnings shown again after a company switch for as long as their condition holds.
        self._lasting_warnings: list[tuple[str, Callable[[], bool]]] = []
        # Set by the tray's owner: closing during a sync may then keep syncing in the tray.
        self.tray_available = False
        # Set by the scheduler's owner: the names of the scheduled syncs running in this
        # process, which closing the window stops too (so it asks first, as for Sync now).
        self.scheduled_syncs: Callable[[], list[str]] = list
        self.setWindowTitle(TITLE + "[*]")  # [*]: Qt shows "*" while there are unsaved edits
        self.setObjectName("mainWindow")

        # toolbar
        self.switcher = CompanySwitcher()
        self.search = QLineEdit()
        self.search.setObjectName("searchBox")
        self.search.setPlaceholderText(self.tr("Search integrations (Ctrl+F)"))
        self.search.setClearButtonEnabled(True)
        self.search_icon = self.search.addAction(
            glyph("search", theme().muted), QLineEdit.ActionPosition.LeadingPosition
        )
        self.search.setMinimumWidth(280)
        self.search.setMaximumWidth(420)
        self.search.setAccessibleName(self.tr("Search integrations"))
        toolbar = QToolBar(self.tr("Main"))
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setFloatable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        company_label = QLabel(self.tr("&Company"))
        company_label.setBuddy(self.switcher)
        toolbar.addWidget(company_label)
        toolbar.addWidget(self.switcher)
        toolbar.addWidget(self.switcher.actions_button)
        self.addActions(self.switcher.company_actions())  # their shortcuts work everywhere
        toolbar.addSeparator()
        toolbar.addWidget(self.search)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        # Neutral until the modules are read: orange only once there are problems.
        self.problems_action = QAction(glyph("warning", theme().muted), self.tr("Problems"), self)
        self._problems_read = False
        self.problems_action.setObjectName("problemsAction")
        self.problems_action.setCheckable(True)
        self.problems_action.setShortcut(QKeySequence("Ctrl+Shift+M"))  # toolbars take no Tab
        self.problems_action.setProperty("shortcutName", self.tr("Show the module problems"))
        self.refresh_action = QAction(glyph("refresh"), self.tr("Refresh"), self)
        self.refresh_action.setObjectName("refreshAction")
        self.refresh_action.setShortcut(QKeySequence("F5"))
        self.refresh_action.setToolTip(self.tr("Read everything again (F5)"))
        toolbar.addAction(self.problems_action)
        toolbar.addAction(self.refresh_action)
        self.addToolBar(toolbar)

        # centre: "Opening…" until attach() puts the catalogue and the pane there
        self.opening = QLabel(self.tr("Opening the database…"))
        self.opening.setObjectName("emptyHint")
        self.opening.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(self.opening)
        # Made by attach():
        self.catalogue: CatalogueView
        self.message: MessageBar
        self.message_holder: QWidget
        self.problems: ProblemsView
        self.problems_dock: QDockWidget
        self.splitter: QSplitter

        # status bar
        self.company_status = QLabel()
        self.schedule_status = ScheduleStatus()
        self.statusBar().addPermanentWidget(self.schedule_status)
        self.statusBar().addPermanentWidget(self.company_status)

        # keyboard
        self.find_action = self._shortcut("Ctrl+F", self._on_find_action_triggered, "findAction")
        self.save_action = self._shortcut("Ctrl+S", self._on_save_action_triggered, "saveAction")
        self.quit_action = self._shortcut("Ctrl+Q", self.close, "quitAction")
        # Names for Help > Keyboard Shortcuts, which lists every action that has keys.
        self.find_action.setText(self.tr("Find an integration"))
        self.save_action.setText(self.tr("Save the form"))
        self.quit_action.setText(self.tr("Quit"))
        self.clear_search_action = QAction(self.tr("Clear the search"), self.search)
        self.clear_search_action.setObjectName("clearSearchAction")
        self.clear_search_action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.clear_search_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.clear_search_action.triggered.connect(self.search.clear)
        self.search.addAction(self.clear_search_action)

        # Help menu: the doctor's report (the same checks as `ffdesk doctor`)
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        help_menu.setObjectName("helpMenu")
        self.help_menu = help_menu
        self.doctor_action = help_menu.addAction(self.tr("&Doctor…"))
        self.doctor_action.setObjectName("doctorAction")
        self.doctor_action.setToolTip(
            self.tr("Check the keyring, database, data folder, network, modules and clock")
        )
        self.doctor_action.triggered.connect(self._on_doctor_action_triggered)
        self.doctor_dialog: DoctorDialog | None = None
        help_menu.addSeparator()
        self.shortcuts_action = help_menu.addAction(self.tr("&Keyboard Shortcuts"))
        self.shortcuts_action.setObjectName("shortcutsAction")
        self.shortcuts_action.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
        self.shortcuts_action.triggered.connect(self._on_shortcuts_action_triggered)
        self.about_action = help_menu.addAction(self.tr("&About ffdesk"))
        self.about_action.setObjectName("aboutAction")
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self._on_about_action_triggered)

        # wiring
        self.switcher.company_change_requested.connect(self._on_switcher_company_change_requested)
        self.switcher.new_company_requested.connect(self._on_switcher_new_company_requested)
        self.switcher.rename_requested.connect(self._on_switcher_rename_requested)
        self.problems_action.toggled.connect(self._on_problems_action_toggled)
        self.refresh_action.triggered.connect(self._on_refresh_action_triggered)
        theme_signals.changed.connect(self._on_theme_changed)
        self._restore_geometry()
        if system is not None:
            self.attach(system)

    def attach(self, system: System) -> None:
        """Work on `system` from now on: the catalogue and the pane replace "Opening…"."""
        from ffdesk.ui.catalogue_view import CatalogueView
        from ffdesk.ui.integration_pane import IntegrationPane
        from ffdesk.ui.message_bar import MessageBar
        from ffdesk.ui.problems_view import ProblemsView
        from ffdesk.ui.sync_controller import SyncController

        self.system = system
        self._bind_env()  # sync code of the window (forms, secrets) reads it
        self.controller = SyncController(system, self)
        # Drawn from the last run's cache (app.show_window): the same catalogue widget stays,
        # with the selection the user may already have made.
        first_screen = getattr(self, "first_screen", None)
        self.first_screen = None
        # Moving the list into the real layout takes its keyboard focus away: given back below.
        # (focusWidget, not hasFocus: the window may not be active yet, as under X at start.)
        focused = first_screen is not None and self.focusWidget() is first_screen.catalogue.tree
        self.catalogue = first_screen.release() if first_screen else CatalogueView(self.icons)
        self.catalogue.setMinimumWidth(300)
        self.pane = IntegrationPane(system, self.controller, self.icons)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.catalogue)
        self.splitter.addWidget(self.pane)
        self.splitter.setStretchFactor(0, 0)  # the catalogue keeps its width on resize
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([CATALOGUE_WIDTH, DEFAULT_SIZE.width() - CATALOGUE_WIDTH])
        self.message = MessageBar()
        self.message_holder = QWidget()
        holder = QVBoxLayout(self.message_holder)
        holder.setContentsMargins(12, 8, 12, 0)
        holder.addWidget(self.message)
        self.message_holder.hide()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.message_holder)
        from ffdesk.ui.records_area import add_records_area

        self.areas = add_records_area(self, system, self.splitter)  # Integrations | Records
        layout.addWidget(self.areas, 1)
        self.setCentralWidget(central)  # deletes "Opening…"
        if focused:
            self.catalogue.tree.setFocus()

        self.problems = ProblemsView()
        self.problems_dock = QDockWidget(self.tr("Module problems"), self)
        self.problems_dock.setObjectName("problemsDock")
        self.problems_dock.setWidget(self.problems)
        self.problems_dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
        )
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.problems_dock)
        self.problems_dock.hide()
        self._restore_layout()

        self.search.textChanged.connect(self.catalogue.set_search_text)
        self.catalogue.set_search_text(self.search.text())
        self.catalogue.integration_selected.connect(self._on_catalogue_integration_selected)
        self.problems_dock.visibilityChanged.connect(self._on_problems_dock_visibility_changed)
        self.problems.module_activated.connect(self._on_problems_module_activated)
        self.message.details_requested.connect(self._on_message_details_requested)
        self.pane.state_changed.connect(self._on_pane_state_changed)
        self.pane.modules_changed.connect(self._on_pane_modules_changed)
        self.pane.status_reported.connect(self._on_pane_status_reported)
        self.pane.dirty_changed.connect(self._on_pane_dirty_changed)
        self.schedule_status.runner_changed.connect(self.pane.set_schedule_runner)
        self.controller.sync_finished.connect(self._on_controller_sync_finished)
        from ffdesk.ui.pane_state import show_activities_in

        show_activities_in(self.catalogue.model, self.pane.states, lambda: system.env.cid)
        self._add_database_menu(system)

    def _add_database_menu(self, system: System) -> None:
        """Database > Check / Back up…, as `ffdesk db check|backup` (issue 16.7)."""
        from ffdesk.ui.database_menu import DatabaseMenu

        self.database_menu = DatabaseMenu(system.db, self)
        # Menus added later go before Help, which stays last, where users look for it.
        self.menuBar().insertMenu(self.help_menu.menuAction(), self.database_menu)
        self.database_menu.result_reported.connect(self.show_message)
        self.database_menu.failed.connect(self.show_error)
        from ffdesk.ui.config_menu import ConfigMenu

        self.config_menu = ConfigMenu(system, self)
        self.menuBar().insertMenu(self.help_menu.menuAction(), self.config_menu)
        self.config_menu.result_reported.connect(self.show_message)
        self.config_menu.failed.connect(self.show_error)
        self.config_menu.imported.connect(lambda: spawn(self.refresh()))
        self._add_activity_dock()
        self._watch_for_others()

    def _watch_for_others(self) -> None:
        """Notice within seconds what another administrator or the command line changed."""
        from PySide6.QtCore import QTimer

        self._marker: tuple[int, int] | None = None
        self._watching = False
        self.watch_timer = QTimer(self)
        self.watch_timer.setObjectName("watchTimer")
        self.watch_timer.setInterval(WATCH_INTERVAL_MS)
        self.watch_timer.timeout.connect(self._on_watch_timer_timeout)
        self.watch_timer.start()

    @Slot()
    def _on_watch_timer_timeout(self) -> None:
        if not self._watching:
            self._watching = True
            spawn(self.notice_changes())

    async def notice_changes(self) -> bool:
        """Read again what changed elsewhere; unsaved edits in the form stay. True if read."""
        from ffdesk.services.audit import change_marker

        try:
            if self.system is None or self.pane is None:
                return False
            self._bind_env()
            marker = change_marker(self.system)
            if self._marker is None or marker == self._marker:
                self._marker = marker
                return False
            self._marker = marker
            await self.refresh_catalogue()
            await self.pane.reload()  # keeps the form's unsaved edits
            if self.activity_dock.isVisible():
                await self.refresh_activity()
            return True
        except Exception as exc:
            log.warning("could not look for changes made elsewhere: %s", exc)
            return False
        finally:
            self._watching = False

    def _add_activity_dock(self) -> None:
        """View > Activity: every configuration change of the database (issue 11.3)."""
        from ffdesk.ui.activity import ActivityDock

        self.activity_dock = ActivityDock(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.activity_dock)
        self.activity_dock.hide()
        self.activity_action = self.activity_dock.toggleViewAction()
        self.activity_action.setText(self.tr("Acti&vity"))
        self.activity_action.setObjectName("activityAction")
        self.menuBar().insertAction(self.help_menu.menuAction(), self.activity_action)
        self.activity_dock.visibilityChanged.connect(self._on_activity_dock_visibility_changed)

    @Slot(bool)
    def _on_activity_dock_visibility_changed(self, visible: bool) -> None:
        if visible:
            spawn(self.refresh_activity())

    async def refresh_activity(self) -> None:
        """Read the whole audit trail again into the Activity dock."""
        from ffdesk.services.audit import audit_rows

        if self.system is None:
            return
        self._bind_env()
        try:
            rows = await audit_rows(self.system, limit=200)
        except Exception as exc:
            self.show_error(exc, "reading the activity")
            return
        self.activity_dock.page.model.set_rows(rows)  # type: ignore[attr-defined]

    def _bind_env(self) -> None:
        """Make the System's environment current (in this task, or Qt's own context)."""
        from ffdesk.engine.env import env_ctx

        if self.system is not None:
            env_ctx.set(self.system.env)

    @property
    def dirty(self) -> bool:
        """Whether the shown integration has edits that are not saved."""
        return self.pane is not None and self.pane.dirty

    def _shortcut(self, keys: str, slot: Callable[[], object], name: str) -> QAction:
        action = QAction(self)
        action.setObjectName(name)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    # -- loading -------------------------------------------------------------------------
    async def refresh(self) -> None:
        """Read companies, catalogue, problems and the shown integration again."""
        if self.system is None or self.pane is None:
            return
        self._bind_env()
        try:
            await self._refresh_companies()
            await self.refresh_catalogue()
            identifier = (
                self.pane.identifier
                or self.catalogue.current_identifier()
                or self._remembered_integration()
            )
            if identifier is None or self.catalogue.model.entry(identifier) is None:
                identifier = self.catalogue.first_identifier()
            self.catalogue.select(identifier, notify=False)
            await self.pane.show_integration(identifier)
        except Exception as exc:
            self.show_error(exc, "refreshing")

    async def _refresh_companies(self) -> None:
        assert self.system is not None
        companies = await self.system.companies()
        cid = self.system.env.cid
        self.switcher.set_companies(
            [(int(c.id), str(c.name)) for c in companies],  # type: ignore[arg-type]
            cid,
            self.recent_companies(),
        )
        name = next((str(c.name) for c in companies if c.id == cid), "")
        self.setWindowTitle((f"{TITLE} — {name}" if name else TITLE) + "[*]")
        self.company_status.setText(self.tr("Company: {name}").format(name=name))

    async def refresh_catalogue(self) -> None:
        """The catalogue entries with their states, and the module problems."""
        from ffdesk.services.window import catalogue_entries, module_problems

        assert self.system is not None
        entries = await catalogue_entries(self.system)
        self.catalogue.set_entries(entries)
        problems = await module_problems(self.system)
        self.problems.set_problems(problems)
        self._problems_read = True
        count = len(problems)
        self.problems_action.setText(
            self.tr("Problems ({count})").format(count=count) if count else self.tr("No problems")
        )
        self._show_problems_icon()
        self.problems_action.setToolTip(
            self.tr("{count} module(s) cannot be installed: show why").format(count=count)
            if count
            else self.tr("No module problems")
        )

    def _show_problems_icon(self) -> None:
        if not self._problems_read:
            self.problems_action.setIcon(glyph("warning", theme().muted))
            return
        count = len(self.problems.problems)
        self.problems_action.setIcon(
            glyph("warning", theme().warning_icon) if count else glyph("ok", theme().ok_icon)
        )

    @Slot()
    def _on_theme_changed(self) -> None:
        """The system switched light/dark: the icons in the new colours."""
        self.search_icon.setIcon(glyph("search", theme().muted))
        self.refresh_action.setIcon(glyph("refresh"))
        self._show_problems_icon()

    async def select_integration(self, identifier: str | None) -> None:
        """Select an entry and show it (no unsaved-changes check: callers do that)."""
        assert self.pane is not None
        self.catalogue.select(identifier, notify=False)
        await self.pane.show_integration(identifier)
        if identifier is not None:
            self.integration_selected.emit(identifier)

    async def switch_company(self, company_id: int) -> None:
        """Make another company active and show its own values everywhere."""
        assert self.system is not None
        self._bind_env()
        try:
            company = await self.system.select_company(company_id)
        except Exception as exc:
            self.show_error(exc, "switching company")
            return
        self.settings.setValue(LAST_COMPANY_KEY, company.name)
        self._remember_company(str(company.name))
        self.message.clear()
        self.message_holder.hide()
        self._show_lasting_warnings()
        await self.refresh()
        self.company_changed.emit(company_id)

    def recent_companies(self) -> list[str]:
        """Names of the companies switched to, most recent first (the switcher lists them first)."""
        value = self.settings.value(RECENT_COMPANIES_KEY)
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value] if isinstance(value, list) else []

    def _remember_company(self, name: str) -> None:
        names = [name, *(n for n in self.recent_companies() if n != name)][:RECENT_COMPANIES]
        self.settings.setValue(RECENT_COMPANIES_KEY, names)

    async def show_history(self, company_id: int, identifier: str) -> None:
        """Bring the window up on an integration's sync history (a notification was clicked)."""
        self.showNormal()
        self.raise_()
        self.activateWindow()
        if self.system is None or self.pane is None or not identifier:
            return
        if company_id and company_id != self.system.env.cid:
            await self.switch_company(company_id)
        await self.select_integration(identifier)
        self.pane.tabs.setCurrentIndex(0)  # "Sync history"

    def show_error(self, exc: BaseException, action: str = "") -> None:
        """An error of a window-wide action, shown under the toolbar."""
        from ffdesk.ui.errors import report_error

        report = report_error(exc, action)
        self.show_message("error", report.message, report.details)

    def keep_warning(self, text: str, holds: Callable[[], bool]) -> None:
        """Show `text` again after each company switch while `holds()` is true (the keyring
        is no less unusable in another company)."""
        self._lasting_warnings.append((text, holds))

    def _show_lasting_warnings(self) -> None:
        self._lasting_warnings = [(t, h) for t, h in self._lasting_warnings if h()]
        if self._lasting_warnings:
            self.show_message("warning", " ".join(t for t, _h in self._lasting_warnings))

    def show_message(self, kind: str, text: str, details: str | None = None) -> None:
        if self.system is None:  # not attached yet: no message bar
            self.statusBar().showMessage(text)
            return
        self.message.show_message(kind, text, details)
        self.message_holder.show()

    # -- unsaved changes ---------------------------------------------------------------------
    def guard_unsaved(self, proceed: Callable[[], object]) -> None:
        """Run `proceed` now, or after the user saved or discarded the pane's edits."""
        pane = self.pane
        if pane is None or not pane.dirty:
            proceed()
            return
        from ffdesk.ui import dialogs  # (dialog types cost the first paint; asked rarely)

        def answered(answer: str) -> None:
            if answer == dialogs.SAVE:
                spawn(self._save_then(proceed))
            elif answer == dialogs.DISCARD:
                pane.discard()
                proceed()

        dialogs.ask_unsaved_changes(self, pane._name(), answered)

    async def _save_then(self, proceed: Callable[[], object]) -> None:
        if self.pane is not None and await self.pane.save():
            proceed()

    # -- slots -------------------------------------------------------------------------------
    @Slot(str)
    def _on_catalogue_integration_selected(self, identifier: str) -> None:
        pane = self.pane
        if pane is None or identifier == pane.identifier:
            return
        if pane.dirty:
            self.catalogue.select(pane.identifier, notify=False)
        self.guard_unsaved(lambda: spawn(self.select_integration(identifier)))

    @Slot(int)
    def _on_switcher_company_change_requested(self, company_id: int) -> None:
        self.guard_unsaved(lambda: spawn(self.switch_company(company_id)))

    @Slot()
    def _on_switcher_new_company_requested(self) -> None:
        self.guard_unsaved(
            lambda: self._ask_company_name(
                self.tr("New company"),
                self.tr("&Name of the new company:"),
                self.tr("C&reate"),
                lambda name: spawn(self._create_company(name)),
                name="newCompanyDialog",
            )
        )

    def _ask_company_name(
        self,
        title: str,
        label: str,
        accept_label: str,
        chosen: Callable[[str], object],
        *,
        text: str = "",
        name: str,
    ) -> None:
        """A name checked in place (empty, taken) before the dialog lets it through."""
        from ffdesk.ui.company_dialog import CompanyNameDialog

        dialog = CompanyNameDialog(
            self.switcher.company_names(),
            title=title,
            label=label,
            accept_label=accept_label,
            text=text,
            parent=self,
        )
        dialog.setObjectName(name)
        dialog.name_chosen.connect(chosen)
        dialog.open()  # never exec(): qasync

    async def _create_company(self, name: str) -> None:
        assert self.system is not None
        self._bind_env()
        try:
            company = await self.system.add_company(name)
        except Exception as exc:
            self.show_error(exc, "creating a company")
            return
        await self.switch_company(int(company.id))  # type: ignore[arg-type]
        self.statusBar().showMessage(
            self.tr("Company {name} created.").format(name=company.name), 5000
        )

    @Slot()
    def _on_switcher_rename_requested(self) -> None:
        company = self.system.env.company if self.system is not None else None
        if company is None:
            return
        self._ask_company_name(
            self.tr("Rename company"),
            self.tr("&New name:"),
            self.tr("&Rename"),
            lambda name: spawn(self._rename_company(int(company.id), name)),  # type: ignore[arg-type]
            text=str(company.name),
            name="renameCompanyDialog",
        )

    async def _rename_company(self, company_id: int, name: str) -> None:
        assert self.system is not None
        self._bind_env()
        try:
            company = await self.system.rename_company(company_id, name)
        except Exception as exc:
            self.show_error(exc, "renaming the company")
            return
        self.settings.setValue(LAST_COMPANY_KEY, company.name)
        await self._refresh_companies()
        self.statusBar().showMessage(
            self.tr("Company renamed to {name}.").format(name=company.name), 5000
        )

    @Slot()
    def _on_find_action_triggered(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    @Slot()
    def _on_save_action_triggered(self) -> None:
        if self.pane is not None and self.pane.dirty:
            spawn(self.pane.save())

    @Slot()
    def _on_doctor_action_triggered(self) -> None:
        from ffdesk.ui.doctor_dialog import DoctorDialog

        self.doctor_dialog = DoctorDialog(self.system, self)
        self.doctor_dialog.open()  # never exec(): qasync
        self.doctor_dialog.start()

    @Slot()
    def _on_shortcuts_action_triggered(self) -> None:
        from ffdesk.ui.shortcuts_dialog import ShortcutsDialog

        dialog = ShortcutsDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()  # never exec(): qasync

    @Slot()
    def _on_about_action_triggered(self) -> None:
        from ffdesk.ui.about_dialog import AboutDialog

        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _on_refresh_action_triggered(self) -> None:
        self.guard_unsaved(lambda: spawn(self._refresh_all()))

    async def _refresh_all(self) -> None:
        if self.pane is not None:
            self.pane.discard()
        if self.system is not None:
            self._bind_env()
            try:  # the module folders too: a fixed or newly broken manifest shows at once
                await self.system.rediscover()
            except Exception as exc:
                self.show_error(exc, "reading the modules")
        await self.refresh()
        self.statusBar().showMessage(self.tr("Refreshed."), 3000)

    @Slot(str, str)
    def _on_pane_state_changed(self, identifier: str, state: str) -> None:
        self.catalogue.update_entry(identifier, state=state)

    @Slot()
    def _on_pane_modules_changed(self) -> None:
        spawn(self._reload_modules())

    async def _reload_modules(self) -> None:
        assert self.system is not None
        self._bind_env()
        try:
            await self.refresh_catalogue()
        except Exception as exc:
            self.show_error(exc, "reading the modules")

    @Slot(str)
    def _on_pane_status_reported(self, text: str) -> None:
        self.statusBar().showMessage(text, 5000)

    @Slot(bool)
    def _on_pane_dirty_changed(self, dirty: bool) -> None:
        self.setWindowModified(dirty)

    @Slot(int, object)
    def _on_controller_sync_finished(self, integration_id: int, outcome: RunOutcome) -> None:
        from ffdesk.ui.integration_pane import describe_outcome

        _kind, text = describe_outcome(outcome)
        self.statusBar().showMessage(f"{outcome.integration}: {text}", 8000)

    @Slot(bool)
    def _on_problems_action_toggled(self, checked: bool) -> None:
        if self.system is None:
            return
        if checked and self.problems_dock.isHidden():
            self.problems_dock.show()
            self.resizeDocks([self.problems_dock], [200], Qt.Orientation.Vertical)
        elif not checked:
            self.problems_dock.hide()

    @Slot(str)
    def _on_problems_module_activated(self, identifier: str) -> None:
        """Double-click or Enter on a problem: its module in the catalogue, if listed there."""
        if self.catalogue.model.entry(identifier) is None:
            self.statusBar().showMessage(
                self.tr("{module} is not an integration: it has no page in the list.").format(
                    module=identifier
                ),
                5000,
            )
            return
        self.guard_unsaved(lambda: spawn(self._select_problem_module(identifier)))

    async def _select_problem_module(self, identifier: str) -> None:
        self.search.clear()  # a search or filter must not hide the module asked for
        self.catalogue.set_state_filter(None)
        await self.select_integration(identifier)

    @Slot(bool)
    def _on_problems_dock_visibility_changed(self, visible: bool) -> None:
        self.problems_action.setChecked(visible)

    @Slot(str, str)
    def _on_message_details_requested(self, message: str, details: str) -> None:
        from ffdesk.ui import dialogs

        dialogs.show_details(self, message, details)

    # -- settings and closing ----------------------------------------------------------------
    def _restore_geometry(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(DEFAULT_SIZE)

    def _restore_layout(self) -> None:
        """The dock and the splitter as they were left (they exist once attached)."""
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        splitter = self.settings.value("window/splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self.splitter.restoreState(splitter)
        else:  # first start: a catalogue column of a fixed width
            width = max(self.width(), DEFAULT_SIZE.width())
            self.splitter.setSizes([CATALOGUE_WIDTH, width - CATALOGUE_WIDTH])

    def _remembered_integration(self) -> str | None:
        """The integration shown when the window was last closed (first refresh only)."""
        identifier = self.settings.value(LAST_INTEGRATION_KEY)
        return identifier if isinstance(identifier, str) and identifier else None

    def save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        if self.pane is not None and self.pane.identifier is not None:
            self.settings.setValue(LAST_INTEGRATION_KEY, self.pane.identifier)
        if self.system is not None:  # before attach there is no dock or splitter to remember
            self.settings.setValue("window/state", self.saveState())
            self.settings.setValue("window/splitter", self.splitter.saveState())
        company = self.system.env.company if self.system is not None else None
        if company is not None:
            self.settings.setValue(LAST_COMPANY_KEY, company.name)
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.dirty and not self._close_confirmed:
            event.ignore()
            self.guard_unsaved(self._close_confirmed_now)
            return
        if self._running_names() and not self._close_confirmed:
            event.ignore()
            self._ask_keep_syncing()
            return
        self.save_settings()
        if self.system is not None:  # closed while starting: nothing is watched yet
            self.watch_timer.stop()  # a closed window watches nothing (outlives its loop)
        event.accept()
        self.closed.emit()

    def _running_names(self) -> list[str]:
        """The integrations syncing in this process: by Sync now, or by the schedule."""
        manual = self.controller.running_names() if self.controller is not None else []
        return [*manual, *self.scheduled_syncs()]

    def _ask_keep_syncing(self) -> None:
        """A sync runs: stop it and quit, keep it going in the tray (if any), or stay open."""
        from ffdesk.ui.close_guard import KEEP_IN_TRAY, STOP_AND_QUIT, ask_close_during_sync

        def answered(answer: str) -> None:
            if answer == KEEP_IN_TRAY:
                self.save_settings()
                self.hide()
                self.hidden_to_tray.emit()
            elif answer == STOP_AND_QUIT:
                if self.controller is not None:  # recorded as stopped by closing, not Cancel
                    self.controller.stop_for_closing()
                # Scheduled runs stop with the scheduler as ffdesk quits: recorded as
                # interrupted, and their schedule runs them again.
                self._close_confirmed_now()

        ask_close_during_sync(
            self, self._running_names(), tray=self.tray_available, answered=answered
        )

    def focusNextPrevChild(self, next: bool) -> bool:
        """Tab and Shift+Tab follow the screen (tab_order), not the order widgets were made in."""
        from ffdesk.ui.tab_order import move_focus  # first Tab, not first paint

        return move_focus(self, next)

    def _close_confirmed_now(self) -> None:
        self._close_confirmed = True
        self.close()
