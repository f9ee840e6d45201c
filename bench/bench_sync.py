"""Sync benchmark: ffdesk's Stripe push against a bare httpx client, memory and loop stalls.

Run: .venv/bin/python bench/bench_sync.py [--contacts 10000] [--big 100000] [--profile]

Figures (each printed with its goal):
- time to sync N contacts to a local fake Stripe at concurrency 8, against a bare
  `httpx.AsyncClient` posting the same N requests at concurrency 8 in this process
  (goal: ffdesk <= 1.1x bare). Each round runs the bare client, then ffdesk, back to back
  under the same load; the figure is the median of the rounds' ratios. The fake runs in its
  own process (`python -m tests.fakes.stripe`), a fresh one per measurement, so its threads
  do not compete with the measured loop for this process's GIL and every measurement starts
  from the same state.
- peak RSS growth during a run of BIG contacts (goal: flat, < 50 MB), contacts bulk-inserted
  with SQLAlchemy Core first;
- the longest stall of the asyncio loop during that run, from a ticker task measuring how late
  `asyncio.sleep(0.005)` wakes up (goal: < 50 ms);
- the floor of "each record committed with its mapper row": plain sqlite3, one INSERT of a
  mapper-shaped row and a COMMIT per record, in the same folder as the ffdesk run's database
  and with the same journal settings (WAL, synchronous=NORMAL), and what the bare client plus
  that floor would take.
`--profile` adds a cProfile of the ffdesk run (top functions by cumulative and own time).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime as dt
import gc
import importlib.util
import io
import os
import pstats
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
import keyring  # noqa: E402
import sqlalchemy as sa  # noqa: E402

import ffdesk  # noqa: E402
from ffdesk.sync import run_sync  # noqa: E402
from tests.helpers.memory_keyring import MemoryKeyring  # noqa: E402

KEY = "sk_test_51FfdeskBenchmark000000000key"
CONCURRENCY = 8
RATIO_GOAL = 1.1
MEMORY_GOAL_MB = 50.0
STALL_GOAL_MS = 50.0


# -- the fake, in its own process -------------------------------------------------------------


@contextlib.contextmanager
def fake_stripe() -> Iterator[str]:
    """A fresh `python -m tests.fakes.stripe` on a free port; yields its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.stripe", "--port", "0", "--secret-key", KEY],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"the fake did not start (said {url!r})")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def point_at(url: str) -> None:
    os.environ["FFDESK_PAYMENT_STRIPE_API_BASE"] = url
    os.environ["FFDESK_PAYMENT_STRIPE_RATE_LIMIT"] = "0"  # measure the client, not the limit


# -- measurements --------------------------------------------------------------------------------


def contact_rows(n: int, company_id: int) -> Iterator[dict[str, Any]]:
    now = dt.datetime.now()
    for i in range(n):
        yield {
            "name": f"Contact {i}",
            "email": f"contact{i}@example.org",
            "phone": f"+44 20 {i:08d}",
            "company_id": company_id,
            "write_date": now,
        }


def bulk_insert_contacts(system: Any, n: int) -> float:
    """Insert n contacts with SQLAlchemy Core in chunks; returns seconds."""
    table = system.get_model("Contact")._table
    started = time.perf_counter()
    rows = contact_rows(n, system.env.cid)
    with system.db.engine.begin() as conn:
        while chunk := [row for _, row in zip(range(5000), rows, strict=False)]:
            conn.execute(sa.insert(table), chunk)
    return time.perf_counter() - started


@contextlib.asynccontextmanager
async def stripe_system(url: str, contacts: int, folder: Path) -> AsyncIterator[tuple[Any, Any]]:
    point_at(url)
    async with ffdesk.open_env(f"sqlite:///{folder / 'bench.db'}") as system:
        await system.install_module("payment_stripe")
        record = await system.integration("payment_stripe")
        record.secret_key = KEY
        await record.save()
        await record.enable_integration()
        bulk_insert_contacts(system, contacts)
        # As the window and `ffdesk sync` do after start-up (ffdesk/app.py, ffdesk/cli.py).
        gc.collect()
        gc.freeze()
        try:
            yield system, record
        finally:
            gc.unfreeze()


