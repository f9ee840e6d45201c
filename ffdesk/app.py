"""The window's composition root: QApplication, the qasync loop, the System, the scheduler."""

from __future__ import annotations

import contextlib
import gc
import importlib
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from ffdesk.desktop_entry import APP_ID
from ffdesk.engine.errors import UserError
from ffdesk.ui.icons import app_icon
from ffdesk.ui.main_window import LAST_COMPANY_KEY, LAST_INTEGRATION_KEY, MainWindow
from ffdesk.ui.style import apply_style
from ffdesk.ui.translations import install_translations

if TYPE_CHECKING:
    from ffdesk.engine.system import System
    from ffdesk.sync.scheduler import Scheduler
    from ffdesk.ui.background_syncs import BackgroundSyncs
    from ffdesk.ui.catalogue_cache import FirstScreen
    from ffdesk.ui.errors import ErrorReport
    from ffdesk.ui.startup_error import StartupErrorWindow

log = logging.getLogger("ffdesk.app")
# Imported on a worker thread while the window paints: SQLAlchemy, Alembic, httpx and keyring
# take most of a second to import, which the user would otherwise watch as a blank screen.
HEAVY_MODULES = (
    "ffdesk.api",
    "ffdesk.services.integrations",
    "ffdesk.sync.runner",
    "ffdesk.sync.scheduler",
)

APP_NAME = "ffdesk"
ORGANIZATION = "Fullfinity"
ORGANIZATION_DOMAIN = "fullfinity.io"
EXECUTOR_THREADS = 4


class StartOptions:
    """The window's own options: the database and the company to open."""

    def __init__(self, database: str | None = None, company: str | None = None) -> None:
        self.database = database
        self.company = company


def parse_args(argv: Sequence[str]) -> tuple[StartOptions, list[str]]:
    """`--database URL` and `--company NAME` (or `--name=value`); the rest is left for Qt.

    By hand rather than with argparse, whose import costs the first paint 7 ms.
    """
    options, rest = StartOptions(), []
    items = list(argv)
    while items:
        item = items.pop(0)
        name, equals, value = item.partition("=")
        if name in ("--database", "--company"):
            if not equals:
                value = items.pop(0) if items else ""
            setattr(options, name[2:], value)
        else:
            rest.append(item)
    return options, rest


def _setup_logging() -> None:
    from ffdesk.logs import setup_logging

    try:
        path = setup_logging()
    except OSError as exc:  # an unwritable log folder must not stop the window
        logging.basicConfig(level=logging.INFO)
        log.warning("cannot write the log file (%s); logging to standard error", exc)
        return
    log.info("ffdesk window starting; log file %s", path)


def create_application(qt_args: Sequence[str] = (), *, icon: bool = True) -> QApplication:
    """The QApplication with ffdesk's names (for QSettings), language, icon and style.

    `icon=False` leaves the icon to the caller: its SVG engine costs the first paint 2 ms.
    """
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([APP_NAME, *qt_args])
    install_translations(app)  # before any widget exists: each reads its texts once
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANIZATION)
    app.setOrganizationDomain(ORGANIZATION_DOMAIN)
    app.setDesktopFileName(APP_ID)  # Wayland matches the window to the installed launcher
    if icon:
        app.setWindowIcon(app_icon())
    apply_style(app)
    return app


