"""Runs due schedules on the asyncio loop (the background service's, the window's, a script's).

Two kinds of work: each integration's own schedule (`IntegrationSchedule`, one per company),
run through `run_sync` at most `max_runs` at once, oldest due first, each in its own task so a
slow provider holds one slot and never the others; and the other `CronJob`s, which call
`await Model.method()`. A `Lease` (optional) makes sure only one scheduler per database runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from ffdesk.engine.env import Environment, env_ctx
from ffdesk.engine.errors import UserError
from ffdesk.engine.model import Model
from ffdesk.redaction import redact
from ffdesk.sync.lease import BEAT_INTERVAL, Lease, LeaseInfo
from ffdesk.sync.pause import schedule_pause
from ffdesk.sync.runner import AlreadySyncing, RunOutcome, SyncJob, run_sync
from ffdesk.sync.schedules import (
    SCHEDULE_MODEL,
    ensure_schedules,
    has_schedules,
    next_due_after,
    step,
    template_methods,
)

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0  # a due run starts within a second of its time
DEFAULT_MAX_RUNS = 4
REFRESH_SECONDS = 60.0  # how often new integrations get their schedules
BUSY_RETRY = timedelta(minutes=1)  # another process is running it: look again a minute later
STOPPED = "interrupted: the scheduler was stopped before the run finished; it runs again"
STOP_GRACE = 7.0  # seconds a stopping run gets to reach a record boundary (exit within 10 s)


def interval(job: Model) -> relativedelta:
    """How often a job runs: N minutes, hours, days, calendar months or calendar years."""
    return step(job.frequency, job.frequency_unit)


def is_due(job: Model, now: datetime) -> bool:
    """A job never run is due at once; otherwise when its interval has passed."""
    if not job.active:
        return False
    return job.last_run is None or job.last_run + interval(job) <= now


@dataclass(frozen=True)
class ScheduledRun:
    """How one scheduled run ended (for notifications): outcome, or the refusal's sentence."""

    schedule_id: int
    integration_id: int
    company_id: int | None
    name: str
    label: str
    outcome: RunOutcome | None
    message: str | None
    paused: bool = False  # the schedule is paused now (after repeated failures)

    @property
    def failed(self) -> bool:
        return self.outcome is None or not self.outcome.succeeded


Callback = Callable[..., Awaitable[None] | None]


