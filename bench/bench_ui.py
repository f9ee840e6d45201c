"""Window benchmark: start-up to first paint, switching integrations, 1,000 catalogue entries.

Run: .venv/bin/python bench/bench_ui.py [--runs 7] [--switches 300] [--modules 1000]

Figures (offscreen Qt, wall time):
- process start to first paint of the ffdesk window with every shipped module, against a bare
  PySide6 QMainWindow measured the same way (a child process prints the time of the first
  QEvent.Paint of a widget in its main window; the parent took the time just before starting
  it). "content" is the first paint with the catalogue filled. Goal: ffdesk <= 1.3x bare.
  The database is created by a warm-up start first, so these are the everyday starts;
- switching the selected integration (select, load, render the pane, process the paint):
  mean and p95 over many switches. Goal: p95 < 16 ms;
- with N synthetic integration modules (FFDESK_MODULES_PATH): start-up the same way (first
  start, which records the modules, and everyday starts; goal <= 2x the normal start) and
  scrolling the catalogue a page at a time, each step repainted: p95 per step.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL_START_RATIO = 1.3
GOAL_SWITCH_MS = 16.0
GOAL_MANY_RATIO = 2.0
MEMORY_KEYRING = "tests.helpers.memory_keyring.MemoryKeyring"

# The child process: an app-wide event filter reports the first paint of the main window.
CHILD = r"""
import os, sys, time
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QWidget

mode = sys.argv[1]
first = []

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and isinstance(obj, QWidget):
            window = obj.window()
            if isinstance(window, QMainWindow) and window.isVisible():
                now, cpu = time.time(), time.process_time()
                if not first:
                    first.append(now)
                    print(f"FIRST {now:.6f} {cpu:.6f}", flush=True)
                catalogue = getattr(window, "catalogue", None)
                if mode == "bare" or (catalogue is not None and catalogue.model.entry_count()):
                    print(f"CONTENT {now:.6f} {cpu:.6f}", flush=True)
                    os._exit(0)
        return False

app = QApplication([sys.argv[0]])
watcher = FirstPaint()
app.installEventFilter(watcher)
if mode == "bare":
    window = QMainWindow()
    window.setWindowTitle("bare")
    window.setCentralWidget(QLabel("Hello"))
    window.resize(1280, 800)
    window.show()
    app.exec()
else:
    from ffdesk.app import run_app
    run_app(sys.argv[2:])
