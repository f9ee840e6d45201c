"""The "Activity" tables: the audit trail of one integration (pane tab) or of everything."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtWidgets import QDockWidget, QWidget

from ffdesk.services.audit import describe_changes
from ffdesk.ui.history_tables import Index, TablePage, _RowsModel, format_when


class ActivityModel(_RowsModel):
    """Audit entries, newest first: when, who on which computer, what and how it changed."""

    HEADERS = (
        QT_TRANSLATE_NOOP("ActivityModel", "When"),
        QT_TRANSLATE_NOOP("ActivityModel", "Who"),
        QT_TRANSLATE_NOOP("ActivityModel", "What"),
        QT_TRANSLATE_NOOP("ActivityModel", "Change"),
    )
    rows: list[dict[str, Any]]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        row = self.rows[index.row()]
        values = (
            format_when(row["when"]),
            f"{row['user']}@{row['host']}",
            f"{row['subject']} ({row['action']})",
            describe_changes(row["changes"]),
        )
        return values[index.column()]


def activity_page(parent: QWidget | None = None) -> TablePage:
    page = TablePage(ActivityModel(parent), "")
    page.empty.setText(page.tr("No change has been made yet."))
    page.table.setColumnWidth(0, 130)
    page.table.setColumnWidth(1, 160)
    page.table.setColumnWidth(2, 200)
    return page


class ActivityDock(QDockWidget):
    """Every configuration change of this database (all companies), newest first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Activity"), parent)
        self.setObjectName("activityDock")
        self.page = activity_page(self)
        self.page.table.setObjectName("globalActivity")
        self.setWidget(self.page)
