"""Colours, badges and the application style sheet shared by every widget."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QApplication

TEXT = "#0F172A"
MUTED = "#64748B"
BORDER = "#E2E8F0"
SURFACE = "#FFFFFF"
BACKGROUND = "#F8FAFC"
ACCENT = "#2563EB"
SELECTION = "#E0EAFF"
ASSETS = Path(__file__).resolve().parent / "assets"
CHEVRON = (ASSETS / "chevron-down.svg").as_posix()
CHECK = (ASSETS / "check.svg").as_posix()


class BadgeColors(NamedTuple):
    """Text, fill and border of a state badge."""

    text: str
    fill: str
    border: str


BADGES = {
    "Not Installed": BadgeColors("#475569", "#F1F5F9", "#CBD5E1"),
    "Installed": BadgeColors("#1D4ED8", "#EFF6FF", "#BFDBFE"),
    "Enabled": BadgeColors("#15803D", "#F0FDF4", "#BBF7D0"),
    "Unavailable": BadgeColors("#B91C1C", "#FEF2F2", "#FECACA"),
    "Syncing": BadgeColors("#B45309", "#FFFBEB", "#FDE68A"),
}
RUN_STATE_COLORS = {
    "done": "#15803D",
    "failed": "#B91C1C",
    "cancelled": "#B45309",
    "running": "#1D4ED8",
}
MESSAGE_COLORS = {
    # kind: (text, fill, border)
    "info": ("#1E3A8A", "#EFF6FF", "#BFDBFE"),
    "success": ("#14532D", "#F0FDF4", "#BBF7D0"),
    "warning": ("#78350F", "#FFFBEB", "#FDE68A"),
    "error": ("#7F1D1D", "#FEF2F2", "#FECACA"),
}


def badge_font(base: QFont) -> QFont:
    font = QFont(base)
    font.setPointSizeF(max(7.0, base.pointSizeF() * 0.85))
    font.setWeight(QFont.Weight.DemiBold)
    return font


def badge_width(text: str, metrics: QFontMetrics) -> int:
    return metrics.horizontalAdvance(text) + 16


def paint_badge(painter: QPainter, rect: QRect, key: str, text: str, font: QFont) -> None:
    """A rounded pill with the colours of state `key`, `text` (its label) centred."""
    colors = BADGES.get(key, BADGES["Not Installed"])
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QColor(colors.border))
    painter.setBrush(QColor(colors.fill))
    half = rect.height() / 2
    painter.drawRoundedRect(QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5), half, half)
    painter.setPen(QColor(colors.text))
    painter.setFont(font)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()


def badge_style(key: str) -> str:
    """A style sheet making a QLabel look like the catalogue's badge of state `key`."""
    colors = BADGES.get(key, BADGES["Not Installed"])
    return (
        f"color: {colors.text}; background: {colors.fill}; border: 1px solid {colors.border};"
        "border-radius: 10px; padding: 2px 10px; font-weight: 600;"
    )


