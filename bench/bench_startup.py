"""Start-up benchmark: process start to a filled window, paired against a bare PySide6 window.

Run: .venv/bin/python bench/bench_startup.py [--runs 7] [--modules 1000] [--companies 500]

For each scenario it starts, N times in pairs (alternating which goes first, so a load that
rises or falls hits both alike), a bare PySide6 window and ffdesk, each as a fresh process
with its bytecode cached, and prints the medians and the median of the per-pair ratios:
- bare: process start to the first paint of a QMainWindow (on xcb that is once it is mapped);
- ffdesk filled: process start to the first paint where the catalogue lists the integrations
  and the pane shows the remembered integration (what the user reads and can click);
- ffdesk settled: process start to the moment the window has no start-up work left (database
  open and checked, the real data in place, the scheduler started).
Scenarios: the shipped modules with Stripe installed and remembered; the same with N extra
integration modules (FFDESK_MODULES_PATH); and 500 companies with all eight providers
installed. Every database is prepared, and each scenario started once before measuring (an
everyday start, not the first). Goal: filled / bare <= 1.5x. Offscreen by default
(`--platform xcb` under a real or Xvfb display).
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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_ui import child_env, write_synthetic_modules  # noqa: E402

GOAL_RATIO = 1.5
REMEMBERED = "payment_stripe"
PROVIDERS = (
    "payment_stripe",
    "payment_paypal",
    "payment_razorpay",
    "payment_adyen",
    "payment_mollie",
    "payment_square",
    "sms_twilio",
    "shipping_ups",
)

# The child process. bare: a QMainWindow with a label. ffdesk: the real start (run_app); an
# application-wide event filter watches paints of the main window and reports when it is
# filled and when the window says start-up is over (its "startupSettled" property).
CHILD = r"""
import os, sys, time
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

mode, expected = sys.argv[1], os.environ.get("BENCH_EXPECT", "")
said = set()
painted = []
# PySide6 makes a Qt class (and its Python enums) on first use: which ones ffdesk made.
QT_MODULES = (QtCore, QtGui, QtWidgets)
made_before = {module: set(vars(module)) for module in QT_MODULES}

def say(key):
    if key not in said:
        said.add(key)
        print(f"{key} {time.time():.6f} {time.process_time():.6f}", flush=True)
        if key == "FILLED":
            made = [f"{m.__name__}.{n}" for m in QT_MODULES for n in set(vars(m)) - made_before[m]]
            print("TYPES " + " ".join(sorted(made)), flush=True)

def pane_identifier(window):
    # The real pane, or before the database is open the one drawn from the last run's cache.
    pane = getattr(window, "pane", None) or getattr(window, "first_screen", None)
    return getattr(pane, "identifier", None)

def filled(window):
    catalogue = getattr(window, "catalogue", None)
    if catalogue is None or not catalogue.model.entry_count():
        return False
    return pane_identifier(window) == expected

def drawn(window):
    # Called once the window's first frame is painted (all its widgets, in one pass).
    say("FIRST")
    if mode in ("bare", "floor"):
        os._exit(0)
    if filled(window):
        say("FILLED")

class TopLevelPaint(QObject):
    # Only the top-level window is watched: a filter on the whole application would call
    # Python for each of the thousands of events of a start and cost ffdesk 40 ms of CPU.
    def __init__(self, window, later):
        super().__init__()
        self.window, self.later = window, later
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not painted:
            painted.append(True)
            if self.later:  # painted by an event loop: stamp once this frame is done
                QTimer.singleShot(0, lambda: drawn(self.window))
        return False

def watch(window, later):
    global watcher
    watcher = TopLevelPaint(window, later)
    window.installEventFilter(watcher)

def settled_poll():
    for window in QApplication.topLevelWidgets():
        if isinstance(window, QMainWindow) and window.isVisible():
            if painted and filled(window):
                say("FILLED")
            if window.property("startupSettled"):
                if mode == "warmup":
                    close_after_selecting(window)
                    return
                if "FILLED" in said:
                    say("SETTLED")
                    os._exit(0)
    QTimer.singleShot(10, settled_poll)

def close_after_selecting(window):
    # The warm-up start leaves the remembered integration and the window as a user would.
    from ffdesk.ui.tasks import spawn
    if pane_identifier(window) != expected:
        spawn(window.select_integration(expected))
    def poll():
        if pane_identifier(window) == expected:
            window.close()
        else:
            QTimer.singleShot(20, poll)
    QTimer.singleShot(20, poll)

