"""The system-tray icon: idle / syncing / failed, its menu, and desktop notifications."""

from __future__ import annotations

from PySide6.QtCore import QObject, QPointF, Qt, Signal, Slot
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from ffdesk.ui.icons import app_icon

IDLE, SYNCING, FAILED = "idle", "syncing", "failed"
STATE_COLOURS = {IDLE: "#15803D", SYNCING: "#2563EB", FAILED: "#DC2626"}
ICON_SIZE = 64


def state_icon(state: str) -> QIcon:
    """The app icon with a dot in the corner: green idle, blue syncing, red failed."""
    pixmap = QPixmap(ICON_SIZE, ICON_SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.drawPixmap(0, 0, app_icon().pixmap(ICON_SIZE, ICON_SIZE))
    painter.setPen(QColor("white"))
    painter.setBrush(QColor(STATE_COLOURS[state]))
    radius = ICON_SIZE * 0.2
    painter.drawEllipse(QPointF(ICON_SIZE - radius - 1, ICON_SIZE - radius - 1), radius, radius)
    painter.end()
    return QIcon(pixmap)


class TrayIcon(QObject):
    """The tray icon and its menu (Open ffdesk, Sync all now, Pause all schedules, Quit).

    Emits `open_requested()`, `sync_all_requested()`, `pause_all_toggled(bool paused)`,
    `quit_requested()` and `notification_clicked(int company_id, str identifier)`.
    """

    open_requested = Signal()
    sync_all_requested = Signal()
    pause_all_toggled = Signal(bool)
    quit_requested = Signal()
    notification_clicked = Signal(int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.icon = QSystemTrayIcon(self)
        self.icon.setObjectName("trayIcon")
        self.menu = QMenu()
        self.menu.setObjectName("trayMenu")
        self.open_action = QAction(self.tr("Open ffdesk"), self)
        self.sync_all_action = QAction(self.tr("Sync all now"), self)
        self.pause_action = QAction(self.tr("Pause all schedules"), self)
        self.pause_action.setCheckable(True)
        self.quit_action = QAction(self.tr("Quit"), self)
        for action in (self.open_action, self.sync_all_action, self.pause_action):
            self.menu.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.icon.setContextMenu(self.menu)
        self.state = ""
        self._icons = {state: state_icon(state) for state in STATE_COLOURS}
        # The integration the last notification was about: a click opens its history.
        self._target: tuple[int, str] | None = None
        self.notifications: list[tuple[str, str]] = []  # (title, text), newest last
        self.set_state(IDLE)
        self.open_action.triggered.connect(self.open_requested)
        self.sync_all_action.triggered.connect(self.sync_all_requested)
        self.pause_action.toggled.connect(self.pause_all_toggled)
        self.quit_action.triggered.connect(self.quit_requested)
        self.icon.activated.connect(self._on_icon_activated)
        self.icon.messageClicked.connect(self._on_icon_message_clicked)

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def set_state(self, state: str) -> None:
        if state == self.state:
            return
        self.state = state
        self.icon.setIcon(self._icons[state])
        tips = {
            IDLE: self.tr("ffdesk: no sync running"),
            SYNCING: self.tr("ffdesk: syncing…"),
            FAILED: self.tr("ffdesk: a scheduled sync failed"),
        }
        self.icon.setToolTip(tips[state])

    def current_icon(self) -> QIcon:
        return self.icon.icon()

    def icon_for(self, state: str) -> QIcon:
        return self._icons[state]

    def set_paused(self, paused: bool) -> None:
        """Show whether schedules are paused (without asking for a change)."""
        self.pause_action.blockSignals(True)
        self.pause_action.setChecked(paused)
        self.pause_action.blockSignals(False)

    def notify(self, title: str, text: str, company_id: int, identifier: str) -> None:
        """A desktop notification; clicking it opens that integration's history."""
        self._target = (company_id, identifier)
        self.notifications.append((title, text))
        self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Warning, 15000)

    @Slot(QSystemTrayIcon.ActivationReason)
    def _on_icon_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.open_requested.emit()

    @Slot()
    def _on_icon_message_clicked(self) -> None:
        if self._target is not None:
            self.notification_clicked.emit(*self._target)
