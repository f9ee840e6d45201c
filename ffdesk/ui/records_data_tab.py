"""The integration pane's "Data" tab: the records of the integration shown in the pane."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QTabWidget, QWidget

from ffdesk.ui.records_browser import RecordsBrowser
from ffdesk.ui.tasks import spawn

MIN_HEIGHT = 120

if TYPE_CHECKING:
    from ffdesk.engine.system import System


class DataTab(RecordsBrowser):
    """A `RecordsBrowser` over one integration's records (a chooser for its record types).

    It reads only while it is the current tab: a pane that shows the form costs nothing.
    """

    def __init__(self, system: System, tabs: QTabWidget, parent: QWidget | None = None) -> None:
        super().__init__(system, model_choice=True, parent=parent)
        self.setObjectName("integrationData")
        # Its rows fit in less than the form above needs: never make the pane (and with it
        # the window) taller than the other tabs do; the table scrolls instead.
        self.setMinimumHeight(MIN_HEIGHT)
        self.tabs = tabs
        self.installed = False
        self._stale = True
        tabs.currentChanged.connect(self._on_tabs_current_changed)

    def show_integration(self, identifier: str, *, installed: bool) -> None:
        """The pane shows `identifier` (again, after a sync): read its records when seen."""
        if identifier != self.integration:
            self.info = None
            self.search.clear()
            self.filter.clear()
        self.integration = identifier
        self.installed = installed
        self._stale = True
        if self.tabs.currentWidget() is self:
            spawn(self.load())

    async def load(self) -> None:
        self._stale = False
        if not self.installed or self.integration is None:
            self._infos = []
            self.model_chooser.clear()
            await self.show_model(None)
            return
        await self.load_models()

    @Slot(int)
    def _on_tabs_current_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self and self._stale:
            spawn(self.load())
