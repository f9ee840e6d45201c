"""Paints catalogue rows (logo, name, description, state badge) and category headers."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from ffdesk.services.catalogue_entry import shown_state
from ffdesk.ui.catalogue_model import Role
from ffdesk.ui.icons import IconCache, category_icon_path
from ffdesk.ui.labels import state_label
from ffdesk.ui.style import badge_font, badge_width, paint_badge, theme

ROW_HEIGHT = 56
LOGO = 32
PAD = 12
BADGE_HEIGHT = 20
HEADER_ICON = 16


class CatalogueDelegate(QStyledItemDelegate):
    """One fixed-height row per item, painted directly: cheap for thousands of entries."""

    def __init__(self, icons: IconCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icons = icons
        self._fonts: dict[str, QFont] = {}
        self._base_key: str | None = None

    def _font(self, base: QFont, kind: str) -> QFont:
        key = base.key()
        if key != self._base_key:
            self._fonts.clear()
            self._base_key = key
        font = self._fonts.get(kind)
        if font is None:
            font = QFont(base)
            if kind == "name":
                font.setWeight(QFont.Weight.DemiBold)
            elif kind == "header":
                font.setWeight(QFont.Weight.Bold)
                font.setPointSizeF(base.pointSizeF() * 0.85)
                font.setCapitalization(QFont.Capitalization.AllUppercase)
                font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 106)
            elif kind == "description":
                font.setPointSizeF(base.pointSizeF() * 0.92)
            elif kind == "badge":
                font = badge_font(base)
            self._fonts[kind] = font
        return font

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(240, ROW_HEIGHT)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        painter.save()
        try:
            if index.data(Role.IS_HEADER):
                self._paint_header(painter, option, index)
            else:
                self._paint_entry(painter, option, index)
        finally:
            painter.restore()

    def _paint_header(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        rect: QRect = option.rect  # type: ignore[attr-defined]
        font = self._font(option.font, "header")  # type: ignore[attr-defined]
        metrics = QFontMetrics(font)
        baseline_box = QRect(rect.left() + PAD, rect.bottom() - 30, rect.width() - 2 * PAD, 24)
        x = baseline_box.left()
        icon_path = category_icon_path(str(index.data(Role.CATEGORY)))
        if icon_path is not None:
            pixmap = self.icons.pixmap(icon_path, HEADER_ICON, painter.device().devicePixelRatioF())
            y = baseline_box.center().y() - HEADER_ICON // 2 + 1
            painter.drawPixmap(x, y, pixmap)
            x += HEADER_ICON + 8
        title = str(index.data(Qt.ItemDataRole.DisplayRole))
        count = index.model().rowCount(index)
        colors = theme()
        painter.setFont(font)
        painter.setPen(QColor(colors.muted))
        text_rect = QRect(x, baseline_box.top(), baseline_box.right() - x, baseline_box.height())
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter, title)
        count_x = x + metrics.horizontalAdvance(title) + 8
        painter.setPen(QColor(colors.muted))
        painter.drawText(
            QRect(count_x, text_rect.top(), 80, text_rect.height()),
            Qt.AlignmentFlag.AlignVCenter,
            str(count),
        )
        painter.setPen(QPen(QColor(colors.border), 1))
        painter.drawLine(rect.left() + PAD, rect.bottom(), rect.right() - PAD, rect.bottom())

    def _paint_entry(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        rect: QRect = option.rect  # type: ignore[attr-defined]
        state = option.state  # type: ignore[attr-defined]
        colors = theme()
        selected = bool(state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(rect, QColor(colors.selection))
            painter.fillRect(
                QRect(rect.left(), rect.top(), 3, rect.height()), QColor(colors.accent)
            )
        elif state & QStyle.StateFlag.State_MouseOver:
            painter.fillRect(rect, QColor(colors.hover))
        ratio = painter.device().devicePixelRatioF()
        logo = self.icons.pixmap(index.data(Role.IMAGE), LOGO, ratio)
        logo_top = rect.top() + (rect.height() - LOGO) // 2
        if colors.logo_tile:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(colors.logo_tile))
            tile = QRectF(rect.left() + PAD, logo_top, LOGO, LOGO).adjusted(-3, -3, 3, 3)
            painter.drawRoundedRect(tile, 6, 6)
        painter.drawPixmap(rect.left() + PAD, logo_top, logo)

        problem = index.data(Role.PROBLEM)
        badge_key = shown_state(str(index.data(Role.STATE)), problem)
        badge_text = state_label(badge_key)
        bfont = self._font(option.font, "badge")  # type: ignore[attr-defined]
        bwidth = badge_width(badge_text, QFontMetrics(bfont))
        badge = QRect(
            rect.right() - PAD - bwidth,
            rect.top() + (rect.height() - BADGE_HEIGHT) // 2,
            bwidth,
            BADGE_HEIGHT,
        )
        paint_badge(painter, badge, badge_key, badge_text, bfont)

        text_left = rect.left() + PAD + LOGO + 12
        text_width = max(0, badge.left() - 10 - text_left)
        name_font = self._font(option.font, "name")  # type: ignore[attr-defined]
        desc_font = self._font(option.font, "description")  # type: ignore[attr-defined]
        name_metrics, desc_metrics = QFontMetrics(name_font), QFontMetrics(desc_font)
        block = name_metrics.height() + 2 + desc_metrics.height()
        top = rect.top() + (rect.height() - block) // 2
        painter.setFont(name_font)
        painter.setPen(QColor(colors.text))
        name = name_metrics.elidedText(
            str(index.data(Qt.ItemDataRole.DisplayRole)), Qt.TextElideMode.ElideRight, text_width
        )
        painter.drawText(
            QRect(text_left, top, text_width, name_metrics.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            name,
        )
        painter.setFont(desc_font)
        activity = index.data(Role.ACTIVITY)
        if problem:
            painter.setPen(QColor(colors.danger))
        elif activity:  # "Testing…" / "Syncing…" stands in for the description meanwhile
            painter.setPen(QColor(colors.accent))
        else:
            painter.setPen(QColor(colors.muted_selected if selected else colors.muted))
        description = str(problem or activity or index.data(Role.DESCRIPTION) or "")
        painter.drawText(
            QRect(text_left, top + name_metrics.height() + 2, text_width, desc_metrics.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            desc_metrics.elidedText(description, Qt.TextElideMode.ElideRight, text_width),
        )
        if state & QStyle.StateFlag.State_HasFocus:  # the keyboard's place in the list
            _paint_focus_ring(painter, rect, colors.accent)


def _paint_focus_ring(painter: QPainter, rect: QRect, color: str) -> None:
    """A 2 px ring inside the row: the style sheet's `outline: 0` hides Qt's dotted one."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(color), 2))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(QRectF(rect).adjusted(2, 2, -2, -2), 4, 4)