if mode in ("bare", "floor"):
    if mode == "floor":  # the bare window, after making the Qt classes ffdesk's first paint uses
        for spec in os.environ["BENCH_TYPES"].split():
            module, name = spec.rsplit(".", 1)
            getattr(sys.modules[module], name)
    app = QApplication([sys.argv[0]])
    window = QMainWindow()
    window.setWindowTitle("bare")
    window.setCentralWidget(QLabel("Hello"))
    window.resize(1280, 800)
    watch(window, later=False)
    window.show()
    app.processEvents()  # as ffdesk's show_window() does for its first paint
    if painted:
        drawn(window)
    watcher.later = True
    app.exec()
else:
    # The `ffdesk` command itself: main() with two probes, on the main window's show() and
    # on the end of show_window() (which paints the first frame).
    import gc
    import ffdesk.__main__
    with open(ffdesk.__main__.__file__) as source:
        if "gc.disable()" in source.read():
            gc.disable()  # as ffdesk.__main__.main() does before it imports the window
    from ffdesk import app as ffdesk_app
    from ffdesk.ui.main_window import MainWindow
    def show(window):
        watch(window, later=True)
        watcher.later = False
        QMainWindow.show(window)
    MainWindow.show = show
    original = ffdesk_app.show_window
    def show_window(*args, **kwargs):
        window = original(*args, **kwargs)
        if painted:
            drawn(window)
        watcher.later = True
        QTimer.singleShot(10, settled_poll)
        return window
    ffdesk_app.show_window = show_window
    from ffdesk.__main__ import main
    sys.argv = ["ffdesk", *sys.argv[2:]]
    code = main()
    sys.exit(code if mode == "warmup" else 3)
"""


@dataclass
class Stamps:
    """Seconds from the parent's start of the process to each reported moment."""

    first: float
    filled: float
    settled: float
    cpu_filled: float
    cpu_first: float
    cpu_settled: float
    #: The Qt classes (module.name) PySide6 made for ffdesk until the window was filled.
    types: str = ""


