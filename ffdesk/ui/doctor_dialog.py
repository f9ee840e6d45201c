"""Help > Doctor: the `ffdesk doctor` report for the window's own database, one row per check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ffdesk.ui.tasks import spawn

if TYPE_CHECKING:
    from ffdesk.engine.system import System
    from ffdesk.services.doctor import DoctorReport


class DoctorDialog(QDialog):
    """Runs the doctor's checks and lists them with their fixes. Emits `report_shown()`."""

    report_shown = Signal()

    def __init__(self, system: System | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.system = system
        self.report: DoctorReport | None = None
        self.setObjectName("doctorDialog")
        self.setWindowTitle(self.tr("Doctor"))
        self.resize(760, 420)
        self.verdict = QLabel(self.tr("Checking…"))
        self.verdict.setObjectName("doctorVerdict")
        self.verdict.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setObjectName("doctorChecks")
        self.tree.setHeaderLabels([self.tr("Check"), self.tr("Status"), self.tr("Details")])
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)
        self.tree.setColumnWidth(0, 120)
        self.tree.setColumnWidth(1, 90)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.again = QPushButton(self.tr("Check &again"))
        self.again.setObjectName("doctorAgain")
        buttons.addButton(self.again, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.again.clicked.connect(self._on_again_clicked)
        layout = QVBoxLayout(self)
        layout.addWidget(self.verdict)
        layout.addWidget(self.tree, 1)
        layout.addWidget(buttons)

    def start(self) -> None:
        """Run the checks in the background; the rows appear when they are done."""
        self.again.setEnabled(False)
        self.verdict.setText(self.tr("Checking…"))
        spawn(self._run())

    def _on_again_clicked(self) -> None:
        self.start()

    async def _run(self) -> None:
        from ffdesk.services.doctor import run_checks

        try:
            self.report = await run_checks(system=self.system)
        finally:
            self.again.setEnabled(True)
        self._render(self.report)

    def _render(self, report: DoctorReport) -> None:
        statuses = {
            "ok": self.tr("ok"),
            "warning": self.tr("warning"),
            "problem": self.tr("problem"),
        }
        self.tree.clear()
        for check in report.checks:
            details = check.summary
            if check.fix:
                details += "\n" + self.tr("Fix: %1").replace("%1", check.fix)
            item = QTreeWidgetItem([check.name, statuses[check.status], details])
            item.setToolTip(2, details)
            self.tree.addTopLevelItem(item)
        if report.ok:
            self.verdict.setText(self.tr("Everything looks fine."))
        else:
            self.verdict.setText(self.tr("Some checks found a problem; each says how to fix it."))
        self.report_shown.emit()