"""


def child_env(tmp: Path, modules_path: Path | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": MEMORY_KEYRING,
        "FFDESK_LOG_DIR": str(tmp / "logs"),
        "XDG_CONFIG_HOME": str(tmp / "config"),
        "HOME": str(tmp / "home"),
    }
    env.pop("FFDESK_DATABASE_URL", None)
    # As installed: compiled bytecode is written by the first start and used by the next ones
    # (a wheel's installer compiles it); otherwise every start would compile ffdesk anew.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if modules_path is not None:
        env["FFDESK_MODULES_PATH"] = str(modules_path)
    else:
        env.pop("FFDESK_MODULES_PATH", None)
    return env


class Start:
    """One start: seconds to the first paint and to the filled window, wall and CPU."""

    def __init__(self, first: float, content: float, first_cpu: float, content_cpu: float):
        self.first, self.content = first, content
        self.first_cpu, self.content_cpu = first_cpu, content_cpu


def first_paint(mode: str, env: dict[str, str], *args: str) -> Start:
    """Start a child process and time its first paint (wall from the parent, CPU its own)."""
    started = time.time()
    result = subprocess.run(
        [sys.executable, "-c", CHILD, mode, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    stamps: dict[str, tuple[float, float]] = {}
    for line in result.stdout.splitlines():
        key, *values = line.split()
        if key in ("FIRST", "CONTENT"):
            stamps.setdefault(key, (float(values[0]), float(values[1])))
    if "CONTENT" not in stamps:
        raise RuntimeError(f"{mode}: no paint reported\n{result.stdout}\n{result.stderr}")
    (first, first_cpu), (content, content_cpu) = stamps["FIRST"], stamps["CONTENT"]
    return Start(first - started, content - started, first_cpu, content_cpu)


def measure_starts(label: str, mode: str, env: dict[str, str], runs: int, *args: str) -> Start:
    starts = [first_paint(mode, env, *args) for _ in range(runs)]
    median = Start(
        *(
            statistics.median(getattr(s, name) for s in starts) * 1000
            for name in ("first", "content", "first_cpu", "content_cpu")
        )
    )
    print(
        f"  {label:<34} first paint {median.first:7.1f} ms (cpu {median.first_cpu:6.1f})"
        f"   filled {median.content:7.1f} ms (cpu {median.content_cpu:6.1f})   median of {runs}"
    )
    return median


def write_synthetic_modules(root: Path, count: int) -> Path:
    """`count` integration modules (manifest and logo only, as an uninstalled module needs)."""
    categories = [
        ("Online Payment", "online_payment"),
        ("Messaging", "messaging"),
        ("Shipping", ""),
    ]
    logo = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">'
        '<rect width="24" height="24" rx="5" fill="#{:06x}"/></svg>'
    )
    for i in range(count):
        identifier = f"synthetic_{i:04d}"
        category, backbone = categories[i % 3]
        folder = root / identifier
        (folder / "static" / "img").mkdir(parents=True)
        (folder / "static" / "img" / "logo.svg").write_text(
            logo.format((i * 2654435761) % 0xFFFFFF)
        )
        dependencies = f"\n- {backbone}" if backbone else " []"
        (folder / "manifest.yaml").write_text(
            f"name: Synthetic Provider {i:04d}\n"
            f"identifier: {identifier}\n"
            "version: '1.0'\n"
            "category: module_category_integrations\n"
            f"integration_category: {category}\n"
            f"description: Synthetic integration number {i} for the window benchmark.\n"
            f"dependencies:{dependencies}\n"
            "image: /static/img/logo.svg\n"
            "static_paths:\n- img\n"
        )
    return root


# -- in-process measurements ---------------------------------------------------------------
def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


class Timing:
    """Per-operation times in ms, wall clock and CPU time of the UI thread."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def add(self, wall: float, cpu: float) -> None:
        self.wall.append(wall * 1000)
        self.cpu.append(cpu * 1000)

    def line(self, label: str) -> str:
        return (
            f"  {label:<34} mean {statistics.mean(self.wall):6.2f} ms, "
            f"p95 {percentile(self.wall, 0.95):6.2f} ms   "
            f"(cpu mean {statistics.mean(self.cpu):5.2f}, p95 {percentile(self.cpu, 0.95):5.2f})"
        )