class App:
    """One run of the window: opens the System, fills the window, runs the scheduler."""

    def __init__(
        self,
        app: QApplication,
        args: StartOptions,
        window: MainWindow,
        first_screen_file: Path | None = None,
    ) -> None:
        import asyncio

        self.app = app
        # Where the window keeps what it shows, to draw the next start at once.
        self.first_screen_file = first_screen_file
        self.args = args
        self.main_window = window
        self.system: System | None = None
        self.window: MainWindow | StartupErrorWindow | None = window
        self.scheduler: Scheduler | None = None
        self.background: BackgroundSyncs | None = None
        self._closed = asyncio.Event()
        self.warnings: list[str] = []
        window.closed.connect(self._closed.set)

    async def main(self) -> int:
        """Runs until the window is closed; returns the exit code."""
        import asyncio

        window = self.main_window
        try:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, _import_heavy_modules)
            self.system = await self._open(window.settings)
        except Exception as exc:
            window.hide()
            window.deleteLater()
            return await self._show_startup_error(exc)
        await self.show_system(self.system)
        log.info("main window shown")
        # The keyring's first answer is a D-Bus round trip: asked on a worker thread, the
        # window keeps turning (the store keeps the answer for the warning below).
        probe = getattr(self.system.secrets, "unavailable_reason", lambda: None)
        await asyncio.get_running_loop().run_in_executor(None, probe)
        show_startup_warnings(window, self.system, self.warnings)
        from ffdesk.ui.closed_runs_notice import tell_runs_stopped_by_closing

        tell_runs_stopped_by_closing(window)  # once: syncs the last closing stopped
        from ffdesk.ui.background_syncs import BackgroundSyncs
        from ffdesk.ui.tray import TrayIcon

        # Where the platform has a tray: status, menu and notifications of scheduled runs.
        tray = TrayIcon(self.app) if TrayIcon.available() else None
        self.background = BackgroundSyncs(window, self.system, tray=tray)
        self.background.quit_requested.connect(self.request_quit)
        self.scheduler = self.background.scheduler
        self.background.start()
        window.setProperty("startupSettled", True)  # start-up work is over (bench, tests)
        try:
            await self._closed.wait()
        finally:
            await self._shutdown(window)
        return 0

    async def _show_startup_error(self, exc: BaseException) -> int:
        from ffdesk.ui.startup_error import StartupErrorWindow

        hint = QCoreApplication.translate(
            "App",
            "Check the --database option or FFDESK_DATABASE_URL (now {url}), "
            "then start ffdesk again.",
        ).format(url=self.args.database or _default_database_url())
        report = startup_report(exc)
        error_window = StartupErrorWindow(report, hint)
        self.window = error_window
        self._closed.clear()
        error_window.closed.connect(self._closed.set)
        error_window.show()
        log.info("start-up error window shown: %s", report.message)
        await self._closed.wait()
        return 1

    async def _open(self, settings: QSettings) -> System:
        from ffdesk.api import open_system

        system = await open_system(self.args.database)
        wanted = self.args.company or settings.value(LAST_COMPANY_KEY)
        if isinstance(wanted, str) and wanted:
            try:
                await system.select_company(wanted)
            except UserError as exc:
                if self.args.company:  # asked for on the command line: say it is not there
                    self.warnings.append(str(exc))
        return system

    async def show_system(self, system: System) -> None:
        """Attach the window to the open System and show its real content."""
        window = self.main_window
        # Drawn from the last run's cache: that stays on screen until the real content is
        # ready, so the swap is one paint (never an empty pane in between).
        if getattr(window, "first_screen", None) is not None:
            window.setUpdatesEnabled(False)
        try:
            window.attach(system)
            # Start-up objects (modules, registry, Qt wrappers) live as long as the window:
            # move them out of the collector's way, so full collections stop stalling the loop.
            gc.freeze()
            await window.refresh()
        finally:
            window.setUpdatesEnabled(True)
        self.save_first_screen()

    def save_first_screen(self) -> None:
        """Keep what the window shows now for the next start to draw at once."""
        if self.first_screen_file is None:
            return
        from ffdesk.ui.catalogue_cache import write_first_screen
        from ffdesk.ui.first_screen import snapshot

        try:
            screen = snapshot(self.main_window)
        except Exception as exc:  # only a faster next start is at stake
            log.warning("cannot keep the window's content for the next start: %s", exc)
            return
        if screen is not None:
            write_first_screen(self.first_screen_file, screen)
            from ffdesk.ui.catalogue_cache import IMAGES
            from ffdesk.ui.rendered_images import save_images

            save_images(self.first_screen_file.parent / IMAGES)

    async def _shutdown(self, window: MainWindow) -> None:
        window.save_settings()
        self.save_first_screen()
        window.hide()
        if self.background is not None:
            await self.background.stop()
        elif self.scheduler is not None:
            await self.scheduler.stop()
        if window.controller is not None:
            await window.controller.shutdown()
        if self.system is not None:
            await self.system.close()

    def request_quit(self) -> None:
        """Stop as after closing the window (Ctrl+C or SIGTERM; unsaved edits are not saved)."""
        self._closed.set()

    def excepthook(
        self,
        kind: type[BaseException],
        value: BaseException,
        tb: TracebackType | None,
    ) -> None:
        """A bug in a slot: logged with its traceback and shown, the window keeps running."""
        if issubclass(kind, KeyboardInterrupt):
            self._closed.set()
            return
        from ffdesk.ui.errors import report_error

        report = report_error(value.with_traceback(tb), "handling an event")
        if isinstance(self.window, MainWindow):
            self.window.show_message("error", report.message, report.details)


def show_startup_warnings(window: MainWindow, system: System, warnings: list[str]) -> None:
    """What the user must know at once; an unusable keyring stays said while it is so."""
    unusable = getattr(system.secrets, "unavailable_reason", lambda: None)
    reason = unusable()
    if reason:
        warnings.append(reason)
        window.keep_warning(reason, lambda: unusable() is not None)
    if warnings:
        window.show_message("warning", " ".join(warnings))


def _default_database_url() -> str:
    from ffdesk.paths import default_database_url

    return default_database_url()


