"""The status-bar note on who runs the schedules: this window, or a background scheduler."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

if TYPE_CHECKING:
    from datetime import datetime


class ScheduleStatus(QWidget):
    """Says where scheduled syncs run; offers to install the background scheduler.

    Emits `background_install_requested()` and `runner_changed(str host)` (the host whose
    background service runs the schedules, "" when this window does).
    """

    background_install_requested = Signal()
    runner_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scheduleStatus")
        self.label = QLabel()
        self.label.setObjectName("scheduleStatusLabel")
        self.install_button = QPushButton(self.tr("Run schedules in the bac&kground…"))
        self.install_button.setObjectName("backgroundInstallButton")
        self.install_button.setFlat(True)
        # No taller than the status bar's text: the window above keeps its height.
        self.install_button.setMaximumHeight(self.label.sizeHint().height() + 2)
        self.install_button.setToolTip(
            self.tr(
                "Install the ffdesk scheduler as a service, so schedules run without the window"
            )
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.install_button)
        self.install_button.clicked.connect(self.background_install_requested)
        self.host = ""
        self.show_window_only()

    @property
    def background(self) -> bool:
        return self.install_button.isHidden()

    def show_background(self, host: str, last_check: datetime | None) -> None:
        """A background scheduler holds the lease: this window runs no schedule itself."""
        when = f"{last_check:%H:%M}" if last_check else self.tr("not yet")
        self.label.setText(
            self.tr("Scheduled syncs run in the background on {host} (last check {when})").format(
                host=host, when=when
            )
        )
        self.install_button.hide()
        self._set_host(host)

    def show_window_only(self) -> None:
        self.label.setText(self.tr("Scheduled syncs run only while this window is open."))
        self.install_button.show()
        self._set_host("")

    def _set_host(self, host: str) -> None:
        if host != self.host:
            self.host = host
            self.runner_changed.emit(host)
