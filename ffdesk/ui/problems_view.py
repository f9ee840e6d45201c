"""The list of modules with problems and their one-line reasons."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ffdesk.services.window import ModuleProblem
from ffdesk.ui.icons import glyph
from ffdesk.ui.style import theme, theme_signals


class ProblemsView(QWidget):
    """Modules that cannot be installed, each with the reason naming the file (and line)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("problemsView")
        self.problems: list[ModuleProblem] = []
        self.model = QStandardItemModel(0, 2, self)
        self.model.setHorizontalHeaderLabels([self.tr("Module"), self.tr("Problem")])
        self.table = QTableView()
        self.table.setObjectName("problemsTable")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # one Tab stop: Tab leaves, arrows move inside
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(0, 220)
        self.empty = QLabel(self.tr("Every module loaded without problems."))
        self.empty.setObjectName("emptyHint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 8)
        layout.addWidget(self.stack)
        self.set_problems([])
        theme_signals.changed.connect(self._on_theme_changed)

    def set_problems(self, problems: Sequence[ModuleProblem]) -> None:
        self.problems = list(problems)
        self.model.removeRows(0, self.model.rowCount())
        icon = glyph("warning", theme().warning_icon)
        for problem in self.problems:
            module = QStandardItem(icon, problem.identifier)
            module.setToolTip(f"{problem.name} ({problem.identifier})")
            reason = QStandardItem(problem.reason)
            reason.setToolTip(problem.reason)
            self.model.appendRow([module, reason])
        self.stack.setCurrentWidget(self.table if self.problems else self.empty)

    @Slot()
    def _on_theme_changed(self) -> None:
        self.set_problems(self.problems)  # warning icons in the new colours

    def reasons(self) -> dict[str, str]:
        return {p.identifier: p.reason for p in self.problems}