class Scheduler:
    """Ticks every `tick` seconds: keeps (or waits for) the lease, then starts what is due."""

    def __init__(
        self,
        env: Environment,
        *,
        tick: float = TICK_SECONDS,
        clock: Callable[[], datetime] = datetime.now,
        on_job_finished: Callable[[str], Awaitable[None]] | None = None,
        on_run_finished: Callback | None = None,
        on_lease_checked: Callable[[LeaseInfo, bool], None] | None = None,
        max_runs: int = DEFAULT_MAX_RUNS,
        lease: Lease | None = None,
        beat_interval: float = BEAT_INTERVAL,
    ) -> None:
        self.env = env
        # The window re-reads what a scheduled run changed (states, history, last synced).
        self.on_job_finished = on_job_finished
        self.on_run_finished = on_run_finished
        self.on_lease_checked = on_lease_checked
        self.tick = tick
        self.clock = clock
        self.max_runs = max(1, max_runs)
        self.lease = lease
        self.beat_interval = beat_interval
        self.last_tick: datetime | None = None
        self._task: asyncio.Task[None] | None = None
        self._jobs_running: set[str] = set()
        self._runs: dict[int, tuple[asyncio.Task[None], SyncJob]] = {}
        self._wake = asyncio.Event()
        self._templates: dict[str, tuple[int, str]] = {}
        self._refreshed = float("-inf")
        self._next_lease_check = float("-inf")
        self._lease_checked = False
        self._stopping = False
        self.held_once = False  # whether this scheduler ever held the lease
        self.ran: list[str] = []  # what ran, newest last (shown in the status bar)

    # -- life ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._stopping = False
            self._task = asyncio.ensure_future(self._loop())

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop ticking; runs in progress stop at a record boundary and are marked interrupted
        (cancelled outright after `grace` seconds); the lease is given back."""
        if self._task is not None:
            # The flag as well as the cancel: on Python 3.11 asyncio.wait_for swallows a
            # cancellation that arrives as the event it waits for is set (a run just ended).
            self._stopping = True
            self._wake.set()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.interrupt_runs(grace)
        if self.lease is not None:
            with contextlib.suppress(Exception):
                self.lease.release()

    async def interrupt_runs(self, grace: float = STOP_GRACE) -> None:
        runs = list(self._runs.values())
        for _task, job in runs:
            job.interrupt(STOPPED)
        tasks = [task for task, _job in runs]
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(BaseException):
                await task

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def active(self) -> bool:
        """Whether this scheduler runs the schedules (holds the lease, or needs none)."""
        return self.lease is None or self.lease.held

    @property
    def runs_in_progress(self) -> int:
        return len(self._runs)

    def running_names(self) -> list[str]:
        """The names of the integrations this scheduler is syncing now."""
        return [str(job.integration.name) for _task, job in self._runs.values()]

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                self.check_lease()
                if self.active:
                    await self.run_due(wait=False)
                self.last_tick = self.clock()
            except Exception:  # the scheduler must survive any one bad tick
                log.error("scheduler tick failed:\n%s", redact(traceback.format_exc()))
            if self._stopping:
                break
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.tick)

    def check_lease(self, force: bool = False) -> bool:
        """Beat (or try to take the lease) every `beat_interval` seconds; returns `active`."""
        if self.lease is None:
            return True
        now = time.monotonic()
        if not force and now < self._next_lease_check:
            return self.lease.held
        self._next_lease_check = now + self.beat_interval
        was = self.lease.held if self._lease_checked else None
        self._lease_checked = True
        held = self.lease.try_acquire()
        self.held_once = self.held_once or held
        if held != was:
            log.info(
                "scheduler %s",
                "took the lease: it runs the schedules of this database"
                if held
                else "stands by: another scheduler runs the schedules of this database",
            )
        if self.on_lease_checked is not None:
            self.on_lease_checked(self.lease.read(), held)
        return held

    # -- one tick -----------------------------------------------------------------------
    async def run_due(self, *, wait: bool = True) -> list[str]:
        """Start what is due; with `wait`, run until nothing due is left (`--once`).

        Returns what ran: CronJob identifiers and "module (company)" for schedules.
        """
        token = env_ctx.set(self.env)
        try:
            registry = self.env.registry
            if "CronJob" not in registry:
                return []
            now = self.clock()
            await self._refresh(now)
            ran = await self._run_cron_jobs(now)
            if not has_schedules():
                return ran
            tried: set[int] = set()
            while True:
                ran.extend(await self._start_due(self.clock(), tried))
                if not wait or not self._runs:
                    break
                await asyncio.wait(
                    [task for task, _job in self._runs.values()],
                    return_when=asyncio.FIRST_COMPLETED,
                )
            return ran
        finally:
            env_ctx.reset(token)

    async def _refresh(self, now: datetime) -> None:
        moment = time.monotonic()
        if moment - self._refreshed < REFRESH_SECONDS:
            return
        self._refreshed = moment
        self._templates = template_methods()
        made = await ensure_schedules(now)
        if made:
            log.info("%d new schedules (one per integration and company)", made)

    async def _run_cron_jobs(self, now: datetime) -> list[str]:
        ran: list[str] = []
        scheduled = has_schedules()
        for job in await self.env.registry["CronJob"].filter(active=True).all():
            if job.identifier in self._jobs_running or not is_due(job, now):
                continue
            if scheduled and job.model == "Integration" and job.method in self._templates:
                continue  # each integration of each company has its own schedule instead
            ran.append(job.identifier)
            await self._run_job(job, now)
        return ran

    async def _start_due(self, now: datetime, tried: set[int]) -> list[str]:
        free = self.max_runs - len(self._runs)
        if free <= 0:
            return []
        registry = self.env.registry
        Schedule = registry[SCHEDULE_MODEL]
        due = await (
            Schedule.filter(active=True, integration__enabled=True, next_due__lte=now)
            .order_by("next_due")
            .limit(free + len(self._runs) + len(tried))
            .all()
        )
        started: list[str] = []
        for schedule in due:
            if free <= 0:
                break
            if schedule.id in self._runs or schedule.id in tried:
                continue
            integration = await registry["Integration"].filter(id=schedule.integration_id).first()
            if integration is None:
                continue
            await integration.fetch_related("module", "company")
            label = f"{integration.module.identifier if integration.module else integration.name}"
            label += f" ({integration.company.name})" if integration.company else ""
            tried.add(int(schedule.id))
            pause = await schedule_pause(integration)
            if pause is not None:  # failed N times in a row: skip it until a Sync now succeeds
                log.info("scheduled sync of %s skipped: %s", label, pause.message)
                schedule.next_due = next_due_after(
                    schedule.anchor or schedule.next_due or now,
                    schedule.frequency,
                    schedule.frequency_unit,
                    now,
                )
                await schedule.save()
                continue
            job = SyncJob(integration, trigger="schedule")
            task = asyncio.ensure_future(self._run_schedule(schedule, integration, job, label))
            self._runs[int(schedule.id)] = (task, job)
            started.append(label)
            self.ran.append(label)
            free -= 1
        return started

    async def _run_schedule(
        self, schedule: Model, integration: Model, job: SyncJob, label: str
    ) -> None:
        schedule_id = int(schedule.id)  # type: ignore[arg-type]
        due = schedule.next_due or self.clock()
        token = env_ctx.set(self.env)
        outcome: RunOutcome | None = None
        message: str | None = None
        busy = False
        try:
            log.info("scheduled sync of %s started (due %s)", label, f"{due:%Y-%m-%d %H:%M:%S}")
            started = self.clock()
            try:
                outcome = await run_sync(integration, job=job)
            except AlreadySyncing as exc:
                busy, message = True, str(exc)
            except UserError as exc:
                message = str(exc)
            except Exception as exc:
                message = redact(f"Something went wrong: {type(exc).__name__}: {exc}")
                log.error(
                    "scheduled sync of %s crashed:\n%s", label, redact(traceback.format_exc())
                )
            if outcome is not None:
                log.info(
                    "scheduled sync of %s %s: %d created, %d updated, %d skipped, %d failed%s",
                    label,
                    outcome.shown_state,
                    outcome.created,
                    outcome.updated,
                    outcome.skipped,
                    outcome.failed,
                    f"; {outcome.error}" if outcome.error else "",
                )
            else:
                log.warning("scheduled sync of %s not run: %s", label, message)
            paused = False
            if job._interrupted is None:
                paused = await self._advance(schedule_id, due, started, outcome, busy)
            result = ScheduledRun(
                schedule_id,
                int(integration.id),  # type: ignore[arg-type]
                integration.company_id,
                integration.name,
                label,
                outcome,
                message,
                paused,
            )
            if job._interrupted is None and not busy:
                await self._notify(result)
        finally:
            self._runs.pop(schedule_id, None)
            env_ctx.reset(token)
            self._wake.set()

    async def _advance(
        self,
        schedule_id: int,
        due: datetime,
        started: datetime,
        outcome: RunOutcome | None,
        busy: bool,
    ) -> bool:
        """Move the schedule on after a run; returns whether it is paused now."""
        schedule = await self.env.registry[SCHEDULE_MODEL].filter(id=schedule_id).first()
        if schedule is None:
            return False  # its integration was deleted meanwhile
        now = self.clock()
        if busy:
            schedule.next_due = now + BUSY_RETRY
        else:
            schedule.last_run = started
            anchor = schedule.anchor or due
            schedule.next_due = next_due_after(
                anchor, schedule.frequency, schedule.frequency_unit, max(now, due)
            )
            ok = outcome is not None and outcome.succeeded
            schedule.failures = 0 if ok else (schedule.failures or 0) + 1
        await schedule.save()
        return not schedule.active

    async def _notify(self, result: ScheduledRun) -> None:
        for callback in (self.on_run_finished,):
            if callback is None:
                continue
            try:
                answer = callback(result)
                if inspect.isawaitable(answer):
                    await answer
            except Exception:
                log.error("after scheduled run:\n%s", traceback.format_exc())
        if self.on_job_finished is not None:
            try:
                await self.on_job_finished(result.label)
            except Exception:
                log.error("after scheduled run of %s:\n%s", result.label, traceback.format_exc())

    async def _run_job(self, job: Model, now: datetime) -> None:
        self._jobs_running.add(job.identifier)
        try:
            model = self.env.registry.models.get(job.model)
            method = getattr(model, job.method, None) if model is not None else None
            if method is None:
                log.warning(
                    "cron job %s: %s.%s does not exist", job.identifier, job.model, job.method
                )
            else:
                try:
                    await method()
                except UserError as exc:
                    log.warning("cron job %s: %s", job.identifier, exc)
                except Exception:
                    log.error(
                        "cron job %s failed:\n%s", job.identifier, redact(traceback.format_exc())
                    )
            job.last_run = now
            await job.save()
            self.ran.append(job.identifier)
            if self.on_job_finished is not None:
                try:
                    await self.on_job_finished(job.identifier)
                except Exception:
                    log.error("after cron job %s:\n%s", job.identifier, traceback.format_exc())
        finally:
            self._jobs_running.discard(job.identifier)
