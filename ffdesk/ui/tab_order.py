"""Tab and Shift+Tab in screen order, whatever was built when; focus that outlives its button.

Qt's focus chain follows the order widgets were created in, so a form rebuilt for another
integration lands after the tables drawn below it. Here the order is read from the screen at
each key press: top to bottom, then left to right, one container at a time. A widget that has
the focus and is hidden or disabled (an action button while its action runs) hands it to its
container, which gives it back to that button, or the next action, when they return.
"""

from __future__ import annotations

from collections.abc import Iterator

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLayout,
    QScrollArea,
    QWidget,
)

_ROW_EVENTS = (QEvent.Type.EnabledChange, QEvent.Type.Show, QEvent.Type.ShowToParent)


def is_stop(widget: QWidget) -> bool:
    """Whether Tab may land on `widget` now (it is shown, enabled and takes focus by Tab)."""
    return (
        widget.isVisible()
        and widget.isEnabled()
        and bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)
        and widget.focusProxy() is None
        and type(widget) is not QScrollArea  # a container: its fields are the stops
    )


def _rows(widgets: list[QWidget]) -> list[QWidget]:
    """Siblings in reading order: rows from top to bottom (a widget whose middle lies within
    the row's first widget's height shares its row), each row from left to right."""
    ordered: list[QWidget] = []
    pending = sorted(widgets, key=lambda w: (w.geometry().top(), w.geometry().left()))
    while pending:
        first = pending[0].geometry()
        row = [w for w in pending if first.top() <= w.geometry().center().y() <= first.bottom()]
        if pending[0] not in row:
            row.insert(0, pending[0])
        rtl = pending[0].layoutDirection() == Qt.LayoutDirection.RightToLeft
        row.sort(key=lambda w: -w.geometry().right() if rtl else w.geometry().left())
        ordered.extend(row)
        pending = [w for w in pending if w not in row]
    return ordered


def _walk(widget: QWidget, keep: QWidget | None) -> Iterator[tuple[QWidget, bool]]:
    """(widget, is a stop) for `widget`'s shown descendants in screen order."""
    children = [
        c
        for c in widget.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
        if not c.isWindow() and (c.isVisible() or c is keep)
    ]
    for child in _rows(children):
        if child is keep or is_stop(child):
            yield child, True
        elif child.isEnabled():
            yield child, False
            yield from _walk(child, keep)


def focus_order(root: QWidget, keep: QWidget | None = None) -> list[QWidget]:
    """Every widget Tab reaches in `root`, in screen order (`keep` counts even if disabled)."""
    return [w for w, stop in _walk(root, keep) if stop]


def move_focus(root: QWidget, forward: bool) -> bool:
    """Tab (or Shift+Tab) inside `root`: the next stop in screen order, round the end."""
    focus = QApplication.focusWidget()
    leaving = isinstance(focus, QAbstractButton) and root.isAncestorOf(focus) and not is_stop(focus)
    if leaving and _parking.park(focus):  # type: ignore[arg-type]
        return True  # its button was hidden or disabled: parked until the buttons return
    keep = _parking.remembered() if focus is _parking.holder else None
    walked = list(_walk(root, keep))
    stops = [w for w, stop in walked if stop]
    if not stops:
        return False
    position = _position(walked, keep or focus)
    if position is None:
        target = stops[0] if forward else stops[-1]
    else:
        after = [w for w, stop in walked[position + 1 :] if stop]
        before = [w for w, stop in walked[:position] if stop]
        ring = after + before if forward else before[::-1] + after[::-1]
        if not ring:
            return False
        target = ring[0]
    return _land(target, forward)


def _position(walked: list[tuple[QWidget, bool]], focus: QWidget | None) -> int | None:
    """Where `focus` (or its nearest listed ancestor) is in the walk."""
    index = {id(w): i for i, (w, _stop) in enumerate(walked)}
    widget = focus
    while widget is not None:
        if id(widget) in index:
            return index[id(widget)]
        widget = widget.parentWidget()
    return None