def start_once(mode: str, env: dict[str, str], args: list[str]) -> Stamps:
    started = time.time()
    result = subprocess.run(
        [sys.executable, "-c", CHILD, mode, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    stamps: dict[str, tuple[float, float]] = {}
    types = ""
    for line in result.stdout.splitlines():
        key, *values = line.split()
        if key in ("FIRST", "FILLED", "SETTLED") and len(values) == 2:
            stamps[key] = (float(values[0]) - started, float(values[1]))
        elif key == "TYPES":
            types = " ".join(values)
    if mode == "warmup":
        return Stamps(0, 0, 0, 0, 0, 0)
    if "FIRST" not in stamps or (mode == "ffdesk" and "SETTLED" not in stamps):
        raise RuntimeError(f"{mode}: no paint reported\n{result.stdout}\n{result.stderr[-3000:]}")
    first = stamps["FIRST"]
    filled = stamps.get("FILLED", first)
    settled = stamps.get("SETTLED", first)
    return Stamps(first[0], filled[0], settled[0], filled[1], first[1], settled[1], types)


@dataclass
class Scenario:
    label: str
    env: dict[str, str]
    args: list[str]


def measure(scenario: Scenario, runs: int) -> dict[str, float]:
    env = {**scenario.env, "BENCH_EXPECT": REMEMBERED}
    start_once("warmup", env, scenario.args)  # writes what an everyday start finds
    bare: list[Stamps] = []
    ours: list[Stamps] = []
    floor: list[Stamps] = []
    for i in range(runs):
        if i % 2:
            ours.append(start_once("ffdesk", env, scenario.args))
            bare.append(start_once("bare", env, []))
        else:
            bare.append(start_once("bare", env, []))
            ours.append(start_once("ffdesk", env, scenario.args))
        # The floor no code of ours can go under: the bare window after PySide6 has made the
        # Qt classes (with their Python enums) that ffdesk's first paint uses.
        floor.append(start_once("floor", {**env, "BENCH_TYPES": ours[0].types}, []))
    figures = {
        "bare": statistics.median(b.first for b in bare),
        "first": statistics.median(o.first for o in ours),
        "filled": statistics.median(o.filled for o in ours),
        "settled": statistics.median(o.settled for o in ours),
        "cpu_filled": statistics.median(o.cpu_filled for o in ours),
        "cpu_bare": statistics.median(b.cpu_first for b in bare),
        "cpu_settled": statistics.median(o.cpu_settled for o in ours),
        "cpu_ratio": statistics.median(
            o.cpu_filled / b.cpu_first for o, b in zip(ours, bare, strict=True)
        ),
        "ratio_filled": statistics.median(
            o.filled / b.first for o, b in zip(ours, bare, strict=True)
        ),
        "ratio_settled": statistics.median(
            o.settled / b.first for o, b in zip(ours, bare, strict=True)
        ),
        "cpu_floor": statistics.median(f.cpu_first for f in floor),
        "floor_ratio": statistics.median(
            f.cpu_first / b.cpu_first for f, b in zip(floor, bare, strict=True)
        ),
    }
    print(
        f"  {scenario.label:<18} bare {figures['bare'] * 1000:5.0f} ms (cpu "
        f"{figures['cpu_bare'] * 1000:3.0f}) | ffdesk first paint {figures['first'] * 1000:5.0f},"
        f" filled {figures['filled'] * 1000:5.0f} (cpu {figures['cpu_filled'] * 1000:4.0f}),"
        f" settled {figures['settled'] * 1000:5.0f} (cpu {figures['cpu_settled'] * 1000:4.0f})"
        f" ms | filled/bare "
        f"{figures['ratio_filled']:.2f}x (cpu {figures['cpu_ratio']:.2f}x), settled/bare "
        f"{figures['ratio_settled']:.2f}x  (median of {runs} pairs)\n"
        f"  {'':<18} floor: bare + the {len(ours[0].types.split())} Qt classes ffdesk's first"
        f" paint makes: cpu {figures['cpu_floor'] * 1000:3.0f} ms ({figures['floor_ratio']:.2f}x)",
        flush=True,
    )
    return figures


async def prepare(
    url: str, modules_path: list[Path], install: tuple[str, ...], companies: int
) -> None:
    """A database as an everyday user has it: modules installed, companies made."""
    import keyring

    import ffdesk
    from tests.helpers.memory_keyring import MemoryKeyring

    keyring.set_keyring(MemoryKeyring())
    async with ffdesk.open_env(url, modules_path) as system:
        for identifier in install:
            await system.install_module(identifier)
        if companies > 1:
            company_model = system.get_model("Company")
            async with system.db.transaction():
                for i in range(2, companies + 1):
                    company = await company_model.create(name=f"Company {i:04d}")
                    system.env.cids.append(company.id)
            await system.sync_integration_records()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--modules", type=int, default=1000)
    parser.add_argument("--companies", type=int, default=500)
    parser.add_argument("--platform", default="offscreen")
    parser.add_argument("--only", choices=("shipped", "modules", "companies"), default=None)
    args = parser.parse_args(argv)

    load = os.getloadavg()
    print(
        f"Start-up, paired starts (platform {args.platform}; load average "
        f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores):"
    )
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        many = write_synthetic_modules(tmp / "synthetic", args.modules)
        wanted = {
            "shipped": ("shipped modules", None, (REMEMBERED,), 1),
            "modules": (f"+{args.modules} modules", many, (REMEMBERED,), 1),
            "companies": (f"{args.companies} companies", None, PROVIDERS, args.companies),
        }
        for key, (label, extra, install, companies) in wanted.items():
            if args.only and key != args.only:
                continue
            home = tmp / key
            url = f"sqlite:///{home / 'ffdesk.db'}"
            home.mkdir()
            env = child_env(home, extra)
            env["QT_QPA_PLATFORM"] = args.platform
            saved = os.environ.get("FFDESK_MODULES_PATH")
            os.environ.pop("FFDESK_MODULES_PATH", None)
            asyncio.run(prepare(url, [extra] if extra else [], install, companies))
            if saved is not None:
                os.environ["FFDESK_MODULES_PATH"] = saved
            results[key] = measure(Scenario(label, env, [f"--database={url}"]), args.runs)
    print(f"\nGoal: filled / bare <= {GOAL_RATIO}x (paired median)")
    for key, figures in results.items():
        ok = figures["ratio_filled"] <= GOAL_RATIO
        print(
            f"  {wanted[key][0]:<28} {figures['ratio_filled']:5.2f}x  {'ok' if ok else 'MISSED'}"
            f"   (cpu {figures['cpu_ratio']:.2f}x; settled {figures['ratio_settled']:.2f}x;"
            f" floor {figures['floor_ratio']:.2f}x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
