"""The left panel: the state filter, the catalogue list and its empty state."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ffdesk.services.catalogue_entry import CatalogueEntry
from ffdesk.ui.catalogue_delegate import CatalogueDelegate
from ffdesk.ui.catalogue_model import STATE_FILTERS, CatalogueFilter, CatalogueModel, Role
from ffdesk.ui.icons import IconCache


class CatalogueView(QWidget):
    """Lists integrations by category with their state; emits `integration_selected(str)`."""

    integration_selected = Signal(str)

    def __init__(self, icons: IconCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cataloguePanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.model = CatalogueModel(self)
        self.proxy = CatalogueFilter(self)
        self.proxy.setSourceModel(self.model)
        self._notify = True

        self.state_filter = QComboBox()
        self.state_filter.setObjectName("stateFilter")
        self.state_filter.setAccessibleName(self.tr("Show integrations"))
        for label, state in STATE_FILTERS:
            self.state_filter.addItem(self.tr(label), state)
        self.count_label = QLabel()
        self.count_label.setObjectName("catalogueCount")

        self.tree = QTreeView()
        self.tree.setObjectName("catalogue")
        self.tree.setModel(self.proxy)
        self.tree.setItemDelegate(CatalogueDelegate(icons, self.tree))
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setItemsExpandable(False)
        self.tree.setExpandsOnDoubleClick(False)
        self.tree.setIndentation(0)
        self.tree.setUniformRowHeights(True)
        self.tree.setMouseTracking(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tree.setAccessibleName(self.tr("Integrations"))

        self.empty = QLabel()
        self.empty.setObjectName("emptyHint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.tree)
        self.stack.addWidget(self.empty)

        bar = QHBoxLayout()
        bar.setContentsMargins(12, 10, 12, 6)
        show = QLabel(self.tr("Sho&w"))
        show.setBuddy(self.state_filter)
        bar.addWidget(show)
        bar.addWidget(self.state_filter)
        bar.addStretch(1)
        bar.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)

        self.state_filter.currentIndexChanged.connect(self._on_state_filter_changed)
        self.tree.selectionModel().currentRowChanged.connect(self._on_selection_current_changed)
        for signal in (self.proxy.modelReset, self.proxy.layoutChanged, self.proxy.rowsInserted):
            signal.connect(self._on_proxy_changed)
        self._update_counts()

    # -- content -----------------------------------------------------------------------
    def set_entries(self, entries: Sequence[CatalogueEntry]) -> None:
        current = self.current_identifier()
        self._notify = False
        try:
            self.model.set_entries(entries)
            if current is not None:
                self.select(current, notify=False)
        finally:
            self._notify = True
        self._update_counts()

    def update_entry(self, identifier: str, **changes: object) -> None:
        self.model.update_entry(identifier, **changes)
        if self.proxy.active:
            self._update_counts()

    def set_search_text(self, text: str) -> None:
        self.proxy.set_search_text(text)
        self._update_counts()

    def set_state_filter(self, state: str | None) -> None:
        index = self.state_filter.findData(state)
        if index >= 0:
            self.state_filter.setCurrentIndex(index)

    # -- selection ---------------------------------------------------------------------
    def current_identifier(self) -> str | None:
        index = self.tree.currentIndex()
        if not index.isValid() or index.data(Role.IS_HEADER):
            return None
        return str(index.data(Role.IDENTIFIER))

    def select(self, identifier: str | None, *, notify: bool = True, scroll: bool = True) -> bool:
        """Make `identifier` current (False if it is not listed); optionally stay silent, and
        leave scrolling to it for later (`scroll_to_current`, once the list has its size)."""
        proxy_index = QModelIndex()
        if identifier is not None:
            proxy_index = self.proxy.mapFromSource(self.model.index_of(identifier))
        previous, self._notify = self._notify, notify
        try:
            selection = self.tree.selectionModel()
            if proxy_index.isValid():
                selection.setCurrentIndex(
                    proxy_index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                )
                if scroll:
                    self.tree.scrollTo(proxy_index)
            else:
                selection.clear()
        finally:
            self._notify = previous
        return proxy_index.isValid()

    def scroll_to_current(self) -> None:
        """Bring the current integration into view (no scrolling when it is in view)."""
        current = self.tree.currentIndex()
        if current.isValid():
            self.tree.scrollTo(current)

    def first_identifier(self) -> str | None:
        for row in range(self.proxy.rowCount()):
            header = self.proxy.index(row, 0)
            if self.proxy.rowCount(header):
                return str(self.proxy.index(0, 0, header).data(Role.IDENTIFIER))
        return None

    # -- slots ---------------------------------------------------------------------------
    @Slot(QModelIndex, QModelIndex)
    def _on_selection_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._notify and current.isValid() and not current.data(Role.IS_HEADER):
            self.integration_selected.emit(str(current.data(Role.IDENTIFIER)))

    @Slot(int)
    def _on_state_filter_changed(self, _index: int) -> None:
        self.proxy.set_state(self.state_filter.currentData())
        self._update_counts()

    @Slot()
    def _on_proxy_changed(self) -> None:
        self._expand_headers()

    def _expand_headers(self) -> None:
        # Only the category rows have children; expandAll() would lay out every entry.
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if not self.tree.isExpanded(index):
                self.tree.setExpanded(index, True)

    def _update_counts(self) -> None:
        total = self.model.entry_count()
        shown = self.proxy.entry_count() if self.proxy.active else total
        if shown != total:
            count = self.tr("{shown} of {total}").format(shown=shown, total=total)
        elif total == 1:
            count = self.tr("{total} integration").format(total=total)
        else:
            count = self.tr("{total} integrations").format(total=total)
        self.count_label.setText(count)
        if shown:
            self.stack.setCurrentWidget(self.tree)
        else:
            self.empty.setText(
                self.tr("No integration matches the search or the filter.")
                if total
                else self.tr("No integration modules were found.")
            )
            self.stack.setCurrentWidget(self.empty)
        self._expand_headers()
