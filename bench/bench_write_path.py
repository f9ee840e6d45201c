"""Write-path benchmark: what one committed mapper row costs, against SQLite's own work.

Run: .venv/bin/python bench/bench_write_path.py [--rows 5000] [--rounds 5]

A sync commits each record's IntegrationMapper row on its own (`link_remote`, after the
provider answered), so this is the part of a sync's CPU that ffdesk's code adds per record on
top of the HTTP request. Each round measures, back to back, CPU microseconds per row of:
- `link_remote`: the mapper row as a sync writes it (model, validation, prepared insert, its
  own BEGIN IMMEDIATE ... COMMIT), on the database of a Stripe integration;
- raw driver: the same INSERT with BEGIN IMMEDIATE and COMMIT straight on SQLite's driver, on
  the same database and table (same indexes, same connection settings);
- the floor of bench_sync.py: plain sqlite3, a mapper-shaped row and a COMMIT per record in a
  fresh file with the same journal settings.
The difference between the first two is the Python of the write path; it prints the medians.
This machine's noise (other processes) moves the sync benchmark's ratios by more than the
write path's Python weighs, so it is measured here on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import keyring  # noqa: E402
from bench_sync import fake_stripe, sqlite_floor, stripe_system  # noqa: E402

from ffdesk.engine.model import references_checked_once  # noqa: E402
from ffdesk.sync import link_remote  # noqa: E402
from tests.helpers.memory_keyring import MemoryKeyring  # noqa: E402


async def measure(rows: int, rounds: int) -> dict[str, list[float]]:
    """CPU microseconds per row of each way, one figure per round."""
    figures: dict[str, list[float]] = {"link_remote": [], "raw driver": [], "floor": []}
    with fake_stripe() as url, tempfile.TemporaryDirectory() as tmp:
        async with stripe_system(url, 0, Path(tmp)) as (system, integration):
            Mapper = system.get_model("IntegrationMapper")
            table = Mapper._table
            columns = [c.name for c in table.c if c.name != "id"]
            insert = (
                f"INSERT INTO {table.name} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' for _ in columns)})"
            )
            now = dt.datetime.now()
            with references_checked_once():
                # The first row of a run looks its integration up; a run's other rows do not.
                await link_remote(
                    integration, "Contact", 0, "cus_0", provider="Stripe", what="customer"
                )
                for round_ in range(rounds):
                    first = (round_ + 1) * 10 * rows
                    started = time.process_time()
                    for i in range(first, first + rows):
                        await link_remote(
                            integration,
                            "Contact",
                            i,
                            f"cus_{i:014d}",
                            provider="Stripe",
                            what="customer",
                            synced_at=now,
                        )
                    figures["link_remote"].append((time.process_time() - started) / rows)

                    pooled = system.db.engine.raw_connection()
                    driver = pooled.driver_connection
                    assert driver is not None
                    try:
                        started = time.process_time()
                        for i in range(first + rows, first + 2 * rows):
                            values = {
                                "integration_id": integration.id,
                                "model": "Contact",
                                "local_id": str(i),
                                "remote_id": f"cus_{i:014d}",
                                "synced_at": now.isoformat(" ", "microseconds"),
                            }
                            driver.execute("BEGIN IMMEDIATE")
                            driver.execute(insert, [values[c] for c in columns])
                            driver.execute("COMMIT")
                        figures["raw driver"].append((time.process_time() - started) / rows)
                    finally:
                        pooled.close()

                    with tempfile.TemporaryDirectory() as floor_dir:
                        figures["floor"].append(sqlite_floor(rows, Path(floor_dir))[1] / rows)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    keyring.set_keyring(MemoryKeyring())
    figures = asyncio.run(measure(args.rows, args.rounds))
    medians = {name: statistics.median(values) * 1e6 for name, values in figures.items()}
    print(f"# one committed mapper row, {args.rows} rows x {args.rounds} rounds (CPU, medians)")
    for name, values in figures.items():
        spread = ", ".join(f"{v * 1e6:.1f}" for v in values)
        print(f"{name:12s}: {medians[name]:6.1f} us per row  ({spread})")
    python = medians["link_remote"] - medians["raw driver"]
    print(f"Python of the write path (link_remote - raw driver): {python:.1f} us per row")
    print(
        f"SQLite on this database against the floor's fresh file: "
        f"{medians['raw driver'] - medians['floor']:+.1f} us per row"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
