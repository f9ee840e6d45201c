"""The pane's sync tools: the Preview tab, and Resync on the mapped records table."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ffdesk.sync.runner import RunOutcome, RunState
from ffdesk.ui.history_tables import MappingsModel, TablePage


class MappingsPage(QWidget):
    """The mapped records table with a Resync action (button and context menu).

    Emits `resync_requested(str model, str local_id)` for the selected row.
    """

    resync_requested = Signal(str, str)

    def __init__(self, page: TablePage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.page = page
        self.table = page.table
        model = page.model
        assert isinstance(model, MappingsModel)
        self.model = model
        self.resync_button = QPushButton(self.tr("&Resync"))
        self.resync_button.setObjectName("resyncButton")
        self.resync_button.setToolTip(
            self.tr("Push or pull the selected record again, even if it has not changed")
        )
        self.resync_button.setEnabled(False)
        self.resync_button.clicked.connect(self._on_resync_button_clicked)
        self.resync_action = QAction(self.tr("Resync"), self)
        self.resync_action.setObjectName("resyncAction")
        self.resync_action.triggered.connect(self._on_resync_button_clicked)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.table.addAction(self.resync_action)
        self._allowed = False

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addStretch(1)
        buttons.addWidget(self.resync_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(page, 1)
        layout.addLayout(buttons)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        model.modelReset.connect(self._update)

    def selected(self) -> tuple[str, str] | None:
        """(model, local id) of the selected row, if one is."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        row = self.model.rows[rows[0].row()]
        return row.model, row.local_id

    def set_allowed(self, allowed: bool, reason: str = "") -> None:
        """Resync needs an integration that can sync now (enabled, not running, not busy)."""
        self._allowed = allowed
        self.resync_button.setToolTip(
            reason or self.tr("Push or pull the selected record again, even if it has not changed")
        )
        self._update()

    @Slot()
    def _update(self) -> None:
        enabled = self._allowed and self.selected() is not None
        self.resync_button.setEnabled(enabled)
        self.resync_action.setEnabled(enabled)

    @Slot()
    def _on_selection_changed(self, *_args: object) -> None:
        self._update()

    @Slot()
    def _on_resync_button_clicked(self) -> None:
        chosen = self.selected()
        if chosen is not None and self._allowed:
            self.resync_requested.emit(*chosen)


class PreviewPage(QWidget):
    """What a sync would do, as the last Preview found it (nothing was sent or saved)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel(self.tr("Press Preview to see what a sync would send and ask for."))
        self.summary.setObjectName("previewSummary")
        self.summary.setWordWrap(True)
        self.lines = QListWidget()
        self.lines.setObjectName("syncPreview")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.summary)
        layout.addWidget(self.lines, 1)

    def show_outcome(self, outcome: RunOutcome | None) -> None:
        """Render a preview's outcome (None: no preview yet for this integration)."""
        self.lines.clear()
        if outcome is None:
            self.summary.setText(
                self.tr("Press Preview to see what a sync would send and ask for.")
            )
            return
        if outcome.state == RunState.FAILED:
            self.summary.setText(
                self.tr("Preview failed: {error}").format(error=outcome.error or "")
            )
        else:
            self.summary.setText(
                self.tr(
                    "A sync now would create {created} and update {updated} records "
                    "({skipped} unchanged). Nothing was sent or saved."
                ).format(created=outcome.created, updated=outcome.updated, skipped=outcome.skipped)
            )
        self.lines.addItems(list(outcome.preview))
