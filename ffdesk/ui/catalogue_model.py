"""The catalogue as a two-level item model (categories, then entries) and its filter proxy."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from ffdesk.services.catalogue_entry import ENABLED, INSTALLED, CatalogueEntry, shown_state
from ffdesk.ui.labels import state_label

Index = QModelIndex | QPersistentModelIndex
_HEADER_ID = 0
_HEADER_FLAGS = Qt.ItemFlag.NoItemFlags
_ENTRY_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
)
#: The state filter's choices: label shown (translated by the view), state matched (None: all).
STATE_FILTERS: tuple[tuple[str, str | None], ...] = (
    (QT_TRANSLATE_NOOP("CatalogueView", "All"), None),
    (QT_TRANSLATE_NOOP("CatalogueView", "Not installed"), "Not Installed"),
    (QT_TRANSLATE_NOOP("CatalogueView", "Installed"), "Installed"),
    (QT_TRANSLATE_NOOP("CatalogueView", "Enabled"), "Enabled"),
)


class Role(IntEnum):
    """Data roles of the catalogue model beyond Qt's own."""

    IDENTIFIER = Qt.ItemDataRole.UserRole + 1
    DESCRIPTION = Qt.ItemDataRole.UserRole + 2
    STATE = Qt.ItemDataRole.UserRole + 3
    IMAGE = Qt.ItemDataRole.UserRole + 4
    PROBLEM = Qt.ItemDataRole.UserRole + 5
    IS_HEADER = Qt.ItemDataRole.UserRole + 6
    CATEGORY = Qt.ItemDataRole.UserRole + 7
    SEARCH_TEXT = Qt.ItemDataRole.UserRole + 8
    # What the integration is doing now ("Testing…", "Syncing…"), "" when idle.
    ACTIVITY = Qt.ItemDataRole.UserRole + 9