def window_loop() -> Any:
    """ffdesk's QApplication (offscreen unless a platform is set, secrets in memory, the
    offscreen plugin's size-hint warnings dropped) and a qasync loop, set as the current one."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import keyring

    from tests.helpers.memory_keyring import MemoryKeyring

    keyring.set_keyring(MemoryKeyring())
    import qasync
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    from ffdesk.app import create_application

    def quiet(kind: QtMsgType, _context: Any, message: str) -> None:
        if "propagateSizeHints" not in message:
            print(message, file=sys.stderr)

    qInstallMessageHandler(quiet)
    loop = qasync.QEventLoop(create_application())
    asyncio.set_event_loop(loop)
    return loop


def in_process(tmp: Path, switches: int, many: Path) -> tuple[Timing, Timing, int]:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    loop = window_loop()
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from ffdesk.api import open_system
    from ffdesk.ui.main_window import MainWindow

    def settings(name: str) -> QSettings:
        return QSettings(str(tmp / name), QSettings.Format.IniFormat)

    async def switching() -> Timing:
        system = await open_system(f"sqlite:///{tmp}/switch.db", entry_points=False)
        await system.install_module("payment_stripe")
        window = MainWindow(system, settings=settings("s.ini"))
        await window.refresh()
        window.resize(1280, 800)
        window.show()
        QApplication.processEvents()
        identifiers = [e.identifier for e in window.catalogue.model.entries()]
        timing = Timing()
        for i in range(switches + 2 * len(identifiers)):
            identifier = identifiers[i % len(identifiers)]
            wall, cpu = time.perf_counter(), time.thread_time()
            await window.select_integration(identifier)
            QApplication.processEvents()  # layout and paint of the new pane
            if i >= 2 * len(identifiers):  # the first rounds build each form's editors once
                timing.add(time.perf_counter() - wall, time.thread_time() - cpu)
        window._close_confirmed = True
        window.close()
        await system.close()
        return timing

    async def scrolling() -> tuple[Timing, int]:
        os.environ["FFDESK_MODULES_PATH"] = str(many)
        try:
            system = await open_system(f"sqlite:///{tmp}/many.db", entry_points=False)
        finally:
            os.environ.pop("FFDESK_MODULES_PATH", None)
        window = MainWindow(system, settings=settings("m.ini"))
        await window.refresh()
        window.resize(1280, 800)
        window.show()
        QApplication.processEvents()
        tree = window.catalogue.tree
        bar = tree.verticalScrollBar()
        step = max(1, tree.viewport().height())
        timing = Timing()
        for position in range(0, bar.maximum() + step, step):
            wall, cpu = time.perf_counter(), time.thread_time()
            bar.setValue(position)
            tree.viewport().repaint()  # a synchronous paint of the rows scrolled into view
            timing.add(time.perf_counter() - wall, time.thread_time() - cpu)
        entries = window.catalogue.model.entry_count()
        window._close_confirmed = True
        window.close()
        await system.close()
        return timing, entries

    def run(coro: Coroutine[Any, Any, Any]) -> Any:
        return loop.run_until_complete(coro)

    switch = run(switching())
    scroll, entries = run(scrolling())
    loop.close()
    return switch, scroll, entries


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def goal(label: str, value: float, limit: float, unit: str, at_most: bool = True) -> None:
    ok = value <= limit if at_most else value < limit
    sign = "<=" if at_most else "<"
    print(f"  {label:<40} {value:7.2f}{unit} (goal {sign} {limit}{unit})  {verdict(ok)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--switches", type=int, default=300)
    parser.add_argument("--modules", type=int, default=1000)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        env = child_env(tmp)
        print("Start-up, process start to paint (offscreen; cpu = the child's own CPU time):")
        bare = measure_starts("bare PySide6 QMainWindow", "bare", env, args.runs)
        database = f"--database=sqlite:///{tmp}/ffdesk.db"
        first_paint("ffdesk", env, database)  # creates the database, installs implicit modules
        shipped = measure_starts("ffdesk, shipped modules", "ffdesk", env, args.runs, database)
        many = write_synthetic_modules(tmp / "synthetic", args.modules)
        many_env = child_env(tmp, many)
        many_db = f"--database=sqlite:///{tmp}/many.db"
        cold = first_paint("ffdesk", many_env, many_db)
        print(
            f"  {'ffdesk +' + str(args.modules) + ' modules, 1st start':<34} first paint"
            f" {cold.first * 1000:7.1f} ms (cpu {cold.first_cpu * 1000:6.1f})   filled"
            f" {cold.content * 1000:7.1f} ms (cpu {cold.content_cpu * 1000:6.1f})   once"
        )
        thousand = measure_starts(
            f"ffdesk +{args.modules} modules", "ffdesk", many_env, args.runs, many_db
        )

        print("\nIn the window:")
        switch, scroll, entries = in_process(tmp, args.switches, many)
        print(switch.line(f"switching integration ({len(switch.wall)}x)"))
        print(scroll.line(f"scrolling {entries} entries ({len(scroll.wall)} pages)"))

    print("\nGoals (wall clock; on a busy machine compare the cpu figures too):")
    goal("first paint, ffdesk / bare", shipped.first / bare.first, GOAL_START_RATIO, "x")
    print(
        f"  {'filled window, ffdesk / bare':<40} {shipped.content / bare.first:7.2f}x"
        f" (cpu {shipped.content_cpu / bare.first_cpu:.2f}x; for information)"
    )
    goal("switching p95", percentile(switch.wall, 0.95), GOAL_SWITCH_MS, " ms", at_most=False)
    goal(
        f"start with {args.modules} modules / shipped (filled)",
        thousand.content / shipped.content,
        GOAL_MANY_RATIO,
        "x",
    )
    goal("scrolling p95 per page", percentile(scroll.wall, 0.95), GOAL_SWITCH_MS, " ms", False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
