"""The window's Records area: the record types on the left, their records on the right."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ffdesk.ui.records_browser import RecordsBrowser
from ffdesk.ui.tasks import spawn

if TYPE_CHECKING:
    from ffdesk.engine.system import System
    from ffdesk.ui.main_window import MainWindow

SIDEBAR_WIDTH = 220


class RecordsArea(QWidget):
    """Contacts, Payments, Messages, Shipments and each provider's own models, listed by the
    models' List views; the records of the chosen one in a `RecordsBrowser`."""

    def __init__(self, system: System, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordsArea")
        self.system = system
        self.loaded = False
        self.types = QListWidget()
        self.types.setObjectName("recordTypes")
        self.types.setAccessibleName(self.tr("Record types"))
        self.types.setFixedWidth(SIDEBAR_WIDTH)
        self.types.setTabKeyNavigation(False)
        self.types.setSpacing(2)
        caption = QLabel(self.tr("Record t&ypes"))
        caption.setObjectName("sectionTitle")
        caption.setBuddy(self.types)
        self.empty = QLabel(self.tr("Install an integration to see the records it syncs."))
        self.empty.setObjectName("emptyHint")
        self.empty.setWordWrap(True)
        self.empty.hide()
        self.browser = RecordsBrowser(system)
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(caption)
        side.addWidget(self.types, 1)
        side.addWidget(self.empty)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(12)
        layout.addLayout(side)
        layout.addWidget(self.browser, 1)
        self.types.currentItemChanged.connect(self._on_types_current_item_changed)

    async def refresh(self) -> None:
        """Read the record types and the shown records again (a module or company changed)."""
        from ffdesk.engine.env import env_ctx
        from ffdesk.services.records import RecordsService

        env_ctx.set(self.system.env)
        current = self.types.currentItem()
        wanted = current.data(Qt.ItemDataRole.UserRole) if current is not None else None
        infos = RecordsService(self.system).models()
        self.types.blockSignals(True)
        self.types.clear()
        for info in infos:
            item = QListWidgetItem(info.plural_label)
            item.setData(Qt.ItemDataRole.UserRole, info.name)
            item.setToolTip(info.module)
            self.types.addItem(item)
        names = [i.name for i in infos]
        row = names.index(wanted) if wanted in names else (0 if names else -1)
        self.types.setCurrentRow(row)
        self.types.blockSignals(False)
        self.empty.setVisible(not infos)
        self.browser._infos = infos
        self.loaded = True
        await self.browser.show_model(names[row] if row >= 0 else None)

    def select_type(self, name: str) -> None:
        """Show the records of model `name` (as a click on it in the list does)."""
        for row in range(self.types.count()):
            if self.types.item(row).data(Qt.ItemDataRole.UserRole) == name:
                self.types.setCurrentRow(row)
                return

    @Slot(QListWidgetItem, QListWidgetItem)
    def _on_types_current_item_changed(
        self, current: QListWidgetItem | None, _previous: QListWidgetItem | None
    ) -> None:
        name = current.data(Qt.ItemDataRole.UserRole) if current is not None else None
        spawn(self.browser.show_model(name))


class AreaTabs(QTabWidget):
    """The window's two areas: Integrations (the default) and Records.

    The Records area reads when it is shown, and again after a company switch, a module
    change or a finished sync while it is shown.
    """

    def __init__(self, integrations: QWidget, records: RecordsArea) -> None:
        super().__init__()
        self.setObjectName("areaTabs")
        self.setDocumentMode(True)
        self.records = records
        self._stale = True
        self.addTab(integrations, self.tr("Integrations"))
        self.addTab(records, self.tr("Records"))
        self.currentChanged.connect(self._on_current_changed)

    def records_changed(self) -> None:
        """What the Records area shows may have changed: read it again when it is seen."""
        self._stale = True
        if self.currentWidget() is self.records:
            self._stale = False
            spawn(self.records.refresh())

    @Slot(int)
    def _on_current_changed(self, _index: int) -> None:
        if self.currentWidget() is self.records and self._stale:
            self._stale = False
            spawn(self.records.refresh())


def add_records_area(window: MainWindow, system: System, integrations: QWidget) -> AreaTabs:
    """Put `integrations` (the catalogue and the pane) and a Records area in tabs."""
    tabs = AreaTabs(integrations, RecordsArea(system))
    window.company_changed.connect(tabs.records_changed)
    if window.pane is not None:
        window.pane.modules_changed.connect(tabs.records_changed)
    if window.controller is not None:
        window.controller.sync_finished.connect(tabs.records_changed)
    return tabs