def _first_screen(args: StartOptions) -> tuple[Path | None, FirstScreen | None]:
    """The cache file of the database asked for, and what it holds for the company asked for."""
    from ffdesk.paths import data_dir
    from ffdesk.ui.catalogue_cache import cache_file, read_first_screen

    try:
        path = cache_file(args.database or _default_database_url(), data_dir())
    except OSError:  # no data folder: the start-up error says so later
        return None, None
    screen = read_first_screen(path, args.database or _default_database_url())
    if screen is not None and args.company and args.company != screen.company:
        screen = None
    if screen is not None:  # the logos it shows, as rendered last time
        from ffdesk.ui.catalogue_cache import IMAGES
        from ffdesk.ui.rendered_images import load_images

        load_images(path.parent / IMAGES)
    return path, screen


def _import_heavy_modules() -> None:
    for name in HEAVY_MODULES:
        importlib.import_module(name)
    try:
        import keyring

        # keyring picks its backend on first use by loading every backend it knows (its
        # macOS one probes for system libraries even on Linux, 43 ms): here, off the loop.
        keyring.get_keyring()
    except Exception as exc:  # the probe after start-up says what is wrong, in words
        log.info("no keyring backend yet: %s", exc)


def startup_report(exc: BaseException) -> ErrorReport:
    """Why the System could not be opened: the first line of the cause, the traceback below."""
    from ffdesk.redaction import redact
    from ffdesk.ui.errors import ErrorReport, report_error

    report = report_error(exc, "opening the database")
    if report.is_bug:
        reason = (
            redact(str(exc).strip().splitlines()[0]) if str(exc).strip() else type(exc).__name__
        )
        message = QCoreApplication.translate("App", "The database could not be opened: {reason}")
        return ErrorReport(message.format(reason=reason), report.details)
    return report


def show_window(
    app: QApplication, screen: FirstScreen | None = None, settings: QSettings | None = None
) -> MainWindow:
    """The main window, painted before asyncio, qasync and the engine are even imported.

    With `screen` (what the last run showed, for the same company) the catalogue and the
    remembered integration are drawn at once; the database replaces them when it is open.
    """
    window = MainWindow(settings=settings if settings is not None else QSettings())
    window.first_screen = None  # type: ignore[attr-defined]
    if screen is not None:
        from ffdesk.ui.first_screen import CachedFirstScreen

        wanted = window.settings.value(LAST_COMPANY_KEY)
        if not isinstance(wanted, str) or wanted in ("", screen.company):
            remembered = window.settings.value(LAST_INTEGRATION_KEY)
            window.first_screen = CachedFirstScreen(  # type: ignore[attr-defined]
                window, screen, remembered if isinstance(remembered, str) else None
            )
    window.show()
    if window.first_screen is not None:  # type: ignore[attr-defined]
        window.first_screen.shown()  # type: ignore[attr-defined]
    app.processEvents()  # no event loop runs yet: this is the first paint
    return window


def display_problem(environ: Mapping[str, str], platform: str) -> str | None:
    """Why no window can open here, in plain words (Qt itself would abort with a misleading
    message about xcb-cursor); None when a display or a Qt platform is set."""
    if not platform.startswith("linux"):
        return None
    if any(environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        return None
    return (
        "ffdesk: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are not set). "
        "Start it from a desktop session, or use the command line (ffdesk --help)."
    )


def run_app(argv: Sequence[str]) -> int:
    """Open the window; returns the process exit code."""
    args, qt_args = parse_args(argv)
    problem = display_problem(os.environ, sys.platform)
    if not problem:
        from ffdesk.ui.platform_check import xcb_problem

        problem = xcb_problem(os.environ, sys.platform)  # before Qt aborts with a wrong reason
    if problem:
        print(problem, file=sys.stderr)
        return 1
    app = create_application(qt_args, icon=False)
    app.setQuitOnLastWindowClosed(False)  # the main coroutine decides when to stop
    first_screen_file, screen = _first_screen(args)
    window = show_window(app, screen)
    app.setWindowIcon(app_icon())  # every window's, from now on (the taskbar updates)
    gc.enable()  # off since ffdesk.__main__, for the first paint
    _setup_logging()
    import asyncio
    import signal

    import qasync

    loop = qasync.QEventLoop(app)
    executor = qasync.QThreadExecutor(EXECUTOR_THREADS)
    loop.set_default_executor(executor)  # owned: loop.close() shuts it down
    asyncio.set_event_loop(loop)
    runner = App(app, args, window, first_screen_file)
    previous_hook = sys.excepthook
    sys.excepthook = runner.excepthook
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: loop.call_soon_threadsafe(runner.request_quit))
    # Python runs signal handlers only when it gets control: wake it up now and then.
    wake = QTimer()
    wake.start(250)
    wake.timeout.connect(lambda: None)
    try:
        return loop.run_until_complete(runner.main())
    except KeyboardInterrupt:
        return 130
    finally:
        sys.excepthook = previous_hook
        try:
            loop.close()
        except Exception:  # closing must not hide the real outcome; threads still stop below
            with contextlib.suppress(RuntimeError):
                executor.shutdown()
        asyncio.set_event_loop(None)
