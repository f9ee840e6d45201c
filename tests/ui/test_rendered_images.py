"""Logos and glyphs kept as rendered for the next start: same pixels, never stale, never fatal."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from ffdesk.ui.icons import render_image
from ffdesk.ui.rendered_images import (
    forget_images,
    image_key,
    load_images,
    save_images,
    stored_pixmap,
)

SQUARE = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
    '<rect width="10" height="10" fill="{color}"/></svg>'
)


@pytest.fixture(autouse=True)
def fresh_store() -> Iterator[None]:
    forget_images()
    yield
    forget_images()


def logo(path: Path, color: str) -> Path:
    path.write_text(SQUARE.format(color=color), encoding="utf-8")
    return path


def centre(image: QImage) -> str:
    return image.pixelColor(image.width() // 2, image.height() // 2).name()


def test_the_next_start_draws_the_same_pixels_from_the_store(
    qapp: QApplication, tmp_path: Path
) -> None:
    svg = logo(tmp_path / "logo.svg", "#ff0000")
    first = render_image(str(svg), 40, 2.0)
    assert first is not None
    store = tmp_path / "images.bin"
    save_images(store)

    forget_images()  # a new process
    assert load_images(store) == 1
    key = image_key(str(svg), 80, 2.0)
    assert key is not None and stored_pixmap(key, 2.0) is not None
    again = render_image(str(svg), 40, 2.0)
    assert again is not None
    assert again.devicePixelRatio() == 2.0
    assert again.toImage().convertToFormat(QImage.Format.Format_ARGB32) == (
        first.toImage().convertToFormat(QImage.Format.Format_ARGB32)
    )


def test_a_changed_logo_is_rendered_anew_not_drawn_from_the_store(
    qapp: QApplication, tmp_path: Path
) -> None:
    svg = logo(tmp_path / "logo.svg", "#ff0000")
    assert centre(render_image(str(svg), 32).toImage()) == "#ff0000"  # type: ignore[union-attr]
    store = tmp_path / "images.bin"
    save_images(store)

    forget_images()
    load_images(store)
    logo(svg, "#0000ff")
    stamp = svg.stat().st_mtime_ns + 1_000_000_000
    os.utime(svg, ns=(stamp, stamp))  # the module was updated since the last run
    assert centre(render_image(str(svg), 32).toImage()) == "#0000ff"  # type: ignore[union-attr]


def test_a_damaged_or_cut_store_is_ignored_and_logos_still_render(
    qapp: QApplication, tmp_path: Path
) -> None:
    svg = logo(tmp_path / "logo.svg", "#00ff00")
    render_image(str(svg), 24)
    render_image(str(svg), 48)
    store = tmp_path / "images.bin"
    save_images(store)
    whole = store.read_bytes()

    forget_images()
    store.write_bytes(whole[: len(whole) - 10])  # the second image cut short
    assert load_images(store) == 1  # the whole one is kept
    store.write_bytes(b"\x00garbage" * 50)
    assert load_images(store) == 0
    store.write_bytes(whole.replace(b"PNG", b"XXX"))  # images that do not decode
    load_images(store)
    pixmap = render_image(str(svg), 24)
    assert pixmap is not None and centre(pixmap.toImage()) == "#00ff00"
    assert load_images(tmp_path / "missing.bin") == 0


def test_only_what_the_run_used_is_kept(qapp: QApplication, tmp_path: Path) -> None:
    old = logo(tmp_path / "old.svg", "#111111")
    new = logo(tmp_path / "new.svg", "#222222")
    render_image(str(old), 32)
    store = tmp_path / "images.bin"
    save_images(store)

    forget_images()  # the next run shows only the new logo
    load_images(store)
    render_image(str(new), 32)
    save_images(store)

    forget_images()
    assert load_images(store) == 1
    key = image_key(str(new), 32, 1.0)
    assert key is not None and stored_pixmap(key, 1.0) is not None
