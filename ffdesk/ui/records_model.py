"""A table model over a listing of records that reads only the pages a view shows."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

#: Rows read at once. Measured (bench/bench_records_window.py): a page of 100 payments is read in
#: about 1-2 ms on SQLite, well inside a frame, so pages are read synchronously where the view
#: asks for them and a fast scroll never shows empty rows.
PAGE_SIZE = 100
#: Pages kept in memory (the rest are read again when scrolled back to).
CACHED_PAGES = 64
#: Role of a row's record id.
RECORD_ID_ROLE = Qt.ItemDataRole.UserRole + 1
NUMERIC_TYPES = frozenset({"Integer", "Float", "Monetary"})

Index = QModelIndex | QPersistentModelIndex
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class ListedColumn(Protocol):
    """What the model needs of a List view column (records service's `Column`)."""

    name: str
    label: str
    type_name: str
    sortable: bool


class ListedRow(Protocol):
    """What the model needs of a listed row (records service's `Row`)."""

    id: int
    texts: dict[str, str]


#: Reads the rows of some ids, in that order (ids that vanished are left out).
RowReader = Callable[[Sequence[int]], Sequence[ListedRow]]


def read_now(coro: Coroutine[Any, Any, Any]) -> Any:
    """The result of a coroutine that finishes without waiting (the engine's reads).

    The records service's reads are short synchronous transactions behind an async
    signature (SPEC 2.3); a view asks for a row inside a paint, where nothing can be awaited.
    """
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise RuntimeError("a page read waited for something; it must finish at once")


class RecordsTableModel(QAbstractTableModel):
    """Rows of one listing: every matching id is known, a row's texts are read by page.

    `set_listing` swaps in a new result in one reset (a filter or a sort), so the view never
    shows half of one and half of the other.
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._columns: list[ListedColumn] = []
        self._ids: Sequence[int] = ()
        self._reader: RowReader | None = None
        self._pages: OrderedDict[int, list[tuple[str, ...] | None]] = OrderedDict()
        self._current_number = -1
        self._current_page: list[tuple[str, ...] | None] = []
        #: Per column: whether its numbers are aligned right.
        self._right: list[bool] = []
        #: How many pages were read since the last reset (the bench and the tests look).
        self.pages_read = 0

    # -- content -----------------------------------------------------------------------
    def set_listing(
        self, columns: Sequence[ListedColumn], ids: Sequence[int], reader: RowReader
    ) -> None:
        self.beginResetModel()
        self._columns = list(columns)
        self._ids = ids
        self._reader = reader
        self._right = [c.type_name in NUMERIC_TYPES for c in self._columns]
        self._forget_pages()
        self.pages_read = 0
        self.endResetModel()

    def clear(self) -> None:
        self.beginResetModel()
        self._columns = []
        self._ids = ()
        self._reader = None
        self._right = []
        self._forget_pages()
        self.endResetModel()

    def refresh_rows(self) -> None:
        """Read the shown rows again (a record changed), keeping the ids and their order."""
        self._forget_pages()
        if self._ids and self._columns:
            last = self.index(len(self._ids) - 1, len(self._columns) - 1)
            self.dataChanged.emit(self.index(0, 0), last)

    def _forget_pages(self) -> None:
        self._pages.clear()
        self._current_number = -1
        self._current_page = []

    @property
    def columns(self) -> list[ListedColumn]:
        return list(self._columns)

    def record_id(self, row: int) -> int | None:
        return int(self._ids[row]) if 0 <= row < len(self._ids) else None

    def row_of(self, record_id: int) -> int | None:
        """The row of a record id (a linear look: used after a user action, not per paint)."""
        for row, found in enumerate(self._ids):
            if found == record_id:
                return row
        return None

    def column_of(self, name: str) -> int | None:
        return next((i for i, c in enumerate(self._columns) if c.name == name), None)

    def row_texts(self, row: int) -> dict[str, str]:
        texts = self._texts(row)
        if texts is None:
            return {}
        return {column.name: text for column, text in zip(self._columns, texts, strict=True)}

    def _texts(self, row: int) -> tuple[str, ...] | None:
        """The display texts of `row` in column order, its page read if needed.

        Called for every painted cell: the page in use is kept at hand, so a paint costs
        one division and two look-ups per cell.
        """
        number = row // PAGE_SIZE
        if number != self._current_number:
            page = self._pages.get(number)
            if page is None:
                page = self._read_page(number)
            else:
                self._pages.move_to_end(number)
            self._current_number, self._current_page = number, page
        return self._current_page[row - number * PAGE_SIZE]

    def _read_page(self, number: int) -> list[tuple[str, ...] | None]:
        ids = self._ids[number * PAGE_SIZE : (number + 1) * PAGE_SIZE]
        found = {int(r.id): r for r in self._reader(ids)} if self._reader is not None else {}
        names = [column.name for column in self._columns]
        page: list[tuple[str, ...] | None] = []
        for record_id in ids:
            record = found.get(int(record_id))
            page.append(None if record is None else tuple(record.texts.get(n, "") for n in names))
        self.pages_read += 1
        self._pages[number] = page
        if len(self._pages) > CACHED_PAGES:
            self._pages.popitem(last=False)
        return page

    # -- Qt ------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Most calls of a paint ask for roles this model has nothing for: answer them first.
        if role == _DISPLAY:
            if not 0 <= index.row() < len(self._ids):
                return None
            texts = self._texts(index.row())
            return texts[index.column()] if texts is not None else ""
        if role == _ALIGNMENT:
            column = index.column()
            if 0 <= column < len(self._right) and self._right[column]:
                return _RIGHT
            return None
        if role == _TOOLTIP:
            if not 0 <= index.row() < len(self._ids):
                return None
            texts = self._texts(index.row())
            text = texts[index.column()] if texts is not None else ""
            return text if len(text) > 40 else None
        if role == RECORD_ID_ROLE:
            return self.record_id(index.row())
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._columns[section].label
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return _ROW_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags
