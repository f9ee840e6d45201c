"""Shown instead of the main window when the database or modules cannot be opened at all."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QPushButton, QVBoxLayout, QWidget

from ffdesk.ui import dialogs
from ffdesk.ui.errors import ErrorReport
from ffdesk.ui.icons import app_icon
from ffdesk.ui.message_bar import MessageBar


class StartupErrorWindow(QMainWindow):
    """Says in plain words why ffdesk could not start, with Details and Quit; emits `closed()`."""

    closed = Signal()

    def __init__(self, report: ErrorReport, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("ffdesk — cannot start"))
        self.setWindowIcon(app_icon())
        self.report = report
        title = QLabel(self.tr("ffdesk could not open its data"))
        title.setObjectName("paneTitle")
        self.message = MessageBar()
        self.message.show_report(report)
        self.message.close_button.hide()
        self.message.details_requested.connect(
            lambda text, details: dialogs.show_details(self, text, details)
        )
        explanation = QLabel(hint)
        explanation.setWordWrap(True)
        explanation.setObjectName("paneSubtitle")
        quit_button = QPushButton(self.tr("Quit"))
        quit_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(quit_button)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(self.message)
        layout.addWidget(explanation)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.setCentralWidget(body)
        self.resize(640, 300)
        title.setAlignment(Qt.AlignmentFlag.AlignLeft)

    def closeEvent(self, event: QCloseEvent) -> None:
        event.accept()
        self.closed.emit()
