"""Fixtures for window tests: a System on a temporary database, the window, a fake Stripe."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from ffdesk.api import open_system
from ffdesk.engine.env import env_ctx
from ffdesk.engine.system import System
from ffdesk.ui.main_window import MainWindow
from tests.fakes.stripe import FakeStripe
from tests.helpers.database import database_url

STRIPE_KEY = "sk_test_ffdeskUiTests0000000000"
WINDOW_SIZE = (1280, 800)


@pytest.fixture(scope="session", autouse=True)
def _ffdesk_style(qapp: Any) -> None:
    """The window's real look (Fusion, palette, style sheet), as `ffdesk` shows it."""
    from ffdesk.ui.style import apply_style

    apply_style(qapp)


@pytest.fixture
def modules_path() -> list[Path]:
    """Extra module folders for the System (tests add to it before `system` is created)."""
    return []


@pytest.fixture
def system(tmp_path: Path, arun: Callable[..., Any], modules_path: list[Path]) -> Iterator[System]:
    token = env_ctx.set(env_ctx.get(None))  # type: ignore[arg-type]
    opened: System = arun(
        open_system(database_url(tmp_path / "ffdesk.db"), modules_path, entry_points=False)
    )
    env_ctx.set(opened.env)  # as the window does: tasks started from here see the System
    yield opened
    arun(opened.close())
    env_ctx.reset(token)


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_window(
    qtbot: Any, arun: Callable[..., Any], settings: QSettings
) -> Iterator[Callable[[System], MainWindow]]:
    windows: list[MainWindow] = []

    def make(system: System) -> MainWindow:
        window = MainWindow(system, settings=settings)
        qtbot.addWidget(window)
        window.resize(*WINDOW_SIZE)
        arun(window.refresh())
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window._close_confirmed = True  # teardown closes it: no unsaved-changes prompt
        for dialog in window.findChildren(QMessageBox):
            dialog.close()
        window.close()


@pytest.fixture
def window(system: System, make_window: Callable[[System], MainWindow]) -> MainWindow:
    return make_window(system)


@pytest.fixture
def fake_stripe(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    fake = FakeStripe(secret_key=STRIPE_KEY).start()
    monkeypatch.setenv("FFDESK_PAYMENT_STRIPE_API_BASE", fake.url)
    monkeypatch.setenv("FFDESK_PAYMENT_STRIPE_RATE_LIMIT", "0")
    yield fake
    fake.stop()


def find_dialog(qtbot: Any, parent: QWidget, name: str, timeout: int = 3000) -> Any:
    """Wait for the open dialog called `name` (dialogs are opened with open(), never exec())."""
    found: list[Any] = []

    def visible() -> bool:
        found[:] = [
            w
            for w in QApplication.topLevelWidgets() + parent.findChildren(QWidget, name)
            if w.objectName() == name and w.isVisible()
        ]
        return bool(found)

    qtbot.waitUntil(visible, timeout=timeout)
    return found[0]


def no_dialog(parent: QWidget, name: str) -> bool:
    return not [w for w in parent.findChildren(QWidget, name) if w.isVisible()]


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """The app's log file for this test; its handler is removed afterwards."""
    import logging

    import ffdesk.logs

    path = ffdesk.logs.setup_logging()
    yield path
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "baseFilename", None) == str(path):
            root.removeHandler(handler)
            handler.close()
    ffdesk.logs._configured = None


@pytest.fixture(autouse=True)
def _log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FFDESK_LOG_DIR", str(tmp_path / "logs"))
    os.environ.pop("FFDESK_MODULES_PATH", None)
