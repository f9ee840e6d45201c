"""One sync run in detail: times, trigger, counts by direction, failed records, log lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QModelIndex, QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ffdesk.engine.errors import UserError
from ffdesk.ui.history_tables import RunsModel
from ffdesk.ui.labels import run_state_label, trigger_label
from ffdesk.ui.tasks import spawn

if TYPE_CHECKING:
    from ffdesk.engine.system import System
    from ffdesk.services.runs import RunDetail

_WHEN = "%Y-%m-%d %H:%M:%S"


def duration_text(seconds: float | None) -> str:
    """A run's duration as people read it: "4.2 s", "3 min 05 s", "1 h 02 min"."""
    # translate() spelled out at each call: lupdate only files it under its context so.
    if seconds is None:
        return QCoreApplication.translate("RunDetailDialog", "still running")
    if seconds < 60:
        return QCoreApplication.translate("RunDetailDialog", "{seconds} s").format(
            seconds=f"{seconds:.1f}"
        )
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return QCoreApplication.translate("RunDetailDialog", "{minutes} min {seconds} s").format(
            minutes=minutes, seconds=f"{secs:02d}"
        )
    hours, minutes = divmod(minutes, 60)
    return QCoreApplication.translate("RunDetailDialog", "{hours} h {minutes} min").format(
        hours=hours, minutes=f"{minutes:02d}"
    )


