"""A keyboard-only user: Tab walks the whole window in screen order, once round, no trap."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
    QToolBar,
    QToolButton,
    QWidget,
)

from ffdesk.ui.main_window import MainWindow
from ffdesk.ui.style import apply_style
from tests.fakes.stripe import FakeStripe
from tests.ui.helpers import click, open_integration, type_into
from tests.ui.test_sync import enabled_stripe

# What a user can operate; their inner parts (a combo's line edit, a table's header, a line
# edit's icons, a tab bar's scroll arrows) belong to them.
INTERACTIVE = (
    QAbstractButton,
    QLineEdit,
    QComboBox,
    QAbstractSpinBox,
    QPlainTextEdit,
    QTextEdit,
    QAbstractItemView,
    QTabBar,
)
MAX_STEPS = 200


def _owner(widget: QWidget | None) -> QWidget | None:
    """The outermost interactive widget holding `widget` (itself if none holds it)."""
    found = None
    while widget is not None and not widget.isWindow():
        if isinstance(widget, INTERACTIVE):
            found = widget
        widget = widget.parentWidget()
    return found


def interactive_widgets(window: MainWindow) -> list[QWidget]:
    """Every shown, enabled control of the window a keyboard user must reach."""
    found = []
    for widget in window.findChildren(QWidget):
        if not isinstance(widget, INTERACTIVE) or widget.window() is not window:
            continue
        if not (widget.isVisible() and widget.isEnabled()) or _owner(widget) is not widget:
            continue
        if isinstance(widget, QToolButton) and widget.defaultAction() is not None:
            continue  # toolbar buttons: reached by their shortcuts (checked below)
        found.append(widget)
    return found


def walk(qtbot: Any, start: QWidget, key: Qt.Key) -> list[QWidget]:
    """Press `key` from `start` until the focus comes back to it; what took the focus."""
    start.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(start.hasFocus)
    reached: list[QWidget] = []
    for _ in range(MAX_STEPS):
        focus = QApplication.focusWidget()
        assert focus is not None, f"focus lost after {[name(w) for w in reached]}"
        qtbot.keyClick(focus, key)
        owner = _owner(QApplication.focusWidget())
        assert owner is not None, f"focus left the controls after {name(focus)}"
        if owner is start:
            return reached
        reached.append(owner)
    raise AssertionError(f"Tab never came back to the start: {[name(w) for w in reached[-12:]]}")


def name(widget: QWidget) -> str:
    return widget.objectName() or type(widget).__name__


def assert_one_cycle(window: MainWindow, reached: list[QWidget]) -> None:
    cycle = [window.switcher, *reached]
    names = [name(w) for w in cycle]
    assert len(set(map(id, cycle))) == len(cycle), f"reached twice: {names}"
    expected = {name(w) for w in interactive_widgets(window)}
    assert set(names) == expected, (
        f"never reached: {sorted(expected - set(names))}; not expected: {set(names) - expected}"
    )


def index_of(reached: list[QWidget], widget: QWidget) -> int:
    return next(i for i, w in enumerate(reached) if w is widget)


@pytest.fixture
def stripe_installed(qtbot: Any, window: MainWindow, arun: Any) -> MainWindow:
    arun(window.system.install_module("payment_stripe"), timeout=20000)
    arun(window.refresh())
    open_integration(qtbot, window, "payment_stripe")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


def test_tab_walks_a_never_synced_integration_once_in_screen_order(
    qtbot: Any, stripe_installed: MainWindow
) -> None:
    window = stripe_installed
    pane, form = window.pane, window.pane.form
    type_into(qtbot, window, "publishable_key", "pk_test_edited")  # Save and Discard take part
    last_synced = form.editor("last_synced_date").widget
    assert last_synced.isReadOnly()

    reached = walk(qtbot, window.switcher, Qt.Key.Key_Tab)
    assert_one_cycle(window, reached)
    order = [window.switcher, *reached]
    screen = [
        window.switcher,
        window.search,
        window.catalogue.state_filter,
        window.catalogue.tree,
        pane.header.enable_button,
        pane.header.test_button,
        pane.header.uninstall_button,
        form.editor("name").widget,
        form.editor("secret_key").widget,
        last_synced,  # read-only, reached once and left
        form.discard_button,
        form.save_button,
        pane.tabs.tabBar(),
    ]
    positions = [index_of(order, w) for w in screen]
    assert positions == sorted(positions), [name(w) for w in screen]

    backwards = walk(qtbot, window.switcher, Qt.Key.Key_Backtab)
    assert backwards == reached[::-1]


def test_tab_walks_a_synced_integration_and_leaves_every_table(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: FakeStripe
) -> None:
    fake_stripe.add_payment_intent(amount=1500)
    enabled_stripe(arun, window, contacts=3)
    open_integration(qtbot, window, "payment_stripe")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    pane = window.pane
    click(qtbot, pane.header.sync_button)
    qtbot.waitUntil(
        lambda: (
            pane.runs_model.rowCount() == 1 and not window.controller.is_running(pane.record.id)
        ),
        timeout=15000,
    )
    qtbot.waitUntil(lambda: pane.header.sync_button.isVisible())
    history = pane.runs_page.table
    assert history.isVisible()

    reached = walk(qtbot, window.switcher, Qt.Key.Key_Tab)
    assert_one_cycle(window, reached)
    assert index_of(reached, pane.tabs.tabBar()) + 1 == index_of(reached, history)
    assert index_of(reached, pane.form.editor("last_synced_date").widget) < index_of(
        reached, history
    )
    assert walk(qtbot, window.switcher, Qt.Key.Key_Backtab) == reached[::-1]

    # The mapped records tab: its table is one stop too, then Resync (when a row is chosen).
    pane.tabs.setCurrentIndex(1)
    table = pane.mappings_page.table
    table.selectRow(0)
    reached = walk(qtbot, window.switcher, Qt.Key.Key_Tab)
    assert_one_cycle(window, reached)
    assert index_of(reached, table) + 1 == index_of(reached, pane.mappings_tab.resync_button)


def test_forty_tabs_in_the_sync_history_leave_it(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: FakeStripe
) -> None:
    enabled_stripe(arun, window, contacts=2)
    open_integration(qtbot, window, "payment_stripe")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    pane = window.pane
    for runs in (1, 2):
        click(qtbot, pane.header.sync_button)
        qtbot.waitUntil(
            lambda runs=runs: (
                pane.runs_model.rowCount() == runs and pane.header.sync_button.isVisible()
            ),
            timeout=15000,
        )
    table = pane.runs_page.table
    table.setFocus()
    qtbot.waitUntil(table.hasFocus)
    qtbot.keyClick(table, Qt.Key.Key_Tab)
    assert not table.hasFocus()
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Backtab)
    assert QApplication.focusWidget() is pane.tabs.tabBar()


def test_toolbar_buttons_have_shortcuts(window: MainWindow) -> None:
    for action in window.findChild(QToolBar).actions():
        if action.isVisible() and not action.isSeparator() and action.text():
            assert not action.shortcut().isEmpty(), action.text()


@pytest.fixture(params=[False, True], ids=["light", "dark"])
def themed(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[bool]:
    apply_style(qapp, dark=request.param)
    yield request.param
    apply_style(qapp, dark=False)


def test_every_stop_shows_that_it_has_the_focus(
    qtbot: Any, themed: bool, stripe_installed: MainWindow
) -> None:
    window = stripe_installed
    type_into(qtbot, window, "publishable_key", "pk_test_edited")
    window.switcher.setFocus()
    qtbot.waitUntil(window.switcher.hasFocus)
    unchanged = []
    for _ in range(len(interactive_widgets(window))):
        focus = QApplication.focusWidget()
        owner = _owner(focus)
        assert owner is not None
        focused = owner.grab().toImage()
        qtbot.keyClick(focus, Qt.Key.Key_Tab)
        if owner.grab().toImage() == focused:
            unchanged.append(name(owner))
    assert unchanged == [], f"no visible focus on {unchanged}"
