"""Logos and glyphs as the last run rendered them, kept as PNG to draw the next start at once.

Rendering an SVG loads Qt's SVG plugin and costs about 0.3 ms per image: a start that draws
the catalogue's logos and the toolbar's glyphs from this store decodes small PNGs instead.
An image is found by what it was rendered from (the file's path, modification time and size,
or the SVG text's checksum) and at which size, so a changed logo is rendered anew; the store
keeps only what the run used, so it never grows. Anything unreadable is ignored: it is only a
cache. No engine here (it runs before the engine is imported).
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

from PySide6.QtGui import QPixmap

MAGIC = b"ffdesk-images-1\n"
MAX_IMAGES = 400  # far more than one screen shows; a bound against a runaway key

_stored: dict[str, bytes] = {}  # read from the file: key -> PNG
_used: dict[str, QPixmap] = {}  # rendered or drawn from the store by this run


def image_key(source: str | bytes, pixels: int, ratio: float) -> str | None:
    """What identifies a rendering; None when the source file cannot be read."""
    if isinstance(source, bytes):
        origin = f"svg:{zlib.crc32(source):08x}:{len(source)}"
    else:
        try:
            status = os.stat(source)
        except OSError:
            return None
        origin = f"{source}:{status.st_mtime_ns}:{status.st_size}"
    return f"{origin}@{pixels}x{ratio:g}"


def stored_pixmap(key: str, ratio: float) -> QPixmap | None:
    """The stored rendering of `key`, or None."""
    data = _stored.get(key)
    if data is None:
        return None
    pixmap = QPixmap()
    if not pixmap.loadFromData(data, "PNG"):
        _stored.pop(key, None)
        return None
    pixmap.setDevicePixelRatio(ratio)
    _used[key] = pixmap
    return pixmap


def remember(key: str, pixmap: QPixmap) -> None:
    """A rendering made by this run, to be stored for the next one."""
    if len(_used) < MAX_IMAGES:
        _used[key] = pixmap


def forget_images() -> None:
    """Start over: nothing stored, nothing used (a new store, or a test)."""
    _stored.clear()
    _used.clear()


def load_images(path: Path) -> int:
    """Read the store written by the last run; returns how many images it holds."""
    try:
        data = path.read_bytes()
    except OSError:
        return 0
    _stored.clear()
    if not data.startswith(MAGIC):
        return 0
    offset = len(MAGIC)
    try:
        while offset < len(data) and len(_stored) < MAX_IMAGES:
            key_length = int.from_bytes(data[offset : offset + 4], "big")
            image_length = int.from_bytes(data[offset + 4 : offset + 8], "big")
            offset += 8
            key = data[offset : offset + key_length].decode("utf-8")
            offset += key_length
            image = data[offset : offset + image_length]
            offset += image_length
            if len(image) != image_length:
                break  # cut short: keep what was whole
            _stored[key] = image
    except UnicodeDecodeError:
        _stored.clear()
    return len(_stored)


def save_images(path: Path) -> None:
    """Write the renderings this run used (atomically; a failure only costs the next start)."""
    parts = [MAGIC]
    for key, pixmap in _used.items():
        png = _stored.get(key)
        if png is None:
            png = _stored[key] = _png(pixmap)  # encoded once: saved again at shutdown
        if not png:
            continue
        encoded = key.encode("utf-8")
        parts += [len(encoded).to_bytes(4, "big"), len(png).to_bytes(4, "big"), encoded, png]
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(b"".join(parts))
        os.replace(temporary, path)
    except OSError:
        return


def _png(pixmap: QPixmap) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice  # only when saving

    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    pixmap.save(buffer, "PNG")
    buffer.close()
    return bytes(array.data())
