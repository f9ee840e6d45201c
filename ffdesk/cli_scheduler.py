"""`ffdesk scheduler run|install|uninstall|status` and `ffdesk schedules list|set|pause|resume`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ffdesk.engine.system import System

log = logging.getLogger("ffdesk.scheduler")
MAX_RUNS_VARIABLE = "FFDESK_SCHEDULER_MAX_RUNS"


def _default_max_runs() -> int:
    from ffdesk.sync.scheduler import DEFAULT_MAX_RUNS

    value = os.environ.get(MAX_RUNS_VARIABLE, "")
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_MAX_RUNS


def add_commands(commands: Any, sub: Callable[[Any, str, str], argparse.ArgumentParser]) -> None:
    """Add both command groups to the `ffdesk` parser (`sub` adds the global options)."""
    scheduler = sub(commands, "scheduler", "the background scheduler (runs due schedules)")
    sched = scheduler.add_subparsers(dest="action", required=True, parser_class=type(scheduler))
    run = sub(sched, "run", "run due schedules until stopped (SIGTERM or Ctrl+C)")
    run.add_argument("--once", action="store_true", help="run what is due now, then exit")
    run.add_argument(
        "--max-runs",
        type=int,
        default=None,
        help=f"runs at once (default {MAX_RUNS_VARIABLE} or 4)",
    )
    install = sub(sched, "install", "install the scheduler as a service of this user")
    install.add_argument(
        "--no-start", action="store_true", help="write the service but do not start it"
    )
    uninstall = sub(sched, "uninstall", "stop and remove the service")
    uninstall.add_argument("--no-stop", action="store_true", help="only remove the files")
    sub(sched, "status", "which scheduler is active, since when, and the next due runs")

    schedules = sub(commands, "schedules", "see and change the schedules of integrations")
    sch = schedules.add_subparsers(dest="action", required=True, parser_class=type(schedules))
    sub(sch, "list", "every schedule (all companies unless --company is given)")
    setter = sub(sch, "set", "change how often a schedule runs")
    setter.add_argument("id", help="schedule number, or module identifier in the company")
    setter.add_argument("--every", required=True, help="15m, 2h, 1d, 1mo or 1y")
    sub(sch, "pause", "pause a schedule").add_argument("id")
    sub(sch, "resume", "resume a schedule").add_argument("id")


# -- schedules --------------------------------------------------------------------------------
def _schedule_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "integration": row.integration,
        "company": row.company,
        "every": row.every,
        "active": row.active,
        "enabled": row.enabled,
        "last_run": row.last_run,
        "next_due": row.next_due,
        "failures": row.failures,
    }


async def schedules_command(system: System, args: argparse.Namespace, out: Any) -> int:
    from ffdesk.cli import table
    from ffdesk.sync import schedules as service

    company_id = system.env.cid if args.company else None
    if args.action == "list":
        rows = [_schedule_dict(r) for r in await service.list_schedules(company_id)]
        columns = ["id", "integration", "company", "every", "active", "enabled", "last_run"]
        columns.append("next_due")
        out.emit({"schedules": rows}, table(rows, columns))
        return 0
    schedule = await service.find_schedule(args.id, system.env.cid)
    if args.action == "set":
        frequency, unit = service.parse_every(args.every)
        await service.set_every(schedule, frequency, unit)
        message = (
            f"Schedule {schedule.id} now runs {service.describe_every(frequency, unit)};"
            f" next at {schedule.next_due:%Y-%m-%d %H:%M}."
        )
    else:
        await service.set_active(schedule, args.action == "resume")
        message = f"Schedule {schedule.id} {'resumed' if schedule.active else 'paused'}."
    out.emit(
        {
            "id": schedule.id,
            "every": service.describe_every(schedule.frequency, schedule.frequency_unit),
            "active": schedule.active,
            "next_due": schedule.next_due if schedule.active else None,
        },
        message,
    )
    return 0


# -- scheduler --------------------------------------------------------------------------------
async def scheduler_command(system: System, args: argparse.Namespace, out: Any) -> int:
    if args.action == "run":
        return await run_scheduler(system, args, out)
    if args.action == "status":
        return await _status(system, out)
    from ffdesk.services import background

    if args.action == "install":
        report = background.install(system.db.url, start=not args.no_start)
    else:
        report = background.uninstall(stop=not args.no_stop)
    out.emit({"done": report.lines, "started": report.started}, "\n".join(report.lines))
    return 0


async def _status(system: System, out: Any) -> int:
    from ffdesk.services.background import installed_service
    from ffdesk.sync import schedules as service
    from ffdesk.sync.lease import LEASE_TTL, read_lease

    info = read_lease(system.db.engine)
    now = datetime.now()
    active = bool(
        info
        and info.held
        and info.heartbeat is not None
        and (now - info.heartbeat).total_seconds() < LEASE_TTL * 2
    )
    rows = [r for r in await service.list_schedules() if r.active and r.enabled]
    rows.sort(key=lambda r: r.next_due or now)
    upcoming = [_schedule_dict(r) for r in rows[:5]]
    service_file = installed_service()
    data = {
        "active": active,
        "kind": info.kind if active and info else None,
        "host": info.host if active and info else None,
        "pid": info.pid if active and info else None,
        "since": info.since if active and info else None,
        "last_tick": info.heartbeat if info else None,
        "service": str(service_file) if service_file else None,
        "next_due": upcoming,
    }
    if active and info is not None:
        who = "the window" if info.kind == "window" else "the background scheduler"
        lines = [
            f"Scheduler active: {who} on {info.host} (process {info.pid}),"
            f" since {info.since:%Y-%m-%d %H:%M}; last tick {info.heartbeat:%H:%M:%S}."
        ]
    else:
        lines = ["No scheduler is active on this database: schedules do not run."]
    lines.append(
        f"Service installed: {service_file}" if service_file else "No service is installed."
    )
    if upcoming:
        lines.append("Next due:")
        for row in upcoming:
            due = row["next_due"]
            lines.append(
                f"  {due:%Y-%m-%d %H:%M}  {row['integration']} ({row['company']})"
                if due
                else f"  now  {row['integration']} ({row['company']})"
            )
    out.emit(data, "\n".join(lines))
    return 0


async def run_scheduler(system: System, args: argparse.Namespace, out: Any) -> int:
    """The headless scheduler: never imports Qt; stops cleanly on SIGTERM and SIGINT."""
    from ffdesk.logs import add_console_handler
    from ffdesk.sync.lease import Lease
    from ffdesk.sync.scheduler import Scheduler

    # With --json standard output carries the one JSON object: the log goes to standard error.
    add_console_handler(sys.stderr if out.as_json else None)
    max_runs = args.max_runs or _default_max_runs()
    lease = Lease(system.db.engine, kind="service")
    scheduler = Scheduler(system.env, max_runs=max_runs, lease=lease)
    if args.once:
        if not scheduler.check_lease(force=True):
            info = lease.read()
            log.info(
                "another scheduler runs the schedules of this database (on %s, process %s);"
                " nothing run",
                info.host,
                info.pid,
            )
            if out.as_json:
                out.emit({"ran": [], "standby": True}, "")
            return 0
        try:
            ran = await scheduler.run_due(wait=True)
            log.info("ran %d due schedules", len(ran))
        finally:
            lease.release()
        if out.as_json:  # the log lines above are for people; scripts get one object
            out.emit({"ran": ran, "standby": False}, "")
        return 0

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    received: list[str] = []

    def on_signal(number: int) -> None:
        received.append(signal.Signals(number).name)
        stopping.set()

    for number in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl+C ends asyncio.run
            loop.add_signal_handler(number, on_signal, number)
    log.info(
        "scheduler started on %s (process %d): database %s, at most %d runs at once",
        lease.host,
        os.getpid(),
        _masked(system.db.url),
        max_runs,
    )
    scheduler.start()
    try:
        await stopping.wait()
    finally:
        log.info(
            "%s received: stopping; runs in progress stop at the next record",
            received[0] if received else "stop",
        )
        await scheduler.stop()
        for number in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(number)
        log.info("scheduler stopped")
    if out.as_json:
        out.emit({"ran": list(scheduler.ran), "standby": not scheduler.held_once}, "")
    return 0


def _masked(url: str) -> str:
    from ffdesk.services.background import masked_url

    return masked_url(url)