def _land(target: QWidget, forward: bool) -> bool:
    reason = Qt.FocusReason.TabFocusReason if forward else Qt.FocusReason.BacktabFocusReason
    target.setFocus(reason)
    parent = target.parentWidget()
    while parent is not None:  # a field below the fold scrolls into view
        if isinstance(parent, QScrollArea):
            parent.ensureWidgetVisible(target)
        parent = parent.parentWidget()
    return True


class _Parking(QObject):
    """Holds the focus on a button row's container while its buttons are hidden or disabled,
    and gives it back (to the same button, else the next one of the row that can take it)."""

    def __init__(self) -> None:
        super().__init__()
        self.holder: QWidget | None = None
        self.button: QAbstractButton | None = None
        self._substitute: QWidget | None = None
        self._origin: QAbstractButton | None = None
        self._watched: list[QWidget] = []
        self._pending = False

    def remembered(self) -> QWidget | None:
        return self.button

    def park(self, button: QAbstractButton) -> bool:
        holder = button.parentWidget()
        if holder is None or not holder.isVisible():
            return False
        if button is self._substitute and self._origin is not None:
            button = self._origin  # we put it there: the user's button is still the one
        self._release()
        self.holder, self.button = holder, button
        holder.setFocus(Qt.FocusReason.OtherFocusReason)
        self._watched = [w for w in _layout_widgets(holder) if isinstance(w, QAbstractButton)]
        for widget in self._watched:
            widget.installEventFilter(self)
        # The button may already be back (a Cancel hidden after the action it stood in for
        # returned): no row event would come, so look once the current rendering is done.
        self._pending = True
        QTimer.singleShot(0, self._restore)
        return True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ROW_EVENTS and not self._pending:
            self._pending = True  # once the whole row is rendered, not after its first button
            QTimer.singleShot(0, self._restore)
        return False

    def _restore(self) -> None:
        self._pending = False
        holder, button = self.holder, self.button
        if holder is None or button is None or not shiboken6.isValid(holder):
            self._release()
            return
        if QApplication.focusWidget() is not holder:
            self._release()  # the user moved on
            return
        row = [w for w in self._watched if is_stop(w)]
        if not row:
            return  # still busy: keep waiting
        if button in row:
            target: QWidget = button
        else:
            order = self._watched
            start = order.index(button) if button in order else 0
            ahead = order[start + 1 :] + order[:start]
            target = next(w for w in ahead if w in row)
        self._release()
        target.setFocus(Qt.FocusReason.OtherFocusReason)
        if target is not button:
            self._substitute, self._origin = target, button

    def _release(self) -> None:
        for widget in self._watched:
            if shiboken6.isValid(widget):  # a closed window's buttons are gone
                widget.removeEventFilter(self)
        self._watched = []
        self.holder = self.button = None
        self._substitute = self._origin = None


def _layout_widgets(holder: QWidget) -> list[QWidget]:
    """The widgets of `holder`'s layout in layout order (hidden ones included)."""
    found: list[QWidget] = []

    def visit(layout: QLayout) -> None:
        for i in range(layout.count()):
            item = layout.itemAt(i)
            if item.widget() is not None:
                found.append(item.widget())
            elif item.layout() is not None:
                visit(item.layout())

    if holder.layout() is not None:
        visit(holder.layout())
    return found


_parking = _Parking()


class _TabLeaves(QObject):
    """Makes Tab and Shift+Tab leave a widget that would keep them (a date edit that moves
    between its sections, or never leaves while it shows "Never")."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(watched, QWidget):
            assert isinstance(event, QKeyEvent)
            key, modifiers = event.key(), event.modifiers()
            blocked = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
            if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and not modifiers & blocked:
                forward = key == Qt.Key.Key_Tab and not (
                    modifiers & Qt.KeyboardModifier.ShiftModifier
                )
                # QWidget's own step, past the widget's override: up to the window's order.
                QWidget.focusNextPrevChild(watched, forward)
                return True
        return False


_tab_leaves = _TabLeaves()


def let_tab_leave(widget: QWidget) -> None:
    """Tab and Shift+Tab always move on from `widget` (its sections stay on Left/Right)."""
    widget.installEventFilter(_tab_leaves)
