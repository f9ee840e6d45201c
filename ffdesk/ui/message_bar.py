"""An inline message shown where the user acted (info, success, warning or error)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ffdesk.ui.errors import ErrorReport
from ffdesk.ui.icons import glyph
from ffdesk.ui.pane_layout import MESSAGE_MARGINS, message_slot_height
from ffdesk.ui.style import theme, theme_signals

_ICONS = {"info": "info", "success": "ok", "warning": "warning", "error": "error"}


class MessageBar(QFrame):
    """Text with an icon, an optional "Details…" button and a close button.

    Emits `details_requested(str message, str details)` when Details is clicked.
    """

    details_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.kind = "info"
        self._details: str | None = None
        self._colors: tuple[str, str, str] | None = None
        self.icon = QLabel()
        self.icon.setFixedSize(18, 18)
        self.label = QLabel()
        self.label.setObjectName("messageText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = QPushButton(self.tr("Details…"))
        self.details_button.setObjectName("messageDetails")
        self.close_button = QToolButton()
        self.close_button.setIcon(glyph("clear", theme().muted))
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip(self.tr("Dismiss"))
        self.close_button.setAccessibleName(self.tr("Dismiss message"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(*MESSAGE_MARGINS)
        layout.setSpacing(8)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.details_button.clicked.connect(self._on_details_button_clicked)
        self.close_button.clicked.connect(self.clear)
        theme_signals.changed.connect(self._on_theme_changed)
        self.hide()

    @property
    def text(self) -> str:
        return self.label.text() if self.isVisibleTo(self.parentWidget()) else ""

    def show_message(self, kind: str, text: str, details: str | None = None) -> None:
        colors = theme().messages[kind]
        changed = kind != self.kind or colors != self._colors  # a new sheet re-polishes
        self.kind = kind
        self._details = details
        if changed:
            self._colors = colors
            self._style(*colors)
        self.label.setText(text)
        self.details_button.setVisible(details is not None)
        self.setAccessibleDescription(text)
        self.show()

    def _style(self, color: str, fill: str, border: str) -> None:
        self.setStyleSheet(
            f"QFrame#messageBar {{ background: {fill}; border: 1px solid {border};"
            f" border-radius: 6px; }} QLabel#messageText {{ color: {color}; }}"
        )
        self.icon.setPixmap(glyph(_ICONS[self.kind], color).pixmap(18, 18))

    @Slot()
    def _on_theme_changed(self) -> None:
        """The system switched light/dark: the message keeps its kind in the new colours."""
        self.close_button.setIcon(glyph("clear", theme().muted))
        if self._colors is not None:
            self._colors = theme().messages[self.kind]
            self._style(*self._colors)

    def show_report(self, report: ErrorReport) -> None:
        self.show_message("error", report.message, report.details)

    @Slot()
    def clear(self) -> None:
        self._details = None
        self.label.clear()
        self.hide()

    @Slot()
    def _on_details_button_clicked(self) -> None:
        if self._details is not None:
            self.details_requested.emit(self.label.text(), self._details)


class MessageSlot(QWidget):
    """The room a MessageBar keeps (two lines of text) whether a message shows or not, so
    showing or closing one never moves what is below it."""

    def __init__(self, bar: MessageBar, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageSlot")
        self.bar = bar
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(bar, 0, Qt.AlignmentFlag.AlignTop)
        layout.addStretch(1)
        self.setMinimumHeight(
            message_slot_height(bar.label.fontMetrics().lineSpacing(), bar.lineWidth())
        )