async def bare_httpx(url: str, n: int) -> tuple[float, float, float, float, float]:
    """The same n customer creates with a bare httpx.AsyncClient at the same concurrency.

    Returns (wall seconds, CPU seconds of this process, worst loop stall in ms, the loop
    thread's longest busy stretch in ms, CPU seconds spent in the kernel).
    """
    headers = {"Authorization": f"Bearer {KEY}", "Stripe-Version": "2024-06-20"}
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    queue: asyncio.Queue[int | None] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    for _ in range(CONCURRENCY):
        queue.put_nowait(None)

    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits) as client:

        async def worker() -> None:
            while (i := await queue.get()) is not None:
                body = {
                    "name": f"Contact {i}",
                    "email": f"contact{i}@example.org",
                    "phone": f"+44 20 {i:08d}",
                    "metadata[ffdesk_contact_id]": str(i + 1),
                }
                response = await client.post(
                    "/v1/customers", data=body, headers={"Idempotency-Key": f"bare-{i}"}
                )
                response.raise_for_status()
                response.json()

        # The same ticker as in the ffdesk run: same load, and a baseline for loop stalls.
        with LoopWatch() as watch:
            started, cpu, kernel = time.perf_counter(), time.process_time(), os.times().system
            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            kernel = os.times().system - kernel
        return elapsed, cpu, watch.worst_ms, watch.busy_ms, kernel


class LoopWatch:
    """A ticker task measuring how late asyncio.sleep(0.005) wakes up, plus RSS samples."""

    def __init__(self, period: float = 0.005) -> None:
        self.period = period
        self.lateness: list[float] = []
        self.busy: list[float] = []
        self.rss_kb: list[int] = []
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        count = 0
        while True:
            started, cpu = time.perf_counter(), time.thread_time()
            await asyncio.sleep(self.period)
            self.lateness.append(time.perf_counter() - started - self.period)
            # CPU the loop thread spent meanwhile: an upper bound of how long our own code held
            # the loop, whatever the OS did (on a loaded machine the wall lateness also counts
            # the time the process simply was not scheduled).
            self.busy.append(time.thread_time() - cpu)
            count += 1
            if count % 20 == 0:
                self.rss_kb.append(rss_kb())

    def __enter__(self) -> LoopWatch:
        self._task = asyncio.ensure_future(self._tick())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()

    @property
    def worst_ms(self) -> float:
        return max(self.lateness, default=0.0) * 1000

    @property
    def busy_ms(self) -> float:
        return max(self.busy, default=0.0) * 1000

    @property
    def p99_ms(self) -> float:
        if len(self.lateness) < 100:
            return self.worst_ms
        return statistics.quantiles(self.lateness, n=100)[98] * 1000


def rss_kb(field: str = "VmRSS") -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


async def ffdesk_sync(url: str, n: int, folder: Path, *, profile: bool = False) -> dict[str, Any]:
    async with stripe_system(url, n, folder) as (system, record):
        profiler = cProfile.Profile() if profile else None
        base_rss = rss_kb()
        with LoopWatch() as watch:
            started, cpu, kernel = time.perf_counter(), time.process_time(), os.times().system
            if profiler:
                profiler.enable()
            outcome = await run_sync(record)
            if profiler:
                profiler.disable()
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu
            kernel = os.times().system - kernel
            watch.rss_kb.append(rss_kb())
        if outcome.created != n or not outcome.succeeded:
            raise RuntimeError(f"the run did not create {n} customers: {outcome}")
        Mapper = system.get_model("IntegrationMapper")
        mappings = await Mapper.filter(integration=record.id, model="Contact").count()
        if mappings != n:
            raise RuntimeError(f"{mappings} mappings for {n} contacts")
        return {
            "seconds": elapsed,
            "cpu": cpu,
            "kernel": kernel,
            "base_rss_mb": base_rss / 1024,
            "peak_growth_mb": (max(watch.rss_kb) - base_rss) / 1024,
            "end_growth_mb": (watch.rss_kb[-1] - base_rss) / 1024,
            "rss_mb": [kb / 1024 for kb in watch.rss_kb],
            "worst_stall_ms": watch.worst_ms,
            "p99_stall_ms": watch.p99_ms,
            "busy_ms": watch.busy_ms,
            "profiler": profiler,
        }