STYLE_SHEET = f"""
QMainWindow, QDialog {{ background: {BACKGROUND}; }}
QToolBar {{ background: {SURFACE}; border: none; border-bottom: 1px solid {BORDER};
    spacing: 8px; padding: 6px 10px; }}
QToolBar QLabel {{ color: {MUTED}; }}
QStatusBar {{ background: {SURFACE}; border-top: 1px solid {BORDER}; color: {MUTED}; }}
QSplitter::handle {{ background: {BORDER}; }}
QSplitter::handle:horizontal {{ width: 1px; }}
QSplitter::handle:vertical {{ height: 1px; }}
QSplitter#paneSplitter::handle {{ background: transparent; }}
QTreeView#catalogue {{ background: {SURFACE}; border: none; outline: 0; }}
QWidget#cataloguePanel, QWidget#integrationPane {{ background: {SURFACE}; }}
QLabel#paneTitle {{ font-size: 15pt; font-weight: 600; color: {TEXT}; }}
QLabel#paneSubtitle, QLabel#catalogueCount, QLabel#emptyHint {{ color: {MUTED}; }}
QLabel#fieldError {{ color: #B91C1C; }}
QLabel#requiredMark {{ color: #B91C1C; }}
QGroupBox {{ font-weight: 600; color: {TEXT}; border: 1px solid {BORDER}; border-radius: 6px;
    margin-top: 14px; padding: 14px 12px 8px 12px; background: {SURFACE}; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; }}
QLineEdit, QPlainTextEdit, QComboBox, QDateTimeEdit {{ border: 1px solid #CBD5E1;
    border-radius: 4px; padding: 4px 6px; background: {SURFACE}; color: {TEXT};
    selection-background-color: {ACCENT}; }}
QLineEdit:focus, QPlainTextEdit:focus, QComboBox:focus, QDateTimeEdit:focus {{
    border: 1px solid {ACCENT}; }}
QLineEdit:read-only, QPlainTextEdit[readOnly="true"], QDateTimeEdit:read-only {{
    background: {BACKGROUND}; color: #334155; }}
QLineEdit[invalid="true"] {{ border: 1px solid #DC2626; }}
QComboBox {{ padding-right: 22px; }}
QComboBox::drop-down {{ border: none; width: 22px; }}
QComboBox::down-arrow {{ image: url({CHEVRON}); width: 12px; height: 12px; }}
QComboBox:disabled {{ background: {BACKGROUND}; color: #334155; }}
QComboBox::down-arrow:disabled {{ image: none; }}
QComboBox QAbstractItemView {{ border: 1px solid {BORDER}; background: {SURFACE};
    selection-background-color: {SELECTION}; selection-color: {TEXT}; outline: 0; }}
QCheckBox::indicator {{ width: 16px; height: 16px; border: 1px solid #94A3B8;
    border-radius: 3px; background: {SURFACE}; }}
QCheckBox::indicator:checked {{ background: {ACCENT}; border-color: {ACCENT};
    image: url({CHECK}); }}
QCheckBox::indicator:disabled {{ background: {BACKGROUND}; border-color: #CBD5E1; }}
QCheckBox::indicator:checked:disabled {{ background: #94A3B8; border-color: #94A3B8; }}
QPushButton {{ border: 1px solid #CBD5E1; border-radius: 4px; padding: 5px 12px;
    background: {SURFACE}; color: {TEXT}; }}
QPushButton:hover {{ background: #F1F5F9; }}
QPushButton:disabled {{ color: #94A3B8; background: {BACKGROUND}; border-color: {BORDER}; }}
QPushButton[primary="true"] {{ background: {ACCENT}; color: white; border-color: {ACCENT}; }}
QPushButton[primary="true"]:hover {{ background: #1D4ED8; }}
QPushButton[primary="true"]:disabled {{ background: #93C5FD; border-color: #93C5FD; }}
QPushButton[danger="true"] {{ color: #B91C1C; }}
QPushButton[danger="true"]:disabled {{ color: #94A3B8; }}
QTabWidget::pane {{ border: 1px solid {BORDER}; border-radius: 4px; top: -1px;
    background: {SURFACE}; }}
QTabBar::tab {{ padding: 6px 14px; color: {MUTED}; border: 1px solid transparent; }}
QTabBar::tab:selected {{ color: {TEXT}; border: 1px solid {BORDER}; border-bottom-color: {SURFACE};
    background: {SURFACE}; border-top-left-radius: 4px; border-top-right-radius: 4px; }}
QTableView {{ border: none; gridline-color: {BORDER}; background: {SURFACE};
    selection-background-color: {SELECTION}; selection-color: {TEXT}; }}
QTableView::item {{ padding: 0 8px; border-bottom: 1px solid #F1F5F9; }}
QHeaderView::section {{ background: {BACKGROUND}; color: {MUTED}; border: none;
    border-bottom: 1px solid {BORDER}; padding: 4px 8px; font-weight: 600; }}
QProgressBar {{ border: 1px solid {BORDER}; border-radius: 4px; background: {BACKGROUND};
    text-align: center; color: {TEXT}; min-height: 18px; }}
QProgressBar::chunk {{ background: #93C5FD; border-radius: 3px; }}
QDockWidget {{ font-weight: 600; }}
QScrollArea {{ border: none; background: {SURFACE}; }}
QScrollBar:vertical {{ background: transparent; width: 10px; margin: 2px; }}
QScrollBar:horizontal {{ background: transparent; height: 10px; margin: 2px; }}
QScrollBar::handle {{ background: #CBD5E1; border-radius: 3px; }}
QScrollBar::handle:hover {{ background: #94A3B8; }}
QScrollBar::handle:vertical {{ min-height: 28px; }}
QScrollBar::handle:horizontal {{ min-width: 28px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: transparent; }}
QDockWidget::title {{ background: {BACKGROUND}; padding: 6px 10px; border-top: 1px solid {BORDER};
    text-align: left; }}
"""


def apply_style(app: QApplication) -> None:
    """Fusion with a light palette and ffdesk's style sheet (same look on every platform)."""
    if app.style().name().casefold() != "fusion":  # already Fusion offscreen: keep it
        app.setStyle("Fusion")
    palette = app.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor(BACKGROUND))
    palette.setColor(QPalette.ColorRole.Base, QColor(SURFACE))
    palette.setColor(QPalette.ColorRole.Text, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT))
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor("#94A3B8"))
    app.setPalette(palette)
    app.setStyleSheet(STYLE_SHEET)
