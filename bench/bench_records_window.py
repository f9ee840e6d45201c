"""Records window benchmark: 100,000 payments in the window's Records area (the service side:
bench/bench_records.py).

Run: .venv/bin/python bench/bench_records_window.py [--rows 100000] [--database sqlite|URL]

Figures (offscreen Qt, wall time, the window at 1280x800 on its Records tab):
- opening the Payments list: the listing (one COUNT-free id scan in the list's order), the
  model reset and the first paint of the table;
- scrolling from the first row to the last, a screenful (the scroll bar's page step) at a
  time, each step repainted at once: mean and p95 per step, and how many pages of 100 rows
  were read from the database on the way. Goal: p95 < 16 ms;
- a Q-expression filter typed into the filter field (validation, the filtered id scan, the
  model reset and the repaint), and a sort by an unindexed column. Goal: < 100 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL_PAGE_MS = 16.0
GOAL_FILTER_MS = 100.0
FILTERS = (
    "Q(state='failed')",
    "Q(state='done') & Q(amount__gt=5000)",
    "Q(reference__startswith='pi_0999')",
    "Q(date__gte=D('today', days=-30)) | Q(currency='USD')",
)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


class Timing:
    """Per-operation times in ms: wall clock and CPU time of the UI thread."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def measure(self, work: Callable[[], Any]) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        self.wall.append((time.perf_counter() - wall) * 1000)
        self.cpu.append((time.process_time() - cpu) * 1000)
        return result

    def line(self, label: str) -> str:
        return (
            f"  {label:<38} mean {statistics.mean(self.wall):7.2f} ms, "
            f"p95 {percentile(self.wall, 0.95):7.2f} ms, max {max(self.wall):7.2f} ms   "
            f"(cpu p95 {percentile(self.cpu, 0.95):6.2f})  n={len(self.wall)}"
        )


def goal(label: str, value: float, limit: float) -> None:
    verdict = "ok" if value < limit else "MISSED"
    print(f"  goal {label}: {value:.2f} ms < {limit:.0f} ms: {verdict}")


async def seed(system: Any, rows: int) -> None:
    """`rows` payments of the active company, inserted in one transaction (Core, fast)."""
    await system.install_module("payment_stripe")
    stripe = await system.integration("payment_stripe")
    table = system.registry["PaymentTransaction"]._table
    start = datetime(2024, 1, 1, 9, 0)
    states = ("done", "done", "done", "failed", "refunded", "pending")
    batch: list[dict[str, Any]] = []
    with system.db.connect(write=True) as conn:
        for i in range(rows):
            batch.append(
                {
                    "reference": f"pi_{i:07d}",
                    "amount": Decimal(i % 10_000) + Decimal("0.99"),
                    "currency": "EUR" if i % 4 else "USD",
                    "state": states[i % len(states)],
                    "provider_status": "succeeded",
                    "date": start + timedelta(minutes=7 * i),
                    "description": f"Order {i} for customer {i % 977}",
                    "customer_remote_id": f"cus_{i % 977:05d}",
                    "integration_id": stripe.id,
                    "company_id": system.env.cid,
                }
            )
            if len(batch) == 5000:
                conn.execute(table.insert(), batch)
                batch = []
        if batch:
            conn.execute(table.insert(), batch)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database", default="sqlite", help="sqlite (a temporary file) or a URL")
    args = parser.parse_args(argv)

    from bench.bench_ui import window_loop

    loop = window_loop()
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from ffdesk.api import open_system
    from ffdesk.ui.main_window import MainWindow

    def run(coro: Coroutine[Any, Any, Any]) -> Any:
        return loop.run_until_complete(coro)

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        url = f"sqlite:///{tmp}/records.db" if args.database == "sqlite" else args.database
        system = run(open_system(url, entry_points=False))
        began = time.perf_counter()
        run(seed(system, args.rows))
        print(f"records benchmark: {args.rows:,} payments ({system.db.dialect_name})")
        print(f"  seeded in {time.perf_counter() - began:.1f} s")

        window = MainWindow(
            system, settings=QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)
        )
        run(window.refresh())
        window.resize(1280, 800)
        window.show()
        QApplication.processEvents()
        area = window.areas.records
        window.areas.blockSignals(True)  # the bench drives the refresh itself
        window.areas.setCurrentWidget(area)
        window.areas.blockSignals(False)
        run(area.refresh())
        browser = area.browser
        table = browser.table

        def paint() -> None:
            table.viewport().repaint()

        # -- opening ------------------------------------------------------------------------
        opening = Timing()
        for _ in range(5):
            opening.measure(lambda: (run(browser.show_model("PaymentTransaction")), paint()))
        assert browser.model.rowCount() == args.rows, browser.model.rowCount()

        # -- scrolling to the end -------------------------------------------------------------
        scrolling = Timing()
        reading = Timing()  # the steps that read a page from the database
        bar = table.verticalScrollBar()
        bar.setValue(0)
        paint()
        browser.model.pages_read = 0
        while bar.value() < bar.maximum():
            before = browser.model.pages_read
            scrolling.measure(lambda: (bar.setValue(bar.value() + bar.pageStep()), paint()))
            if browser.model.pages_read != before:
                reading.wall.append(scrolling.wall[-1])
                reading.cpu.append(scrolling.cpu[-1])
        last = table.rowAt(table.viewport().height() - 1)
        assert last == args.rows - 1, f"the last row shown is {last}"
        pages_read = browser.model.pages_read

        # -- filtering and sorting ------------------------------------------------------------
        filtering = Timing()
        counts: dict[str, int] = {}
        for text in FILTERS * 3:
            browser.filter.setText(text)
            browser.typing.stop()
            assert filtering.measure(lambda: (run(browser.relist()), paint())[0]), text
            counts[text] = browser.model.rowCount()
        browser.filter.setText("")
        browser.typing.stop()
        run(browser.relist())
        sorting = Timing()
        for name in ("amount", "-amount", "description", "-date") * 2:
            browser._sort = name
            sorting.measure(lambda: (run(browser.relist()), paint()))
        assert browser.model.rowCount() == args.rows

        print(opening.line("open the Payments list"))
        print(scrolling.line("scroll a screenful (to the end)"))
        print(f"  {'':<38} {pages_read} pages of 100 rows read on the way")
        print(reading.line("  of which the steps that read a page"))
        print(filtering.line("Q-expression filter"))
        for text, count in counts.items():
            print(f"    {text:<56} {count:>7,} rows")
        print(sorting.line("sort by a column (unindexed too)"))
        goal("scroll p95 per screenful", percentile(scrolling.wall, 0.95), GOAL_PAGE_MS)
        goal(
            "scroll p95 per screenful, UI thread CPU", percentile(scrolling.cpu, 0.95), GOAL_PAGE_MS
        )
        goal("filter p95", percentile(filtering.wall, 0.95), GOAL_FILTER_MS)
        goal("filter p95, UI thread CPU", percentile(filtering.cpu, 0.95), GOAL_FILTER_MS)
        print(
            f"  (load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
        )

        window._close_confirmed = True
        window.close()
        run(system.close())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
