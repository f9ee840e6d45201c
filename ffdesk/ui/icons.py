"""Icons: module logos rendered from SVG once per size, the app icon and small line glyphs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap

from ffdesk.ui.rendered_images import image_key, remember, stored_pixmap
from ffdesk.ui.style import theme

if TYPE_CHECKING:
    from PySide6.QtGui import QImage, QImageReader

# ffdesk/paths.RESOURCES, without importing platformdirs before the first paint.
ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
CATEGORY_ICONS = {
    "Online Payment": "online_payment.svg",
    "Messaging": "messaging.svg",
    "Shipping": "shipping.svg",
}

# Small line glyphs (24x24, stroke drawn in the colour given at render time).
_GLYPHS = {
    "eye": '<path d="M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12z"/>'
    '<circle cx="12" cy="12" r="3"/>',
    "eye-off": '<path d="M3 3l18 18"/><path d="M10.6 5.1A10 10 0 0 1 12 5c6.4 0 10 7 10 7a17'
    ' 17 0 0 1-3.2 4.1M6.6 6.6C3.8 8.4 2 12 2 12s3.6 7 10 7a9.9 9.9 0 0 0 5.4-1.6"/>'
    '<path d="M9.9 9.9a3 3 0 0 0 4.2 4.2"/>',
    "clear": '<path d="M6 6l12 12M18 6L6 18"/>',
    "search": '<circle cx="11" cy="11" r="7"/><path d="M20 20l-4-4"/>',
    "refresh": '<path d="M20 12a8 8 0 1 1-2.3-5.7"/><path d="M20 4v5h-5"/>',
    "warning": '<path d="M12 3l10 18H2z"/><path d="M12 10v5M12 18v.01"/>',
    "info": '<circle cx="12" cy="12" r="9"/><path d="M12 11v6M12 7.5v.01"/>',
    "error": '<circle cx="12" cy="12" r="9"/><path d="M9 9l6 6M15 9l-6 6"/>',
    "ok": '<circle cx="12" cy="12" r="9"/><path d="M8 12.5l3 3 5-6"/>',
    "module": '<rect x="3" y="3" width="18" height="18" rx="4"/><path d="M8 12h8M12 8v8"/>',
}


def _svg(body: str, color: str) -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" '
        f'stroke="{color}" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">'
        f"{body}</svg>"
    ).encode()


def _read(reader: QImageReader, pixels: int) -> QImage:
    """The image scaled to fit pixels x pixels, aspect ratio kept (vectors drawn at that size)."""
    natural = reader.size()
    if not natural.isValid() or natural.isEmpty():
        natural = QSize(pixels, pixels)
    target = natural.scaled(pixels, pixels, Qt.AspectRatioMode.KeepAspectRatio)
    vector = bytes(reader.format().data()).startswith(b"svg")
    if vector:
        reader.setScaledSize(target)  # rendered at the size asked, so it stays sharp
        return reader.read()
    image = reader.read()
    if image.isNull():
        return image
    return image.scaled(
        target, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


def render_image(source: str | bytes, size: int, ratio: float = 1.0) -> QPixmap | None:
    """A square transparent pixmap with the image (file path or SVG bytes) centred in it.

    Read through Qt's image plugins (SVG included), so start-up never imports QtSvg; drawn
    from the last run's renderings when it has this one (`rendered_images`).
    """
    pixels = max(1, round(size * ratio))
    key = image_key(source, pixels, ratio)
    stored = stored_pixmap(key, ratio) if key is not None else None
    if stored is not None:
        return stored
    # Imported here: a start drawn from stored renderings never creates these Qt types.
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImageReader

    if isinstance(source, bytes):
        buffer = QBuffer()
        buffer.setData(QByteArray(source))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        image = _read(QImageReader(buffer, QByteArray(b"svg")), pixels)
    else:
        image = _read(QImageReader(source), pixels)
    if image.isNull():
        return None
    pixmap = QPixmap(pixels, pixels)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.drawImage((pixels - image.width()) // 2, (pixels - image.height()) // 2, image)
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    if key is not None:
        remember(key, pixmap)
    return pixmap


class IconCache:
    """Logos by file path, rendered lazily on first paint and kept per (path, size)."""

    def __init__(self) -> None:
        self._pixmaps: dict[tuple[str, int, float], QPixmap] = {}
        self._icons: dict[str, QIcon] = {}

    def pixmap(self, path: str | None, size: int, ratio: float = 1.0) -> QPixmap:
        """The logo at `path` as a size x size pixmap (a neutral glyph if there is none)."""
        key = (path or "", size, ratio)
        cached = self._pixmaps.get(key)
        if cached is None:
            if path and Path(path).is_file():
                cached = render_image(path, size, ratio)
            if cached is None:
                cached = render_image(_svg(_GLYPHS["module"], theme().faint), size, ratio)
                assert cached is not None
            self._pixmaps[key] = cached
        return cached

    def icon(self, path: str | None) -> QIcon:
        """A QIcon of the logo (rendered by Qt's SVG icon engine at each size asked)."""
        key = path or ""
        icon = self._icons.get(key)
        if icon is None:
            icon = QIcon(path) if path and Path(path).is_file() else glyph("module", theme().faint)
            self._icons[key] = icon
        return icon

    def clear(self) -> None:
        self._pixmaps.clear()
        self._icons.clear()


_glyphs: dict[tuple[str, str], QIcon] = {}


def glyph(name: str, color: str | None = None) -> QIcon:
    """A small line icon ("eye", "clear", "warning", ...) in `color` (the theme's icon colour)."""
    color = color or theme().icon
    key = (name, color)
    icon = _glyphs.get(key)
    if icon is None:
        icon = QIcon()
        data = _svg(_GLYPHS[name], color)
        for size in (16, 24):  # Qt scales the nearest for other sizes
            pixmap = render_image(data, size)
            if pixmap is not None:
                icon.addPixmap(pixmap)
        _glyphs[key] = icon
    return icon


def app_icon() -> QIcon:
    """The window icon (ffdesk/resources/icons/app.svg)."""
    return QIcon(str(ICONS / "app.svg"))


def category_icon_path(category: str) -> str | None:
    """The SVG of a catalogue category, if ffdesk ships one."""
    name = CATEGORY_ICONS.get(category)
    path = ICONS / name if name else None
    return str(path) if path is not None and path.is_file() else None