class RunDetailDialog(QDialog):
    """A non-modal window on one run; Esc or Close closes it. Emits `log_folder_opened(str)`."""

    log_folder_opened = Signal(str)

    def __init__(self, detail: RunDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail = detail
        self.setObjectName("runDetail")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.setWindowTitle(
            self.tr("Sync run {run} of {name}").format(run=detail.run_id, name=detail.integration)
        )
        self.resize(760, 560)
        layout = QVBoxLayout(self)
        layout.addLayout(self._facts())
        layout.addWidget(self._section(self.tr("Records by direction")))
        self.counts = self._counts_table()
        layout.addWidget(self.counts)
        self.failures_label = self._section(
            self.tr("Failed records ({count})").format(count=detail.failed)
        )
        layout.addWidget(self.failures_label)
        self.failures = self._failures_table()
        layout.addWidget(self.failures, 2)
        layout.addWidget(self._section(self.tr("Log of this run")))
        self.log = QPlainTextEdit()
        self.log.setObjectName("runLog")
        self.log.setReadOnly(True)
        self.log.setTabChangesFocus(True)
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.log.setPlainText(
            "\n".join(detail.log) if detail.log else self.tr("This run wrote no log lines.")
        )
        layout.addWidget(self.log, 2)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.open_folder = QPushButton(self.tr("Open &log folder"))
        self.open_folder.setObjectName("openLogFolder")
        self.open_folder.setToolTip(
            self.tr(
                "ffdesk.log holds every run's lines, secrets masked; this run's read "
                '"{name} (run {run}): …"'
            ).format(name=detail.integration, run=detail.run_id)
        )
        buttons.addButton(self.open_folder, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.open_folder.clicked.connect(self._on_open_folder_clicked)
        layout.addWidget(buttons)

    def _section(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("sectionTitle")
        font = label.font()
        font.setBold(True)
        label.setFont(font)
        return label

    def _facts(self) -> QFormLayout:
        detail = self.detail
        form = QFormLayout()
        self.facts: dict[str, QLabel] = {}
        rows = (
            ("started", self.tr("Started:"), f"{detail.started:{_WHEN}}" if detail.started else ""),
            (
                "finished",
                self.tr("Ended:"),
                f"{detail.finished:{_WHEN}}" if detail.finished else self.tr("not yet"),
            ),
            ("duration", self.tr("Duration:"), duration_text(detail.duration)),
            ("trigger", self.tr("Started by:"), trigger_label(detail.trigger)),
            ("state", self.tr("State:"), run_state_label(detail.state)),
        )
        for key, label, value in rows:
            shown = QLabel(value)
            shown.setObjectName(f"run_{key}")
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts[key] = shown
            form.addRow(label, shown)
        if detail.error:
            error = QLabel(detail.error)
            error.setObjectName("run_error")
            error.setWordWrap(True)
            error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts["error"] = error
            form.addRow(self.tr("Error:"), error)
        return form

    def _counts_table(self) -> QTableWidget:
        detail = self.detail
        headers = [self.tr("Created"), self.tr("Updated"), self.tr("Skipped"), self.tr("Failed")]
        rows = (
            ("push", self.tr("Pushed to {name}").format(name=detail.integration)),
            ("pull", self.tr("Pulled from {name}").format(name=detail.integration)),
        )
        table = QTableWidget(len(rows), len(headers))
        table.setObjectName("runCounts")
        table.setHorizontalHeaderLabels(headers)
        table.setVerticalHeaderLabels([label for _key, label in rows])
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setTabKeyNavigation(False)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # eight numbers, also read out above
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for row, (key, _label) in enumerate(rows):
            counts = detail.directions.get(key, {})
            for column, kind in enumerate(("created", "updated", "skipped", "failed")):
                item = QTableWidgetItem(str(counts.get(kind, 0)))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                table.setItem(row, column, item)
        height = table.horizontalHeader().sizeHint().height() + 2 * table.rowHeight(0) + 4
        table.setFixedHeight(height)
        return table

    def _failures_table(self) -> QTableWidget:
        detail = self.detail
        table = QTableWidget(len(detail.failures), 2)
        table.setObjectName("runFailures")
        table.setHorizontalHeaderLabels([self.tr("Record"), self.tr("Reason")])
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setTabKeyNavigation(False)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.horizontalHeader().setStretchLastSection(True)
        table.setColumnWidth(0, 220)
        for row, failure in enumerate(detail.failures):
            record = QTableWidgetItem(failure.record)
            reason = QTableWidgetItem(failure.reason)
            reason.setToolTip(failure.reason)
            table.setItem(row, 0, record)
            table.setItem(row, 1, reason)
        if detail.failed > len(detail.failures):
            self.failures_label.setText(
                self.tr(
                    "Failed records ({count}; the first {shown} are listed, see the log)"
                ).format(count=detail.failed, shown=len(detail.failures))
            )
        return table

    def _on_open_folder_clicked(self) -> None:
        from ffdesk.logs import log_file

        folder = str(log_file().parent)
        QDesktopServices.openUrl(QUrl.fromLocalFile(folder))
        self.log_folder_opened.emit(folder)


class RunDetailLauncher(QObject):
    """Opens a run's detail on double-click or Enter in the Sync history table.

    Emits `detail_opened(RunDetailDialog)` once the dialog shows.
    """

    detail_opened = Signal(QDialog)
    detail_failed = Signal(str)

    def __init__(
        self, table: QTableView, model: RunsModel, system: System | None, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.table = table
        self.model = model
        self.system = system
        self.window = parent
        self.open_dialogs: dict[int, RunDetailDialog] = {}
        table.setToolTip(self.tr("Double-click a run, or press Enter, to see its detail"))
        table.activated.connect(self._on_table_activated)

    def _on_table_activated(self, index: QModelIndex) -> None:
        if index.isValid() and 0 <= index.row() < len(self.model.rows):
            spawn(self.open(self.model.rows[index.row()].run_id))

    async def open(self, run_id: int) -> RunDetailDialog | None:
        """Show the detail of run `run_id` (brought to the front if it is open already)."""
        shown = self.open_dialogs.get(run_id)
        if shown is not None:
            shown.raise_()
            shown.activateWindow()
            return shown
        if self.system is None:
            return None
        from ffdesk.services.runs import run_detail

        try:
            detail = await run_detail(self.system, run_id)
        except UserError as exc:
            self.detail_failed.emit(str(exc))
            return None
        dialog = RunDetailDialog(detail, self.window)
        self.open_dialogs[run_id] = dialog
        dialog.destroyed.connect(lambda *_: self.open_dialogs.pop(run_id, None))
        dialog.show()
        self.detail_opened.emit(dialog)
        return dialog
