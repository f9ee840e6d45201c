"""The top of the integration pane: logo, name, state badge, actions and sync progress."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ffdesk.services.catalogue_entry import ENABLED, INSTALLED, NOT_INSTALLED
from ffdesk.ui.icons import IconCache
from ffdesk.ui.labels import state_label
from ffdesk.ui.style import badge_style, theme, theme_signals

if TYPE_CHECKING:
    from datetime import datetime

LOGO = 48


def describe_last_synced(value: datetime | None) -> str:
    if value is None:
        return QCoreApplication.translate("IntegrationHeader", "Never synced")
    from datetime import datetime  # not before the first paint (the cached header has text)

    if value.date() == datetime.now().date():
        return QCoreApplication.translate(
            "IntegrationHeader", "Last synced today at {time}"
        ).format(time=f"{value:%H:%M}")
    return QCoreApplication.translate("IntegrationHeader", "Last synced {when}").format(
        when=f"{value:%Y-%m-%d %H:%M}"
    )


class IntegrationHeader(QWidget):
    """Shows one integration's identity and the buttons its state allows.

    Emits `install_requested`, `uninstall_requested`, `enable_requested`, `disable_requested`,
    `test_requested`, `sync_requested`, `preview_requested` and `cancel_requested`.
    """

    install_requested = Signal()
    uninstall_requested = Signal()
    enable_requested = Signal()
    disable_requested = Signal()
    test_requested = Signal()
    sync_requested = Signal()
    preview_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, icons: IconCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icons = icons
        self.state = NOT_INSTALLED
        self._badge_key = ""
        self.logo = QLabel()
        self.logo.setFixedSize(LOGO, LOGO)
        self.logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._style_logo()
        theme_signals.changed.connect(self._on_theme_changed)
        self.title = QLabel()
        self.title.setObjectName("paneTitle")
        self.badge = QLabel()
        self.badge.setObjectName("stateBadge")
        self.badge.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.description = QLabel()
        self.description.setObjectName("paneDescription")
        self.description.setWordWrap(True)
        self.meta = QLabel()
        self.meta.setObjectName("paneSubtitle")

        self.install_button = self._button(
            self.tr("&Install"), "installButton", self.install_requested
        )
        self.install_button.setProperty("primary", True)
        self.uninstall_button = self._button(
            self.tr("&Uninstall"), "uninstallButton", self.uninstall_requested
        )
        self.uninstall_button.setProperty("danger", True)
        self.enable_button = self._button(self.tr("&Enable"), "enableButton", self.enable_requested)
        self.enable_button.setProperty("primary", True)
        self.disable_button = self._button(
            self.tr("Disa&ble"), "disableButton", self.disable_requested
        )
        self.test_button = self._button(
            self.tr("&Test connection"), "testButton", self.test_requested
        )
        self.sync_button = self._button(self.tr("S&ync now"), "syncButton", self.sync_requested)
        self.sync_button.setProperty("primary", True)
        self.preview_button = self._button(
            self.tr("&Preview"), "previewButton", self.preview_requested
        )
        self.preview_button.setToolTip(
            self.tr("List what a sync would send and ask for, without sending or saving anything")
        )
        self.cancel_button = self._button(self.tr("Cance&l"), "cancelButton", self.cancel_requested)
        self.cancel_button.setToolTip(self.tr("Stop at the next record; what is done is kept"))
        self.progress = QProgressBar()
        self.progress.setObjectName("syncProgress")
        self.progress.setTextVisible(True)
        self.progress.setMinimumWidth(160)
        self.progress.hide()

        titles = QHBoxLayout()
        titles.setSpacing(10)
        titles.addWidget(self.title)
        titles.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignVCenter)
        titles.addStretch(1)
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addLayout(titles)
        text.addWidget(self.description)
        text.addWidget(self.meta)

        actions = QHBoxLayout()
        actions.setSpacing(6)
        for button in (
            self.install_button,
            self.enable_button,
            self.disable_button,
            self.test_button,
            self.sync_button,
            self.preview_button,
        ):
            actions.addWidget(button)
        actions.addWidget(self.progress, 1)
        actions.addWidget(self.cancel_button)
        actions.addStretch(0)
        actions.addWidget(self.uninstall_button)

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(12)
        grid.addWidget(self.logo, 0, 0, Qt.AlignmentFlag.AlignTop)
        grid.addLayout(text, 0, 1)
        grid.addLayout(actions, 1, 0, 1, 2)
        grid.setColumnStretch(1, 1)

    def _style_logo(self) -> None:
        tile = theme().logo_tile  # brand logos are drawn for light grounds
        self.logo.setStyleSheet(f"background: {tile}; border-radius: 8px;" if tile else "")

    @Slot()
    def _on_theme_changed(self) -> None:
        """The system switched light/dark: badge and logo ground in the new colours."""
        self._style_logo()
        if self._badge_key:
            self.badge.setStyleSheet(badge_style(self._badge_key))

    def _button(self, text: str, name: str, signal: Signal) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.clicked.connect(signal)
        return button

    # -- rendering -----------------------------------------------------------------------
    def show_integration(
        self, name: str, image: str | None, state: str, description: str, meta: str
    ) -> None:
        self.title.setText(name)
        self.logo.setPixmap(self.icons.pixmap(image, LOGO, self.devicePixelRatioF()))
        self.description.setText(description)
        self.description.setVisible(bool(description))
        self.meta.setText(meta)
        self.set_state(state)

    def set_state(self, state: str, shown: str | None = None) -> None:
        """The badge for `state`, or for `shown` ("Syncing") when given; keys are English."""
        self.state = state
        key = shown or state
        if key != self._badge_key:  # a new style sheet re-polishes: only when it changes
            self._badge_key = key
            self.badge.setText(state_label(key))
            self.badge.setStyleSheet(badge_style(key))

    def set_actions(
        self,
        *,
        state: str,
        running: bool,
        busy: bool,
        can_install: bool,
        install_reason: str,
        can_sync: bool,
        sync_reason: str,
    ) -> None:
        """Show the buttons that apply to `state`; disable them all while an action runs."""
        installed = state in (INSTALLED, ENABLED)
        self.install_button.setVisible(state == NOT_INSTALLED)
        self.install_button.setEnabled(can_install and not busy)
        self.install_button.setToolTip(install_reason if not can_install else "")
        self.uninstall_button.setVisible(installed)
        self.uninstall_button.setEnabled(not busy and not running)
        self.enable_button.setVisible(state == INSTALLED)
        self.enable_button.setEnabled(not busy)
        self.disable_button.setVisible(state == ENABLED)
        self.disable_button.setEnabled(not busy and not running)
        self.test_button.setVisible(installed)
        self.test_button.setEnabled(not busy)
        self.sync_button.setVisible(installed and not running)
        self.sync_button.setEnabled(can_sync and not busy)
        self.sync_button.setToolTip(sync_reason if not can_sync else self.tr("Sync now"))
        self.preview_button.setVisible(installed and not running)
        self.preview_button.setEnabled(can_sync and not busy)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(True)
        self.progress.setVisible(running)

    def show_progress(self, done: int, total: int | None) -> None:
        if total is None or total <= 0:
            self.progress.setRange(0, 0)  # busy indicator
            self.progress.setFormat(self.tr("{done} records").format(done=done))
        else:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
            self.progress.setFormat(f"{done} / {total}")
        self.progress.setToolTip(self.progress.format())
