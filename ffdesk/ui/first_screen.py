"""The window before its database is open: the catalogue and the pane as the last run left them.

Drawn from `catalogue_cache` right after the QApplication exists, while the engine is imported
and the database is opened and checked; `MainWindow.attach` then takes the catalogue over (the
same widget, so the selection and the scroll position stay) and the real pane replaces the
preview. Actions wait for the database: the header's buttons are disabled until then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QCoreApplication, Qt, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSplitter, QTabWidget, QVBoxLayout, QWidget

from ffdesk.ui.catalogue_cache import FirstScreen, FormRow, PaneSnapshot, without_password
from ffdesk.ui.catalogue_view import CatalogueView
from ffdesk.ui.pane_preview import PanePreview

if TYPE_CHECKING:
    from ffdesk.ui.main_window import MainWindow

CATALOGUE_WIDTH = 420  # as MainWindow.attach lays it out
SPLITTER_KEY = "window/splitter"


class CachedFirstScreen:
    """Draws a `FirstScreen` in a window not yet attached to its System."""

    def __init__(self, window: MainWindow, screen: FirstScreen, remembered: str | None) -> None:
        self.window = window
        self.screen = screen
        self.catalogue = CatalogueView(window.icons)
        self.catalogue.setMinimumWidth(300)
        self.preview = PanePreview(window.icons)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("mainSplitter")
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.catalogue)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        state = window.settings.value(SPLITTER_KEY)
        if not (isinstance(state, QByteArray) and splitter.restoreState(state)):
            width = max(window.width(), 1280)
            splitter.setSizes([CATALOGUE_WIDTH, width - CATALOGUE_WIDTH])
        window.setCentralWidget(_areas(splitter))  # replaces "Opening the database…"
        self._menus = _placeholder_menus(window)
        # Filled once in place: each reparenting above lays the tree out again, row by row
        # through Python (9,000 calls of the model's index() for 1,000 modules).
        self.catalogue.set_entries(screen.entries)
        window.catalogue = self.catalogue
        window.setWindowTitle(f"{window.windowTitle()} — {screen.company}")
        window.company_status.setText(
            QCoreApplication.translate("MainWindow", "Company: {name}").format(name=screen.company)
        )
        window.switcher.blockSignals(True)  # switching waits for the database
        window.switcher.addItem(screen.company)
        window.search.textChanged.connect(self.catalogue.set_search_text)
        self.catalogue.integration_selected.connect(self._on_catalogue_integration_selected)
        wanted = [remembered, screen.pane.identifier if screen.pane else None]
        identifier = next(
            (i for i in wanted if i and self.catalogue.model.entry(i) is not None),
            self.catalogue.first_identifier(),
        )
        if identifier is not None:
            # Scrolled to once shown: the list does not have its height yet (and Qt's own
            # scroll-to-current on show would use a height of the way, off by a few pixels).
            self.catalogue.tree.setAutoScroll(False)
            self.catalogue.select(identifier, notify=False, scroll=False)
            self._show(identifier)
        # Where the keyboard starts: the list of integrations (it stays when the real pane
        # comes), not the company switcher with its name selected.
        self.catalogue.tree.setFocus()

    def shown(self) -> None:
        """The window is shown (laid out, not yet painted): scroll to the current row."""
        self.catalogue.tree.setAutoScroll(True)
        self.catalogue.scroll_to_current()

    @property
    def identifier(self) -> str | None:
        """The integration the preview shows."""
        return self.preview.identifier

    def _show(self, identifier: str) -> None:
        entry = self.catalogue.model.entry(identifier)
        if entry is not None:
            self.preview.show_entry(entry, self.screen.pane)

    @Slot(str)
    def _on_catalogue_integration_selected(self, identifier: str) -> None:
        self._show(identifier)

    def release(self) -> CatalogueView:
        """Hand the catalogue (with its selection) to the attached window; the preview goes."""
        self.catalogue.integration_selected.disconnect(self._on_catalogue_integration_selected)
        self.window.search.textChanged.disconnect(self.catalogue.set_search_text)
        self.window.switcher.clear()
        self.window.switcher.blockSignals(False)
        for action in self._menus:
            self.window.menuBar().removeAction(action)
        self._menus.clear()
        return self.catalogue


def _areas(integrations: QWidget) -> QWidget:
    """The Integrations | Records tabs as the attached window has them (records_area)."""
    tabs = QTabWidget()
    tabs.setObjectName("areaTabs")
    tabs.setDocumentMode(True)
    tabs.addTab(integrations, QCoreApplication.translate("AreaTabs", "Integrations"))
    tabs.addTab(QWidget(), QCoreApplication.translate("AreaTabs", "Records"))
    central = QWidget()
    layout = QVBoxLayout(central)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(tabs, 1)
    return central


def _placeholder_menus(window: MainWindow) -> list[QAction]:
    """The menus the attached window adds before Help, by the same names (empty until then),
    so the menu bar does not change when the database is open."""
    waiting = QCoreApplication.translate("PanePreview", "Opening the database…")
    actions = []
    for title in (
        QCoreApplication.translate("DatabaseMenu", "&Database"),
        QCoreApplication.translate("ConfigMenu", "Confi&guration"),
    ):
        menu = QMenu(title, window)
        menu.addAction(waiting).setEnabled(False)
        actions.append(window.menuBar().insertMenu(window.help_menu.menuAction(), menu))
    activity = QAction(QCoreApplication.translate("MainWindow", "Acti&vity"), window)
    window.menuBar().insertAction(window.help_menu.menuAction(), activity)
    actions.append(activity)
    return actions


def snapshot(window: MainWindow) -> FirstScreen | None:
    """What the attached window shows now, for the next start (None if it shows nothing)."""
    system, pane = window.system, window.pane
    if system is None or pane is None or system.env.company is None:
        return None
    entries = window.catalogue.model.entries()
    shown: PaneSnapshot | None = None
    details = pane.details
    if details is not None and pane.identifier == details.identifier:
        header = pane.header
        shown = PaneSnapshot(
            identifier=details.identifier,
            name=header.title.text(),
            image=details.image,
            state=details.state,
            description=header.description.text(),
            meta=header.meta.text(),
            form=_form_rows(pane),
            tabs=tuple(pane.tabs.tabText(i) for i in range(pane.tabs.count())),
            note=pane.schedule_note.text() if pane.schedule_note.isVisibleTo(pane) else "",
        )
    return FirstScreen(
        database_id=str(system.db.id),
        company=str(system.env.company.name),
        entries=entries,
        pane=shown,
        database=without_password(system.db.url),
    )


def _form_rows(pane: Any) -> tuple[FormRow, ...]:
    from ffdesk.ui.context import system_env

    record = pane.form.record
    if record is None:
        return ()
    rows = []
    with system_env(pane.system):
        for row in pane.form.rows.values():
            item = row.item
            if not item.visible:
                continue
            readonly = item.readonly or item.type_name == "ManyToOne"  # as FieldRow shows it
            rows.append(
                FormRow(
                    name=item.name,
                    label=item.label,
                    widget=item.widget,
                    text=_as_text(item.display_value(record)),
                    required=item.required and not item.readonly,
                    group=item.path[0] if item.path else "",
                    readonly=readonly,
                    hint=item.hint if item.hint and not readonly else "",
                )
            )
    return tuple(rows)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