class CatalogueModel(QAbstractItemModel):
    """Categories as top-level rows, their integrations as children; no widget per row."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._categories: list[str] = []
        self._groups: list[list[CatalogueEntry]] = []
        self._where: dict[str, tuple[int, int]] = {}  # identifier -> (group, row)
        self._search: dict[str, str] = {}
        # Kept apart from the entries: a reload of the catalogue does not stop a Test.
        self._activities: dict[str, str] = {}

    # -- content -----------------------------------------------------------------------
    def set_entries(self, entries: Sequence[CatalogueEntry]) -> None:
        """Replace everything (entries arrive sorted by category, then name)."""
        self.beginResetModel()
        self._categories, self._groups, self._where, self._search = [], [], {}, {}
        for entry in entries:
            if not self._categories or self._categories[-1] != entry.category:
                self._categories.append(entry.category)
                self._groups.append([])
            group = len(self._categories) - 1
            self._where[entry.identifier] = (group, len(self._groups[group]))
            self._groups[group].append(entry)
        self.endResetModel()

    def update_states(self, states: dict[str, str]) -> None:
        """Change the badges of some entries (e.g. after a company switch) in place."""
        for identifier, state in states.items():
            self.update_entry(identifier, state=state)

    def update_entry(self, identifier: str, **changes: Any) -> None:
        where = self._where.get(identifier)
        if where is None:
            return
        group, row = where
        entry = self._groups[group][row]
        updated = entry._replace(**changes)
        if updated == entry:
            return
        self._groups[group][row] = updated
        self._search.pop(identifier, None)
        index = self.index(row, 0, self.index(group, 0))
        self.dataChanged.emit(index, index)

    def set_activities(self, activities: dict[str, str]) -> None:
        """What the integrations at work are doing ("Testing…"), by identifier; others idle."""
        if activities == self._activities:
            return
        changed = set(activities) | set(self._activities)
        self._activities = dict(activities)
        for identifier in changed:
            index = self.index_of(identifier)
            if index.isValid():
                self.dataChanged.emit(index, index)

    def entry(self, identifier: str) -> CatalogueEntry | None:
        where = self._where.get(identifier)
        return self._groups[where[0]][where[1]] if where is not None else None

    def entry_count(self) -> int:
        return len(self._where)

    def entries(self) -> list[CatalogueEntry]:
        return [entry for group in self._groups for entry in group]

    def index_of(self, identifier: str) -> QModelIndex:
        where = self._where.get(identifier)
        if where is None:
            return QModelIndex()
        return self.index(where[1], 0, self.index(where[0], 0))

    # -- QAbstractItemModel --------------------------------------------------------------
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:
        if column != 0 or row < 0:
            return QModelIndex()
        if not parent.isValid():
            if row >= len(self._categories):
                return QModelIndex()
            return self.createIndex(row, 0, _HEADER_ID)
        if parent.internalId() != _HEADER_ID:
            return QModelIndex()
        group = parent.row()
        if row >= len(self._groups[group]):
            return QModelIndex()
        return self.createIndex(row, 0, group + 1)

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid() or index.internalId() == _HEADER_ID:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, _HEADER_ID)

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        if not parent.isValid():
            return len(self._categories)
        if parent.internalId() == _HEADER_ID:
            return len(self._groups[parent.row()])
        return 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 1

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:
        return self.rowCount(parent) > 0

    def flags(self, index: Index) -> Qt.ItemFlag:
        # Asked several times per row whenever the tree lays out (6,000 calls for 1,000
        # modules at start-up): the values are made once, not combined anew on every call.
        if not index.isValid() or index.internalId() == _HEADER_ID:
            return _HEADER_FLAGS  # headers: not selectable, skipped by the keyboard
        return _ENTRY_FLAGS

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if index.internalId() == _HEADER_ID:
            category = self._categories[index.row()]
            if role in (Qt.ItemDataRole.DisplayRole, Role.CATEGORY):
                return category
            if role == Role.IS_HEADER:
                return True
            return None
        entry = self._groups[index.internalId() - 1][index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return entry.name
        if role == Role.IDENTIFIER:
            return entry.identifier
        if role == Role.DESCRIPTION:
            return entry.description
        if role == Role.STATE:
            return entry.state
        if role == Role.IMAGE:
            return entry.image
        if role == Role.PROBLEM:
            return entry.problem
        if role == Role.CATEGORY:
            return entry.category
        if role == Role.IS_HEADER:
            return False
        if role == Role.ACTIVITY:
            return self._activities.get(entry.identifier, "")
        if role == Qt.ItemDataRole.ToolTipRole:
            shown = state_label(shown_state(entry.state, entry.problem))
            text = f"{entry.name} — {shown}\n{entry.description}"
            if not entry.problem:
                return text
            return text + "\n\n" + self.tr("Problem: {problem}").format(problem=entry.problem)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            activity = self._activities.get(entry.identifier)
            text = f"{entry.name}, {state_label(shown_state(entry.state, entry.problem))}"
            return f"{text}, {activity}" if activity else text
        if role == Role.SEARCH_TEXT:
            text = self._search.get(entry.identifier)
            if text is None:
                text = " ".join(
                    (
                        entry.name,
                        entry.identifier,
                        entry.description,
                        entry.category,
                        entry.state,
                        # what the user reads on the badge
                        state_label(shown_state(entry.state, entry.problem)),
                    )
                ).casefold()
                self._search[entry.identifier] = text
            return text
        return None


class CatalogueFilter(QSortFilterProxyModel):
    """Keeps entries matching every word of the search text and the chosen state.

    A category header stays visible only while one of its entries does.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setRecursiveFilteringEnabled(True)
        self.setDynamicSortFilter(True)
        self._words: list[str] = []
        self._state: str | None = None

    def set_search_text(self, text: str) -> None:
        words = text.casefold().split()
        if words != self._words:
            self.beginFilterChange()
            self._words = words
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_state(self, state: str | None) -> None:
        if state != self._state:
            self.beginFilterChange()
            self._state = state
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    @property
    def active(self) -> bool:
        return bool(self._words) or self._state is not None

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not source_parent.isValid():
            return False  # a header: shown when one of its entries is (recursive filtering)
        if not self._words and self._state is None:
            return True  # asked for every row at each reset: no index made when nothing filters
        model = self.sourceModel()
        index = model.index(source_row, 0, source_parent)
        if self._state is not None:
            state = model.data(index, Role.STATE)
            # "Installed" means installed, enabled or not: enabling does not uninstall.
            wanted = {INSTALLED, ENABLED} if self._state == INSTALLED else {self._state}
            if state not in wanted:
                return False
        if self._words:
            haystack = model.data(index, Role.SEARCH_TEXT)
            return all(word in haystack for word in self._words)
        return True

    def entry_count(self) -> int:
        """How many entries pass the filter."""
        return sum(self.rowCount(self.index(row, 0)) for row in range(self.rowCount()))
