"""Under a dark system palette the window turns dark; light or dark, its text stays readable.

WCAG AA: at least 4.5:1 between text and background.

Contrast is measured on the rendered window: for each piece of text, the background is the
most common colour of its area and the text the pixel that stands out most against it.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from ffdesk.engine.system import System
from ffdesk.ui.catalogue_model import Role
from ffdesk.ui.main_window import MainWindow
from ffdesk.ui.style import DARK, LIGHT, apply_style, theme
from tests.fakes.stripe import FakeStripe
from tests.ui.helpers import click, message, open_integration, type_into
from tests.ui.test_screenshots import configure_stripe, save

AA = 4.5  # WCAG 2 level AA for normal text


def luminance(color: QColor) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(color.red())
        + 0.7152 * channel(color.green())
        + 0.0722 * channel(color.blue())
    )


def contrast(a: QColor, b: QColor) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def measure(window: MainWindow, rect: QRect) -> tuple[float, QColor]:
    """(contrast of the text in `rect` of the window against its background, the background)."""
    image = window.grab(rect).toImage()
    pixels = Counter(image.pixel(x, y) for x in range(image.width()) for y in range(image.height()))
    background = QColor.fromRgb(pixels.most_common(1)[0][0])
    best = max(contrast(QColor.fromRgb(pixel), background) for pixel in pixels)
    return best, background


def area(window: MainWindow, widget: QWidget, rect: QRect | None = None) -> QRect:
    """`rect` of `widget` (all of it by default) in window coordinates."""
    rect = rect if rect is not None else widget.rect()
    return QRect(widget.mapTo(window, rect.topLeft()), rect.size())


SYSTEM_PALETTES = {  # what a desktop hands Qt (Breeze Dark's and Breeze's main colours)
    "dark": ("#202326", "#FCFCFC", "#141618", "#292C30"),
    "light": ("#EFF0F1", "#232629", "#FCFCFC", "#FCFCFC"),
}


def system_palette(scheme: str) -> QPalette:
    window, text, base, button = SYSTEM_PALETTES[scheme]
    palette = QPalette()
    for role, color in (
        (QPalette.ColorRole.Window, window),
        (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base),
        (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.Button, button),
        (QPalette.ColorRole.ButtonText, text),
    ):
        palette.setColor(role, QColor(color))
    return palette


def follow(qapp: QApplication, scheme: str) -> Iterator[str]:
    qapp.setPalette(system_palette(scheme))
    apply_style(qapp)  # follows the system: sees a dark or light window colour
    yield scheme
    apply_style(qapp, dark=False)


@pytest.fixture
def dark(qapp: QApplication) -> Iterator[str]:
    yield from follow(qapp, "dark")


@pytest.fixture(params=["dark", "light"])
def scheme(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    yield from follow(qapp, request.param)


@pytest.fixture
def themed_window(
    scheme: str, system: System, make_window: Callable[[System], MainWindow]
) -> MainWindow:
    return make_window(system)


@pytest.fixture
def dark_window(
    dark: str, system: System, make_window: Callable[[System], MainWindow]
) -> MainWindow:
    return make_window(system)


def test_a_dark_system_palette_turns_the_window_dark(qapp: QApplication, dark: str) -> None:
    assert theme() is DARK
    assert qapp.palette().color(QPalette.ColorRole.Window).lightness() < 60
    apply_style(qapp, dark=False)
    assert theme() is LIGHT
    assert qapp.palette().color(QPalette.ColorRole.Window).lightness() > 200


def catalogue_areas(window: MainWindow) -> dict[str, QRect]:
    """Name, description and badge of every visible entry, the header words, the counts."""
    view = window.catalogue
    tree, viewport = view.tree, view.tree.viewport()
    areas = {"count": area(window, view.count_label)}
    for row in range(view.proxy.rowCount()):
        header = view.proxy.index(row, 0)
        rect = tree.visualRect(header)
        if viewport.rect().contains(rect.center()):
            words = QRect(rect.left() + 36, rect.bottom() - 30, rect.width() // 2, 24)
            areas[f"header {header.data()}"] = area(window, viewport, words)
        for child in range(view.proxy.rowCount(header)):
            index = view.proxy.index(child, 0, header)
            rect = tree.visualRect(index)
            if not viewport.rect().contains(rect.bottomRight()):
                continue
            name = str(index.data(Role.IDENTIFIER))
            text_left, half = rect.left() + 56, rect.height() // 2
            width = rect.width() // 2 - 40
            areas[f"{name} name"] = area(
                window, viewport, QRect(text_left, rect.top() + 6, width, half - 6)
            )
            areas[f"{name} description"] = area(
                window, viewport, QRect(text_left, rect.top() + half, width, half - 6)
            )
            badge = QRect(rect.right() - 12 - 60, rect.center().y() - 6, 56, 12)
            areas[f"{name} badge"] = area(window, viewport, badge)
    return areas


def test_catalogue_text_is_readable(qtbot: Any, scheme: str, themed_window: MainWindow) -> None:
    window = themed_window
    open_integration(qtbot, window, "payment_stripe")  # one selected row among the others
    areas = catalogue_areas(window)
    assert "payment_stripe description" in areas and len(areas) > 10
    _, panel = measure(window, area(window, window.catalogue.tree.viewport()))
    assert luminance(panel) < 0.05 if scheme == "dark" else luminance(panel) > 0.9
    poor = {}
    for label, rect in areas.items():
        ratio, _ = measure(window, rect)
        if ratio < AA:
            poor[label] = round(ratio, 2)
    assert not poor


def test_form_and_header_text_is_readable(qtbot: Any, arun: Any, themed_window: MainWindow) -> None:
    window = themed_window
    arun(window.system.install_module("payment_stripe"), timeout=20000)
    arun(window.refresh())
    open_integration(qtbot, window, "payment_stripe")
    type_into(qtbot, window, "publishable_key", "pk_test_visible")
    form, header = window.pane.form, window.pane.header
    areas = {
        "title": area(window, header.title),
        "meta": area(window, header.meta),
        "badge": area(window, header.badge, header.badge.rect().adjusted(6, 4, -6, -4)),
        "unsaved": area(window, form.dirty_label),
    }
    poor = {}

    def check(label: str, rect: QRect) -> None:
        ratio, _ = measure(window, rect)
        if ratio < AA:
            poor[label] = round(ratio, 2)

    for label, rect in areas.items():
        check(label, rect)
    measured = set()
    for name, row in form.rows.items():
        if row.container.isVisible():
            # A form taller than the window scrolls: bring each row into view to read it.
            form.scroll.ensureWidgetVisible(row.container)
            QApplication.processEvents()
            check(f"label {name}", area(window, row.label))
            widget = row.editor.widget
            if hasattr(widget, "placeholderText"):  # typed text, or the placeholder
                line = widget if isinstance(widget, QLineEdit) else None
                if line is not None and not (line.text() or line.placeholderText()):
                    continue  # an empty field without a placeholder has nothing to read
                half = widget.width() // 2
                if line is not None and line.alignment() & Qt.AlignmentFlag.AlignRight:
                    # Numbers sit on the right.
                    inner = widget.rect().adjusted(half, 4, -4, -4)
                else:
                    inner = widget.rect().adjusted(4, 4, -half, -4)
                check(f"editor {name}", area(window, widget, inner))
                measured.add(f"editor {name}")
    assert "editor secret_key" in measured  # its placeholder says whether a key is stored
    assert not poor


@pytest.mark.parametrize("kind", ["info", "success", "warning", "error"])
def test_message_bar_is_readable(scheme: str, themed_window: MainWindow, kind: str) -> None:
    window = themed_window
    window.show_message(kind, "Stripe could not be reached: connection refused.")
    QApplication.processEvents()
    bar = window.message
    ratio, fill = measure(window, area(window, bar.label))
    assert ratio >= AA
    assert luminance(fill) < 0.1 if scheme == "dark" else luminance(fill) > 0.8


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("FFDESK_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_screenshot_dark_window(
    qtbot: Any, arun: Any, dark_window: MainWindow, shots: Path, fake_stripe: FakeStripe
) -> None:
    window = dark_window
    for amount in (1999, 4500, 12000):
        fake_stripe.add_payment_intent(amount=amount)
    arun(configure_stripe(window.system, contacts=5, enable=True), timeout=20000)
    arun(window.refresh())
    open_integration(qtbot, window, "payment_stripe")
    click(qtbot, window.pane.header.sync_button)
    qtbot.waitUntil(lambda: message(window).startswith("Sync finished"), timeout=15000)
    save(qtbot, window, shots / "dark-sync-history.png")
    click(qtbot, window.pane.header.test_button)
    qtbot.waitUntil(lambda: message(window).startswith("Connection ok"), timeout=10000)
    save(qtbot, window, shots / "dark-stripe-form.png")


def test_switching_to_dark_while_open_recolours_what_is_shown(
    qtbot: Any, qapp: QApplication, arun: Any, window: MainWindow
) -> None:
    arun(window.system.install_module("payment_stripe"), timeout=20000)
    arun(window.refresh())
    open_integration(qtbot, window, "payment_stripe")
    window.pane.message.show_message("warning", "Stripe could not be reached.")
    header = window.pane.header
    _, light_fill = measure(window, area(window, window.pane.message.label))
    assert luminance(light_fill) > 0.8
    try:
        qapp.setPalette(system_palette("dark"))  # the desktop switched to dark
        apply_style(qapp)
        QApplication.processEvents()
        for widget in (window.pane.message.label, header.badge, header.title):
            ratio, ground = measure(window, area(window, widget))
            assert ratio >= AA and luminance(ground) < 0.1, widget.objectName()
        _, tile = measure(
            window, area(window, header.logo, QRect(1, header.logo.height() // 2 - 4, 2, 8))
        )
        assert luminance(tile) > 0.8  # logos keep a light ground
    finally:
        apply_style(qapp, dark=False)
