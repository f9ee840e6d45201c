"""The scheduler with 500 companies x 8 integrations (4,000 schedules): prints its figures.

    .venv/bin/python bench/bench_scheduler.py [--companies 500] [--keep DIR]

Targets (issue 15): an idle tick under 5 ms of CPU, the `ffdesk scheduler run` process under
60 MB resident, a due run started within 1 s of its time, at most N runs at once (default 4),
oldest due first, and a slow provider that delays no other. The eight providers are copies of
the tests' `slow_sync` module, whose sync takes as long as the bench says.
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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import keyring  # noqa: E402
import sqlalchemy as sa  # noqa: E402

import ffdesk  # noqa: E402
from ffdesk.sync.lease import Lease, read_lease  # noqa: E402
from ffdesk.sync.scheduler import Scheduler  # noqa: E402
from ffdesk.sync.schedules import ensure_schedules  # noqa: E402
from tests.helpers.memory_keyring import MemoryKeyring  # noqa: E402
from tests.helpers.slow_module import HOOK, SlowControl, write_slow_module  # noqa: E402

PROVIDERS = [f"bench_provider_{i}" for i in range(1, 9)]


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def build(folder: Path, companies: int) -> str:
    """The database: eight providers installed and enabled in every company."""
    modules = folder / "modules"
    for identifier in PROVIDERS:
        write_slow_module(modules, identifier)
    url = f"sqlite:///{folder / 'bench.db'}"
    started = time.perf_counter()
    async with ffdesk.open_env(url, [modules]) as system:
        for identifier in PROVIDERS:
            await system.install_module(identifier)
        first = (await system.companies())[0]
        await system.rename_company(first.id, "Company 1")
        async with system.db.transaction():
            for i in range(2, companies + 1):
                company = await system.get_model("Company").create(name=f"Company {i}")
                system.env.cids.append(company.id)
        await system.sync_integration_records()
        table = system.get_model("Integration")._table
        with system.db.connect() as conn:
            conn.execute(sa.update(table).values(enabled=True))
        made = await ensure_schedules()
    print(
        f"database: {companies} companies, {made} schedules, built in "
        f"{time.perf_counter() - started:.1f} s ({url})"
    )
    return url


async def set_due(system: Any, when: datetime) -> None:
    table = system.get_model("IntegrationSchedule")._table
    with system.db.connect() as conn:
        conn.execute(sa.update(table).values(next_due=when, anchor=when))


async def spread(system: Any, count: int) -> list[Any]:
    """`count` schedules of as many companies, the providers taken in turn."""
    Schedule = system.get_model("IntegrationSchedule")
    picked = []
    for i, company in enumerate((await system.companies())[:count]):
        query = Schedule.filter(company=company.id).order_by("id").offset(i % len(PROVIDERS))
        picked.append(await query.first())
    return picked


async def idle_ticks(url: str, modules: Path, ticks: int) -> None:
    async with ffdesk.open_env(url, [modules]) as system:
        await set_due(system, datetime.now() + timedelta(days=1))
        scheduler = Scheduler(system.env, lease=Lease(system.db.engine))
        scheduler.check_lease(force=True)
        await scheduler.run_due(wait=False)  # first tick: reads the templates
        costs = []
        for _ in range(ticks):
            before = time.process_time()
            scheduler.check_lease()
            await scheduler.run_due(wait=False)
            costs.append((time.process_time() - before) * 1000)
        before = time.process_time()
        for _ in range(20):
            scheduler.lease.renew()  # type: ignore[union-attr]
        beat = (time.process_time() - before) * 1000 / 20
        scheduler.lease.release()  # type: ignore[union-attr]
    costs.sort()
    print(
        f"idle tick (in process, 4,000 schedules, none due): median {statistics.median(costs):.2f}"
        f" ms CPU, p95 {costs[int(len(costs) * 0.95)]:.2f} ms; lease beat (every 5 s)"
        f" {beat:.2f} ms"
    )


def service_process(url: str, modules: Path, folder: Path, seconds: float) -> None:
    """The real `ffdesk scheduler run`, idle: its resident memory and CPU per tick."""
    env = {
        **os.environ,
        "FFDESK_DATABASE_URL": url,
        "FFDESK_MODULES_PATH": str(modules),
        "FFDESK_LOG_DIR": str(folder / "logs"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "ffdesk", "scheduler", "run"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Start-up and the first ticks (imports, the first refresh): wait for two beats.
        engine = sa.create_engine(url)
        try:
            first = read_lease(engine)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                info = read_lease(engine)
                if info and info.held and (not first or info.beat >= first.beat + 3):
                    break
                time.sleep(0.5)
        finally:
            engine.dispose()
        cpu_before, wall_before = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(seconds)
        cpu = cpu_seconds(proc.pid) - cpu_before
        ticks = (time.monotonic() - wall_before) / 1.0
        print(
            f"`ffdesk scheduler run` idle: {rss_mb(proc.pid):.1f} MB resident,"
            f" {cpu * 1000 / ticks:.2f} ms CPU per 1 s tick (over {seconds:.0f} s, beats included)"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=15)


async def due_latency(url: str, modules: Path, count: int) -> None:
    control = SlowControl()
    sys.modules[HOOK] = control  # type: ignore[assignment]
    async with ffdesk.open_env(url, [modules]) as system:
        await set_due(system, datetime.now() + timedelta(days=1))
        picked = await spread(system, count)
        start = datetime.now() + timedelta(seconds=2)
        due = {}
        for i, schedule in enumerate(picked):
            schedule.next_due = schedule.anchor = start + timedelta(milliseconds=700 * i)
            await schedule.save()
            integration = await system.get_model("Integration").get(schedule.integration_id)
            await integration.fetch_related("company")
            due[integration.company.name] = schedule.next_due
        scheduler = Scheduler(system.env)
        base_wall, base_mono = datetime.now(), time.monotonic()
        scheduler.start()
        await control.wait_for(lambda: len(control.finished) >= count, 30)
        await scheduler.stop()
    sys.modules.pop(HOOK, None)
    lags = [
        (
            base_wall + timedelta(seconds=control.started_at[name] - base_mono) - due[name]
        ).total_seconds()
        for name in due
    ]
    print(
        f"due run start (tick 1 s, {count} runs): max {max(lags):.2f} s, "
        f"median {statistics.median(lags):.2f} s after its time"
    )


async def concurrency(url: str, modules: Path, runs: int, seconds: float) -> None:
    control = SlowControl()
    control.seconds = seconds
    sys.modules[HOOK] = control  # type: ignore[assignment]
    async with ffdesk.open_env(url, [modules]) as system:
        far = datetime.now() + timedelta(days=1)
        await set_due(system, far)
        picked = await spread(system, runs)
        now = datetime.now()
        order = []
        for i, schedule in enumerate(picked):
            # Due oldest-first in reverse id order; the oldest is the slow provider's.
            schedule.next_due = now - timedelta(minutes=runs - i)
            await schedule.save()
            integration = await system.get_model("Integration").get(schedule.integration_id)
            await integration.fetch_related("company", "module")
            order.append(f"{integration.company.name}/{integration.module.identifier}")
        slow_company = order[0].split("/")[0]
        control.slow_companies = {slow_company}
        scheduler = Scheduler(system.env, max_runs=4)
        began = time.monotonic()
        scheduler.start()
        await control.wait_for(lambda: len(control.finished) >= runs - 1, 60)
        others = time.monotonic() - began
        control.release.set()
        await control.wait_for(lambda: len(control.finished) >= runs, 30)
        await scheduler.stop()
    sys.modules.pop(HOOK, None)
    print(
        f"{runs} due runs of {seconds:.1f} s each, at most 4 at once: peak {control.max_at_once}"
        f" at once; first started {control.started[0]} (the oldest due: {slow_company});"
        f" the other {runs - 1} finished in {others:.1f} s while the slow one was held"
        f" (ideal {(runs - 1) * seconds / 3:.1f} s on the 3 free slots)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--companies", type=int, default=500)
    parser.add_argument("--ticks", type=int, default=200)
    parser.add_argument("--idle-seconds", type=float, default=20)
    parser.add_argument(
        "--keep", type=Path, help="build the database in this folder (reused when it is there)"
    )
    args = parser.parse_args()
    keyring.set_keyring(MemoryKeyring())
    folder = args.keep or Path(tempfile.mkdtemp(prefix="ffdesk-bench-scheduler-"))
    folder.mkdir(parents=True, exist_ok=True)
    modules = folder / "modules"
    if (folder / "bench.db").exists():  # --keep of an earlier run: measure it again
        url = f"sqlite:///{folder / 'bench.db'}"
        print(f"database: reused {url}")
    else:
        url = asyncio.run(build(folder, args.companies))
    asyncio.run(idle_ticks(url, modules, args.ticks))
    service_process(url, modules, folder, args.idle_seconds)
    asyncio.run(due_latency(url, modules, 8))
    asyncio.run(concurrency(url, modules, 25, 0.3))


if __name__ == "__main__":
    main()
