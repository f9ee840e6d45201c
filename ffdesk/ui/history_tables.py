"""The "Sync history" and "Mapped records" tables of the integration pane."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTableView,
    QWidget,
)

from ffdesk.services.window import MappingRow
from ffdesk.ui.labels import RUN_STATES, TRIGGERS, run_state_label, trigger_label
from ffdesk.ui.style import theme

if TYPE_CHECKING:  # the window draws its first screen before the engine is imported
    from ffdesk.services.runs import RunDetail

Index = QModelIndex | QPersistentModelIndex
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def format_when(value: datetime | None) -> str:
    """A timestamp as the tables show it: the time alone for today, else date and time."""
    if value is None:
        return ""
    if value.date() == datetime.now().date():
        return QCoreApplication.translate("HistoryTables", "Today {time}").format(
            time=f"{value:%H:%M:%S}"
        )
    return f"{value:%Y-%m-%d %H:%M}"


class _RowsModel(QAbstractTableModel):
    """A read-only table of value rows under fixed HEADERS (rows replaced as a whole).

    HEADERS are English sources marked with QT_TRANSLATE_NOOP in the subclass's context.
    """

    HEADERS: tuple[str, ...] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def header_alignment(self, section: int) -> Any:
        """A column's header alignment (None: Qt's default)."""
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.tr(self.HEADERS[section])
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole:
            return self.header_alignment(section)
        return None


class RunsModel(_RowsModel):
    """Recent sync runs, newest first."""

    HEADERS = (
        QT_TRANSLATE_NOOP("RunsModel", "Started"),
        QT_TRANSLATE_NOOP("RunsModel", "Trigger"),
        QT_TRANSLATE_NOOP("RunsModel", "State"),
        QT_TRANSLATE_NOOP("RunsModel", "Created"),
        QT_TRANSLATE_NOOP("RunsModel", "Updated"),
        QT_TRANSLATE_NOOP("RunsModel", "Skipped"),
        QT_TRANSLATE_NOOP("RunsModel", "Failed"),
        QT_TRANSLATE_NOOP("RunsModel", "Error"),
    )
    rows: list[RunDetail]

    def header_alignment(self, section: int) -> Any:
        return _RIGHT if 3 <= section <= 6 else _LEFT

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        run = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if run.state == "running" and 3 <= column <= 6:
                return "…"  # counted as the run goes; shown when it finishes
            values = (
                format_when(run.started),
                trigger_label(run.trigger),
                run_state_label(run.state, run.stop_reason),
                run.created,
                run.updated,
                run.skipped,
                run.failed,
                self.error_text(run),
            )
            return values[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 7 and (run.error or run.failed):
                tip = run.error or self.error_text(run)
                return tip + "\n" + self.tr("Double-click or press Enter for the run's detail.")
            if column == 0 and run.finished is not None and run.started is not None:
                seconds = (run.finished - run.started).total_seconds()
                return self.tr("Finished {when} ({seconds} s)").format(
                    when=f"{run.finished:%Y-%m-%d %H:%M:%S}", seconds=f"{seconds:.1f}"
                )
        if role == Qt.ItemDataRole.ForegroundRole:
            colors = theme()
            if column == 2:
                return QColor(colors.run_states.get(run.state, colors.text))
            if (column == 6 and run.failed) or column == 7:
                return QColor(colors.run_states["failed"])
        if role == Qt.ItemDataRole.TextAlignmentRole and 3 <= column <= 6:
            return _RIGHT
        return None

    def error_text(self, run: RunDetail) -> str:
        """The Error cell: the run's error, else what failed ("160 records failed: first: …")."""
        if run.error:
            return run.error.splitlines()[0]
        if run.failed and run.state != "running":
            if run.first_failure:
                return self.tr("{count} records failed: first: {first}").format(
                    count=run.failed, first=run.first_failure
                )
            return self.tr("{count} records failed; see the run's detail").format(count=run.failed)
        return ""


class MappingsModel(_RowsModel):
    """Local records and the remote objects they are linked to."""

    HEADERS = (
        QT_TRANSLATE_NOOP("MappingsModel", "Model"),
        QT_TRANSLATE_NOOP("MappingsModel", "Local ID"),
        QT_TRANSLATE_NOOP("MappingsModel", "Remote ID"),
    )
    rows: list[MappingRow]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        row = self.rows[index.row()]
        return (row.model, row.local_id, row.remote_id)[index.column()]


class TablePage(QStackedWidget):
    """A table, or a sentence in its place while it has no rows."""

    def __init__(
        self, model: QAbstractTableModel, empty_text: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.table = QTableView()
        self.table.setModel(model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # one Tab stop: Tab leaves, arrows move inside
        self.table.setAlternatingRowColors(False)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(_LEFT)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.empty = QLabel(empty_text)
        self.empty.setObjectName("emptyHint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.addWidget(self.table)
        self.addWidget(self.empty)
        model.modelReset.connect(self._on_model_reset)
        self._on_model_reset()

    def _on_model_reset(self) -> None:
        has_rows = self.model.rowCount() > 0
        self.setCurrentWidget(self.table if has_rows else self.empty)


class RunColumnSizer(QObject):
    """Sizes the Sync history's columns to their content and keeps Failed and Error on screen.

    When the table is too narrow for every column plus a readable Error, the columns a run's
    detail also shows go first (Trigger, then Skipped, then Updated); they come back as the
    table widens.
    """

    #: Columns hidden first when room runs out, in that order.
    DROPPABLE = (1, 5, 4)
    #: Room the Error column keeps at least.
    ERROR_ROOM = 170
    PADDING = 18

    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self.table = table
        table.horizontalHeader().setMinimumSectionSize(24)
        table.viewport().installEventFilter(self)
        model = table.model()
        model.modelReset.connect(self.fit)
        self.fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def natural_width(self, column: int) -> int:
        """What a column needs: its header (with the style's padding) or its widest cell."""
        table = self.table
        header = table.horizontalHeader()
        metrics = table.fontMetrics()
        # Every word a state or trigger cell can show, in the user's language: never elided.
        samples = {
            0: [
                QCoreApplication.translate("HistoryTables", "Today {time}").format(time="23:59:59")
            ],
            1: [trigger_label(t) for t in TRIGGERS],
            2: [run_state_label(s) for s in RUN_STATES],
        }
        return max(
            header.sectionSizeFromContents(column).width(),
            max((metrics.horizontalAdvance(t) for t in samples.get(column, [""])), default=0)
            + self.PADDING,
            table.sizeHintForColumn(column),
        )

    def fit(self) -> None:
        table = self.table
        widths = {column: self.natural_width(column) for column in range(7)}
        room = table.viewport().width() - self.ERROR_ROOM
        hidden: set[int] = set()
        for column in self.DROPPABLE:
            if sum(w for c, w in widths.items() if c not in hidden) <= room:
                break
            hidden.add(column)
        for column, width in widths.items():
            table.setColumnHidden(column, column in hidden)
            if column not in hidden:
                table.setColumnWidth(column, width)


def size_run_columns(table: QTableView) -> RunColumnSizer:
    """Columns that fit their content; Error takes the rest (see RunColumnSizer)."""
    return RunColumnSizer(table)


def size_mapping_columns(table: QTableView) -> None:
    metrics = table.fontMetrics()
    table.setColumnWidth(0, metrics.horizontalAdvance("PaymentTransaction") + 28)
    table.setColumnWidth(1, metrics.horizontalAdvance("Local ID") + 60)
