"""Engine benchmark: Q matching, creating records, an indexed filter over many rows.

Run: .venv/bin/python bench/bench_engine.py   (prints one line per figure, with its goal)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ffdesk.engine.base import Boolean, Char, Datetime, Integer, ManyToOne, Model, Q
from ffdesk.engine.core_models import core_declarations
from ffdesk.engine.db import Database
from ffdesk.engine.env import Environment, env_ctx
from ffdesk.engine.registry import Registry
from ffdesk.engine.schema import upgrade_schema

EXPRESSION = (
    "Q(name__istartswith='str') & Q(enabled=True) & Q(amount__gte=10)"
    " & ~Q(status__in=['failed', 'cancelled']) & Q(created__gte=D('today', days=-30))"
)


class BenchItem(Model):
    _ffdesk_module = "bench"
    name = Char(max_length=100)
    code = Char(max_length=40, index=True)
    enabled = Boolean(default=False)
    amount = Integer()
    status = Char(max_length=20)
    created = Datetime()
    company = ManyToOne("Company", related_name="bench_items", on_delete="CASCADE")


def best_of(runs: int, fn: Callable[[], Any]) -> float:
    """The best CPU time of `runs` calls, in seconds (CPU time: other processes on a busy
    machine do not count; these loops never wait for I/O)."""
    times = []
    for _ in range(runs):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


class Timer:
    """Wall and CPU time of a block."""

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def report(label: str, value: float, unit: str, goal: float | None = None) -> None:
    if not unit:
        print(label)
        return
    verdict = "" if goal is None else ("  ok" if value <= goal else f"  MISSES goal {goal} {unit}")
    goal_text = "" if goal is None else f" (goal < {goal} {unit})"
    print(f"{label:<58} {value:>10.2f} {unit}{goal_text}{verdict}")


def bench_q(registry: Registry) -> None:
    n = 2000
    parse = best_of(5, lambda: [Q.parse(EXPRESSION) for _ in range(n)]) / n
    report("Q.parse of a 5-lookup expression (CPU)", parse * 1e6, "µs")
    q = Q.parse(EXPRESSION)
    Item = registry["BenchItem"]
    record = Item.new(
        name="Stripe EU", enabled=True, amount=25, status="done", created=dt.datetime.now()
    )
    mapping = {
        "name": "Stripe EU",
        "enabled": True,
        "amount": 25,
        "status": "done",
        "created": dt.datetime.now(),
    }
    assert q.matches(record) and q.matches(mapping)
    n = 20000
    on_record = best_of(5, lambda: [q.matches(record) for _ in range(n)]) / n
    on_mapping = best_of(5, lambda: [q.matches(mapping) for _ in range(n)]) / n
    report("Q.matches on a record (parsed once, CPU)", on_record * 1e6, "µs", 20)
    report("Q.matches on a nested mapping (parsed once, CPU)", on_mapping * 1e6, "µs", 20)
    fresh = best_of(3, lambda: [Q.parse(EXPRESSION).matches(record) for _ in range(500)]) / 500
    report("Q.parse + bind + first match (CPU)", fresh * 1e6, "µs")


async def create_many(registry: Registry, count: int, company_id: int) -> None:
    Item = registry["BenchItem"]
    async with registry.db.transaction():
        for i in range(count):
            await Item.create(
                name=f"item {i}", code=f"C{i:06d}", amount=i, status="done", company=company_id
            )


def bench_creates(registry: Registry, company_id: int) -> None:
    count = 10_000
    with Timer() as t:
        asyncio.run(create_many(registry, count, company_id))
    report(f"{count:,} creates in one transaction (wall)", t.wall, "s")
    report(f"{count:,} creates in one transaction (CPU)", t.cpu, "s")
    report("  per create (wall)", t.wall / count * 1e6, "µs")
    assert asyncio.run(registry["BenchItem"].count()) == count


def bench_filter(registry: Registry) -> None:
    Item = registry["BenchItem"]
    rows = 100_000
    table = Item._table
    start = time.perf_counter()
    with registry.db.engine.begin() as conn:
        conn.execute(sa.delete(table))
        batch = [
            {
                "name": f"row {i}",
                "code": f"K{i % 5000:05d}",
                "enabled": bool(i % 2),
                "amount": i,
                "status": "done",
            }
            for i in range(rows)
        ]
        conn.execute(sa.insert(table), batch)
    report(
        f"insert {rows:,} rows (SQLAlchemy core, one executemany)", time.perf_counter() - start, "s"
    )

    async def query(code: str) -> list[Any]:
        return await Item.filter(code=code).all()

    found = asyncio.run(query("K01234"))
    assert len(found) == rows // 5000, len(found)
    walls, cpus = [], []
    for k in range(50):
        code = f"K{(k * 97) % 5000:05d}"
        with Timer() as t:
            asyncio.run(query(code))
        walls.append(t.wall)
        cpus.append(t.cpu)
    report(f"indexed filter(code=...).all() over {rows:,} rows ({len(found)} hits)", 0, "")
    report("  median wall (asyncio.run included)", statistics.median(walls) * 1e3, "ms")
    report("  median CPU", statistics.median(cpus) * 1e3, "ms")

    async def count_unindexed() -> int:
        return await Item.filter(amount__gte=50_000, enabled=True).count()

    with Timer() as t:
        asyncio.run(count_unindexed())
    report("  for scale: an unindexed count() over the same rows (wall)", t.wall * 1e3, "ms")

    async def timed_loop() -> float:
        start = time.perf_counter()
        for k in range(200):
            await Item.filter(code=f"K{k:05d}").all()
        return (time.perf_counter() - start) / 200

    report(
        "  200 indexed filters in one event loop, mean wall", asyncio.run(timed_loop()) * 1e3, "ms"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{Path(folder) / 'bench.sqlite'}")
        registry = Registry(db, [*core_declarations(), BenchItem])
        upgrade_schema(registry)
        env = Environment(registry)
        env_ctx.set(env)
        company = asyncio.run(registry["Company"].create(name="Bench"))
        env.cid, env.cids = company.id, [company.id]
        print(
            f"Python {sys.version.split()[0]}, SQLAlchemy {sa.__version__}, SQLite "
            f"{__import__('sqlite3').sqlite_version}"
        )
        bench_q(registry)
        bench_creates(registry, company.id)
        bench_filter(registry)
        db.dispose()


if __name__ == "__main__":
    main()
