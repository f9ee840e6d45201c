"""Colours, badges and the application style sheet shared by every widget."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from PySide6.QtCore import QObject, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QApplication

ASSETS = Path(__file__).resolve().parent / "assets"
CHECK = (ASSETS / "check.svg").as_posix()


class BadgeColors(NamedTuple):
    """Text, fill and border of a state badge."""

    text: str
    fill: str
    border: str


class Theme(NamedTuple):
    """Every colour the window paints with; one light and one dark set (WCAG AA text).

    A NamedTuple: as a frozen dataclass its 28 fields cost the first paint 3 ms to create.
    """

    dark: bool
    text: str  # body text on surface and background
    muted: str  # secondary text (>= 4.5:1 on surface, background and hover)
    muted_selected: str  # secondary text on a selected catalogue row
    faint: str  # decoration only: never for text the user must read
    border: str
    input_border: str
    surface: str  # panels, inputs, tables
    background: str  # window, read-only inputs, headers
    hover: str
    button_hover: str
    accent: str
    accent_hover: str
    accent_disabled: str
    on_accent: str
    selection: str
    readonly_text: str
    danger: str  # error text, required marker, a module's problem
    danger_border: str
    icon: str
    warning_icon: str
    ok_icon: str
    chevron: str
    badges: dict[str, BadgeColors]
    run_states: dict[str, str]
    messages: dict[str, tuple[str, str, str]]  # kind: (text, fill, border)
    logo_tile: str = ""  # behind module logos (brand colours are made for light grounds)
    focus: str = "#1E3A8A"  # the keyboard focus ring (>= 3:1 on surface and on accent)


LIGHT = Theme(
    dark=False,
    text="#0F172A",
    muted="#64748B",
    muted_selected="#475569",
    faint="#94A3B8",
    border="#E2E8F0",
    input_border="#CBD5E1",
    surface="#FFFFFF",
    background="#F8FAFC",
    hover="#F8FAFC",
    button_hover="#F1F5F9",
    accent="#2563EB",
    accent_hover="#1D4ED8",
    accent_disabled="#93C5FD",
    on_accent="#FFFFFF",
    selection="#E0EAFF",
    readonly_text="#334155",
    danger="#B91C1C",
    danger_border="#DC2626",
    icon="#475569",
    warning_icon="#B45309",
    ok_icon="#15803D",
    chevron="#64748B",
    badges={
        "Not Installed": BadgeColors("#475569", "#F1F5F9", "#CBD5E1"),
        "Installed": BadgeColors("#1D4ED8", "#EFF6FF", "#BFDBFE"),
        "Enabled": BadgeColors("#15803D", "#F0FDF4", "#BBF7D0"),
        "Unavailable": BadgeColors("#B91C1C", "#FEF2F2", "#FECACA"),
        "Syncing": BadgeColors("#B45309", "#FFFBEB", "#FDE68A"),
    },
    run_states={
        "done": "#15803D",
        "partial": "#B45309",
        "failed": "#B91C1C",
        "cancelled": "#B45309",
        "running": "#1D4ED8",
    },
    messages={
        "info": ("#1E3A8A", "#EFF6FF", "#BFDBFE"),
        "success": ("#14532D", "#F0FDF4", "#BBF7D0"),
        "warning": ("#78350F", "#FFFBEB", "#FDE68A"),
        "error": ("#7F1D1D", "#FEF2F2", "#FECACA"),
    },
)
DARK = Theme(
    dark=True,
    text="#E2E8F0",
    muted="#94A3B8",
    muted_selected="#CBD5E1",
    faint="#64748B",
    border="#334155",
    input_border="#475569",
    surface="#1E293B",
    background="#0F172A",
    hover="#243247",
    button_hover="#334155",
    accent="#2563EB",
    accent_hover="#1D4ED8",
    accent_disabled="#1E3A8A",
    on_accent="#FFFFFF",
    selection="#1E3A8A",
    readonly_text="#CBD5E1",
    danger="#F87171",
    danger_border="#EF4444",
    icon="#CBD5E1",
    warning_icon="#FBBF24",
    ok_icon="#4ADE80",
    chevron="#94A3B8",
    badges={
        "Not Installed": BadgeColors("#CBD5E1", "#334155", "#475569"),
        "Installed": BadgeColors("#BFDBFE", "#1E3A8A", "#1D4ED8"),
        "Enabled": BadgeColors("#BBF7D0", "#14532D", "#15803D"),
        "Unavailable": BadgeColors("#FECACA", "#7F1D1D", "#B91C1C"),
        "Syncing": BadgeColors("#FDE68A", "#78350F", "#B45309"),
    },
    run_states={
        "done": "#4ADE80",
        "partial": "#FBBF24",
        "failed": "#F87171",
        "cancelled": "#FBBF24",
        "running": "#60A5FA",
    },
    messages={
        "info": ("#BFDBFE", "#172554", "#1E40AF"),
        "success": ("#BBF7D0", "#052E16", "#166534"),
        "warning": ("#FDE68A", "#451A03", "#92400E"),
        "error": ("#FECACA", "#450A0A", "#991B1B"),
    },
    logo_tile="#F1F5F9",
    focus="#93C5FD",
)
_current = LIGHT


class ThemeSignals(QObject):
    """Tells widgets that set their own colours that the theme changed (light <-> dark)."""

    changed = Signal()


theme_signals = ThemeSignals()


def theme() -> Theme:
    """The colours in use (chosen by apply_style from the system's colour scheme)."""
    return _current


def badge_font(base: QFont) -> QFont:
    font = QFont(base)
    font.setPointSizeF(max(7.0, base.pointSizeF() * 0.85))
    font.setWeight(QFont.Weight.DemiBold)
    return font


def badge_width(text: str, metrics: QFontMetrics) -> int:
    return metrics.horizontalAdvance(text) + 16


def paint_badge(painter: QPainter, rect: QRect, key: str, text: str, font: QFont) -> None:
    """A rounded pill with the colours of state `key`, `text` (its label) centred."""
    colors = badge_colors(key)
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


def badge_colors(key: str) -> BadgeColors:
    badges = _current.badges
    return badges.get(key, badges["Not Installed"])


def badge_style(key: str) -> str:
    """A style sheet making a QLabel look like the catalogue's badge of state `key`."""
    colors = badge_colors(key)
    return (
        f"color: {colors.text}; background: {colors.fill}; border: 1px solid {colors.border};"
        "border-radius: 10px; padding: 2px 10px; font-weight: 600;"
    )


def _chevron(t: Theme) -> str:
    """The combo box arrow in the theme's colour (style sheets only take image files)."""
    return (ASSETS / ("chevron-down-dark.svg" if t.dark else "chevron-down.svg")).as_posix()


def style_sheet(t: Theme) -> str:
    """The application style sheet in the colours of `t`."""
    return f"""
QMainWindow, QDialog {{ background: {t.background}; }}
QToolBar {{ background: {t.surface}; border: none; border-bottom: 1px solid {t.border};
    spacing: 8px; padding: 6px 10px; }}
QToolBar QLabel {{ color: {t.muted}; }}
QStatusBar {{ background: {t.surface}; border-top: 1px solid {t.border}; color: {t.muted}; }}
QSplitter::handle {{ background: {t.border}; }}
QSplitter::handle:horizontal {{ width: 1px; }}
QSplitter::handle:vertical {{ height: 1px; }}
QSplitter#paneSplitter::handle {{ background: transparent; }}
QTreeView#catalogue {{ background: {t.surface}; border: none; outline: 0; }}
QWidget#cataloguePanel, QWidget#integrationPane, QWidget#formBody {{
    background: {t.surface}; }}
QLabel#paneTitle {{ font-size: 15pt; font-weight: 600; color: {t.text}; }}
QLabel#paneSubtitle, QLabel#catalogueCount, QLabel#emptyHint {{ color: {t.muted}; }}
QLabel#fieldError {{ color: {t.danger}; }}
QLabel#fieldHint, QLabel#requiredLegend {{ color: {t.muted}; }}
QFrame#installCard {{ background: {t.surface}; border: 1px solid {t.border};
    border-radius: 6px; }}
QLabel#requiredMark {{ color: {t.danger}; }}
QGroupBox {{ font-weight: 600; color: {t.text}; border: 1px solid {t.border}; border-radius: 6px;
    margin-top: 14px; padding: 14px 12px 8px 12px; background: {t.surface}; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; }}
QLineEdit, QPlainTextEdit, QComboBox, QDateTimeEdit {{ border: 1px solid {t.input_border};
    border-radius: 4px; padding: 4px 6px; background: {t.surface}; color: {t.text};
    selection-background-color: {t.accent}; placeholder-text-color: {t.muted}; }}
QLineEdit:focus, QPlainTextEdit:focus, QComboBox:focus, QDateTimeEdit:focus {{
    border: 1px solid {t.accent}; }}
QLineEdit:read-only, QPlainTextEdit[readOnly="true"], QDateTimeEdit:read-only {{
    background: {t.background}; color: {t.readonly_text}; }}
QLineEdit[invalid="true"] {{ border: 1px solid {t.danger_border}; }}
QComboBox {{ padding-right: 22px; }}
QComboBox::drop-down {{ border: none; width: 22px; }}
QComboBox::down-arrow {{ image: url({_chevron(t)}); width: 12px; height: 12px; }}
QComboBox:disabled {{ background: {t.background}; color: {t.readonly_text}; }}
QComboBox::down-arrow:disabled {{ image: none; }}
QComboBox QAbstractItemView {{ border: 1px solid {t.border}; background: {t.surface};
    selection-background-color: {t.selection}; selection-color: {t.text}; outline: 0; }}
QCheckBox::indicator {{ width: 16px; height: 16px; border: 1px solid {t.faint};
    border-radius: 3px; background: {t.surface}; }}
QCheckBox::indicator:checked {{ background: {t.accent}; border-color: {t.accent};
    image: url({CHECK}); }}
QCheckBox::indicator:disabled {{ background: {t.background}; border-color: {t.input_border}; }}
QCheckBox::indicator:checked:disabled {{ background: {t.faint}; border-color: {t.faint}; }}
QPushButton {{ border: 1px solid {t.input_border}; border-radius: 4px; padding: 5px 12px;
    background: {t.surface}; color: {t.text}; }}
QPushButton:hover {{ background: {t.button_hover}; }}
QPushButton:disabled {{ color: {t.faint}; background: {t.background}; border-color: {t.border}; }}
QPushButton[primary="true"] {{ background: {t.accent}; color: {t.on_accent};
    border-color: {t.accent}; }}
QPushButton[primary="true"]:hover {{ background: {t.accent_hover}; }}
QPushButton[primary="true"]:disabled {{ background: {t.accent_disabled};
    border-color: {t.accent_disabled}; }}
QPushButton[danger="true"] {{ color: {t.danger}; }}
QPushButton:focus {{ border: 2px solid {t.focus}; padding: 4px 11px; }}
QToolButton:focus {{ border: 1px solid {t.focus}; border-radius: 3px; }}
QStatusBar QPushButton {{ border: 1px solid transparent; padding: 0px 6px; background: transparent;
    color: {t.accent}; }}
QStatusBar QPushButton:hover {{ text-decoration: underline; background: transparent; }}
QStatusBar QPushButton:focus {{ border: 1px solid {t.focus}; padding: 0px 6px; }}
QPushButton[danger="true"]:disabled {{ color: {t.faint}; }}
QPushButton[destructive="true"] {{ background: {t.danger}; color: {t.surface};
    border-color: {t.danger}; }}
QTabWidget::pane {{ border: 1px solid {t.border}; border-radius: 4px; top: -1px;
    background: {t.surface}; }}
QTabBar::tab {{ padding: 6px 14px; color: {t.muted}; border: 1px solid transparent; }}
QTabBar::tab:selected {{ color: {t.text}; border: 1px solid {t.border};
    border-bottom-color: {t.surface}; background: {t.surface};
    border-top-left-radius: 4px; border-top-right-radius: 4px; }}
QTableView {{ border: none; gridline-color: {t.border}; background: {t.surface};
    selection-background-color: {t.selection}; selection-color: {t.text}; }}
QTableView, QListView {{ border: 1px solid transparent; }}
QTableView:focus, QListView:focus {{ border: 1px solid {t.focus}; }}
QTabBar::tab:focus {{ text-decoration: underline; }}
QTableView::item {{ padding: 0 8px; border-bottom: 1px solid {t.button_hover}; }}
QHeaderView::section {{ background: {t.background}; color: {t.muted}; border: none;
    border-bottom: 1px solid {t.border}; padding: 4px 8px; font-weight: 600; }}
QProgressBar {{ border: 1px solid {t.border}; border-radius: 4px; background: {t.background};
    text-align: center; color: {t.text}; min-height: 18px; }}
QProgressBar::chunk {{ background: {t.accent_disabled}; border-radius: 3px; }}
QDockWidget {{ font-weight: 600; }}
QScrollArea {{ border: none; background: {t.surface}; }}
QScrollBar:vertical {{ background: transparent; width: 10px; margin: 2px; }}
QScrollBar:horizontal {{ background: transparent; height: 10px; margin: 2px; }}
QScrollBar::handle {{ background: {t.input_border}; border-radius: 3px; }}
QScrollBar::handle:hover {{ background: {t.faint}; }}
QScrollBar::handle:vertical {{ min-height: 28px; }}
QScrollBar::handle:horizontal {{ min-width: 28px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: transparent; }}
QDockWidget::title {{ background: {t.background}; padding: 6px 10px;
    border-top: 1px solid {t.border}; text-align: left; }}
"""


def is_dark(app: QApplication) -> bool:
    """Whether the system asks for dark: its colour scheme, else its palette's window colour."""
    scheme = app.styleHints().colorScheme()
    if scheme != Qt.ColorScheme.Unknown:
        return scheme == Qt.ColorScheme.Dark
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128


def palette_for(t: Theme) -> QPalette:
    """A full palette in the theme's colours, for what the style sheet does not cover."""
    palette = QPalette()
    roles = QPalette.ColorRole
    for role, color in (
        (roles.Window, t.background),
        (roles.WindowText, t.text),
        (roles.Base, t.surface),
        (roles.AlternateBase, t.background),
        (roles.Text, t.text),
        (roles.Button, t.surface),
        (roles.ButtonText, t.text),
        (roles.BrightText, t.on_accent),
        (roles.Highlight, t.accent),
        (roles.HighlightedText, t.on_accent),
        (roles.PlaceholderText, t.muted),
        (roles.ToolTipBase, t.surface),
        (roles.ToolTipText, t.text),
        (roles.Link, t.accent_hover if not t.dark else t.run_states["running"]),
        (roles.Light, t.surface),
        (roles.Midlight, t.border),
        (roles.Mid, t.input_border),
        (roles.Dark, t.faint),
        (roles.Shadow, t.background if t.dark else t.faint),
    ):
        palette.setColor(role, QColor(color))
    for role in (roles.Text, roles.WindowText, roles.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(t.faint))
    return palette


def apply_style(app: QApplication, dark: bool | None = None) -> Theme:
    """Fusion with ffdesk's palette and style sheet, light or dark as the system is.

    `dark` forces a choice; by default it follows the system and changes along with it.
    """
    global _current
    if app.style().name().casefold() != "fusion":  # already Fusion offscreen: keep it
        app.setStyle("Fusion")
    previous = _current
    _current = DARK if (is_dark(app) if dark is None else dark) else LIGHT
    app.setPalette(palette_for(_current))
    app.setStyleSheet(style_sheet(_current))
    if _current is not previous:
        theme_signals.changed.emit()
    if dark is None and not app.property("ffdeskFollowsScheme"):
        app.setProperty("ffdeskFollowsScheme", True)
        app.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_style(app))
    return _current
