"""Records service benchmark: 100,000 payments listed, paged, filtered and searched in SQL.

Run: .venv/bin/python bench/bench_records.py [ROWS]   (SQLite in a temporary folder; set
FFDESK_BENCH_DATABASE_URL to measure another database). Prints one line per figure: the SQL
side of the Records area (the window's own figures come from its bench).
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ffdesk.api import open_system
from ffdesk.services.records import RecordsService

PAGE = 100


def _rows(count: int, company_id: int, integration_id: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    start = datetime(2025, 1, 1)
    states = ["done", "done", "done", "pending", "failed", "refunded"]
    names = ["Acme", "Globex", "Initech", "Umbrella", "Hooli"]
    return [
        {
            "reference": f"pi_{i:08d}",
            "amount": Decimal(rng.randrange(100, 100_000)) / 100,
            "currency": "EUR",
            "state": rng.choice(states),
            "provider_status": "succeeded",
            "date": start + timedelta(minutes=7 * i + rng.randrange(5)),
            "description": f"Order {i} for {rng.choice(names)}",
            "company_id": company_id,
            "integration_id": integration_id,
        }
        for i in range(count)
    ]


async def _timed(action: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = await action()
    return (time.perf_counter() - began) * 1000, result


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)


async def main(count: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ffdesk-bench-records-"))
    url = os.environ.get("FFDESK_BENCH_DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"
    system = await open_system(url)
    try:
        await system.install_module("payment_stripe")
        stripe = await system.integration("payment_stripe")
        table = system.registry["PaymentTransaction"]._table
        began = time.perf_counter()
        with system.db.connect(write=True) as conn:
            conn.execute(sa.insert(table), _rows(count, system.env.cid, stripe.id))
        seconds = time.perf_counter() - began
        print(f"seeded {count:,} payments in {seconds:.1f} s ({url.split(':')[0]})")
        service = RecordsService(system)

        listing = service.listing("PaymentTransaction")
        ms, total = await _timed(listing.count)
        print(f"count of {total:,}: {ms:.1f} ms")
        offsets = [round(i * (total - PAGE) / 199) for i in range(200)]
        times = []
        for offset in offsets:
            ms, _ = await _timed(lambda o=offset: listing.page(o, PAGE))
            times.append(ms)
        print(
            f"page of {PAGE} by LIMIT/OFFSET, 200 positions start to end: median "
            f"{statistics.median(times):.2f} ms, p95 {_p95(times):.2f} ms, last "
            f"{times[-1]:.2f} ms"
        )
        ms, ids = await _timed(listing.ids)
        print(f"every id in order ({len(ids):,}): {ms:.1f} ms")
        times = []
        for start in range(0, len(ids), max(PAGE, len(ids) // 200)):
            ms, _ = await _timed(lambda s=start: listing.rows(ids[s : s + PAGE]))
            times.append(ms)
        print(
            f"page of {PAGE} by ids, {len(times)} positions: median "
            f"{statistics.median(times):.2f} ms, p95 {_p95(times):.2f} ms"
        )
        for label, kwargs in (
            ("filter Q(state='failed')", {"filter": "Q(state='failed')"}),
            (
                "filter Q(amount__gte=900) & Q(state='done')",
                {"filter": "Q(amount__gte=900) & Q(state='done')"},
            ),
            ("search 'acme'", {"search": "acme"}),
            ("sort by amount", {"sort": "-amount"}),
        ):
            began = time.perf_counter()
            narrowed = service.listing("PaymentTransaction", **kwargs)
            found = await narrowed.count()
            first = await narrowed.page(0, PAGE)
            ms = (time.perf_counter() - began) * 1000
            print(f"{label}: count {found:,} + first page ({len(first)}): {ms:.1f} ms")
    finally:
        await system.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