def sqlite_floor(n: int, folder: Path) -> tuple[float, float]:
    """n plain sqlite3 inserts, each committed on its own (wall and CPU seconds)."""
    conn = sqlite3.connect(folder / "floor.db", isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(
            "CREATE TABLE mapper (id INTEGER PRIMARY KEY, integration_id INTEGER, model TEXT,"
            " local_id TEXT, remote_id TEXT, synced_at TEXT, UNIQUE (integration_id, model,"
            " local_id), UNIQUE (integration_id, model, remote_id))"
        )
        sql = (
            "INSERT INTO mapper (integration_id, model, local_id, remote_id, synced_at)"
            " VALUES (?, ?, ?, ?, ?)"
        )
        now = dt.datetime.now().isoformat(sep=" ")
        started, cpu = time.perf_counter(), time.process_time()
        for i in range(n):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(sql, (1, "Contact", str(i + 1), f"cus_{i:014d}", now))
            conn.execute("COMMIT")
        return time.perf_counter() - started, time.process_time() - cpu
    finally:
        conn.close()


def print_profile(profiler: cProfile.Profile, lines: int = 25) -> None:
    for sort in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort).print_stats(lines)
        print(f"\n-- cProfile, by {sort} --")
        print("\n".join(out.getvalue().splitlines()[4:]))


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=100_000, help="0 skips the memory run")
    parser.add_argument(
        "--rounds", type=int, default=3, help="paired rounds (bare, then ffdesk); medians"
    )
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    keyring.set_keyring(MemoryKeyring())
    n = args.contacts

    print(f"# ffdesk sync benchmark: {n} contacts, concurrency {CONCURRENCY}, fake in a subprocess")
    print(f"# machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    if importlib.util.find_spec("sniffio") is None:
        # httpcore tries `import sniffio` for every lock it sets up; a failed import is not
        # cached, so each request pays a search of sys.path (~0.2 ms CPU): both sides pay it.
        print("# note: sniffio is not installed (costs both clients ~0.2 ms CPU per request)")
    bare_runs: list[tuple[float, float, float, float, float]] = []
    ours_runs: list[tuple[float, float]] = []
    # Ratios of the same round: bare and ffdesk run back to back, under the same load.
    wall_ratios: list[float] = []
    cpu_ratios: list[float] = []
    floors: list[tuple[float, float]] = []
    profiler = None
    for round_ in range(args.rounds):
        with fake_stripe() as url:
            bare_runs.append(asyncio.run(bare_httpx(url, n)))
        with fake_stripe() as url, tempfile.TemporaryDirectory() as tmp:
            result = asyncio.run(
                ffdesk_sync(url, n, Path(tmp), profile=args.profile and round_ == 0)
            )
        if result["profiler"] is None:
            ours_runs.append((result["seconds"], result["cpu"]))
            wall_ratios.append(result["seconds"] / bare_runs[-1][0])
            cpu_ratios.append(result["cpu"] / bare_runs[-1][1])
        profiler = profiler or result["profiler"]
        with tempfile.TemporaryDirectory() as tmp:
            floors.append(sqlite_floor(n, Path(tmp)))
        print(
            f"round {round_ + 1}: bare {bare_runs[-1][0]:.2f} s (CPU {bare_runs[-1][1]:.2f} s, "
            f"of it kernel {bare_runs[-1][4]:.2f} s, "
            f"worst loop stall {bare_runs[-1][2]:.0f} ms / busy {bare_runs[-1][3]:.0f} ms), "
            f"ffdesk {result['seconds']:.2f} s (CPU {result['cpu']:.2f} s, "
            f"of it kernel {result['kernel']:.2f} s, "
            f"worst loop stall {result['worst_stall_ms']:.0f} ms / busy {result['busy_ms']:.0f} ms)"
            + (
                " [profiled, not counted]"
                if result["profiler"]
                else f" = {wall_ratios[-1]:.2f}x wall, {cpu_ratios[-1]:.2f}x CPU"
            )
            + f", sqlite3 floor {floors[-1][0]:.2f} s (CPU {floors[-1][1]:.2f} s), "
            f"load {os.getloadavg()[0]:.1f}"
        )
    if ours_runs:
        median = statistics.median
        bare = (median(r[0] for r in bare_runs), median(r[1] for r in bare_runs))
        ours = (median(r[0] for r in ours_runs), median(r[1] for r in ours_runs))
        ratio = median(wall_ratios)
        print(
            f"bare httpx.AsyncClient : {bare[0]:.2f} s  ({n / bare[0]:,.0f} requests/s), "
            f"CPU {bare[1]:.2f} s (medians)"
        )
        print(
            f"ffdesk run_sync        : {ours[0]:.2f} s  ({n / ours[0]:,.0f} contacts/s), "
            f"CPU {ours[1]:.2f} s (medians)"
        )
        print(
            f"ratio ffdesk / bare    : {ratio:.2f}x wall, {median(cpu_ratios):.2f}x CPU "
            f"(goal <= {RATIO_GOAL}x wall: {verdict(ratio <= RATIO_GOAL)}; median of "
            f"{len(wall_ratios)} rounds, each ffdesk run against the bare run just before it)"
        )
        floor = (median(f[0] for f in floors), median(f[1] for f in floors))
        print(
            f"sqlite3 floor          : {floor[0]:.2f} s  ({floor[0] / n * 1e6:.0f} us per record "
            f"insert + commit, CPU {floor[1] / n * 1e6:.0f} us)"
        )
        print(
            f"bare + floor / bare    : {(bare[0] + floor[0]) / bare[0]:.2f}x wall, "
            f"{(bare[1] + floor[1]) / bare[1]:.2f}x CPU (the least a committed mapper row adds)"
        )

    if args.big:
        print(f"\n# {args.big} contacts: memory and loop stalls")
        with fake_stripe() as url, tempfile.TemporaryDirectory() as tmp:
            big = asyncio.run(ffdesk_sync(url, args.big, Path(tmp)))
        rss = big["rss_mb"]
        quarters = [rss[min(len(rss) - 1, len(rss) * q // 4)] for q in range(5)]
        growth_ok = big["peak_growth_mb"] < MEMORY_GOAL_MB
        stall_ok = big["worst_stall_ms"] < STALL_GOAL_MS
        busy_ok = big["busy_ms"] < STALL_GOAL_MS
        print(
            f"run time               : {big['seconds']:.1f} s "
            f"({args.big / big['seconds']:,.0f} contacts/s)"
        )
        print(f"RSS before the run     : {big['base_rss_mb']:.1f} MB")
        print(
            "RSS over the run       : "
            + " -> ".join(f"{mb:.1f}" for mb in quarters)
            + " MB (start, quarters, end)"
        )
        print(
            f"peak RSS growth        : {big['peak_growth_mb']:.1f} MB "
            f"(goal < {MEMORY_GOAL_MB:.0f} MB: {verdict(growth_ok)})"
        )
        print(
            f"longest loop stall     : {big['worst_stall_ms']:.1f} ms, p99 "
            f"{big['p99_stall_ms']:.1f} ms (goal < {STALL_GOAL_MS:.0f} ms: {verdict(stall_ok)})"
        )
        print(
            f"loop thread CPU / tick : {big['busy_ms']:.1f} ms at most "
            f"(own work holding the loop; goal < {STALL_GOAL_MS:.0f} ms: {verdict(busy_ok)})"
        )
    if profiler is not None:
        print_profile(profiler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
