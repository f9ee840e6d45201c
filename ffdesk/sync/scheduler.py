"""Runs due `CronJob`s on the asyncio loop (the window's, or a script's)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from ffdesk.engine.env import Environment, env_ctx
from ffdesk.engine.errors import UserError
from ffdesk.engine.model import Model
from ffdesk.redaction import redact

log = logging.getLogger(__name__)

UNIT_SECONDS = {
    "Minutes": 60,
    "Hours": 3600,
    "Days": 86400,
    "Months": 30 * 86400,
    "Years": 365 * 86400,
}
TICK_SECONDS = 30.0


def interval(job: Model) -> timedelta:
    """How often a job runs (frequency x unit; at least one minute)."""
    seconds = max(1, job.frequency or 1) * UNIT_SECONDS.get(job.frequency_unit or "Hours", 3600)
    return timedelta(seconds=max(60, seconds))


def is_due(job: Model, now: datetime) -> bool:
    """A job never run is due at once; otherwise when its interval has passed."""
    if not job.active:
        return False
    return job.last_run is None or now - job.last_run >= interval(job)


class Scheduler:
    """Checks CronJobs every `tick` seconds and awaits `Model.method()` for due ones."""

    def __init__(
        self,
        env: Environment,
        *,
        tick: float = TICK_SECONDS,
        clock: Callable[[], datetime] = datetime.now,
        on_job_finished: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.env = env
        # The window re-reads what a scheduled run changed (states, history, last synced).
        self.on_job_finished = on_job_finished
        self.tick = tick
        self.clock = clock
        self._task: asyncio.Task[None] | None = None
        self._running: set[str] = set()
        self.ran: list[str] = []  # identifiers of jobs run, newest last (shown in the status bar)

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_due()
            except Exception:  # the scheduler must survive any one bad job
                log.error("scheduler tick failed:\n%s", redact(traceback.format_exc()))
            await asyncio.sleep(self.tick)

    async def run_due(self) -> list[str]:
        """Run every due job once; returns the identifiers of the jobs that ran."""
        token = env_ctx.set(self.env)
        try:
            registry = self.env.registry
            if "CronJob" not in registry:
                return []
            now = self.clock()
            ran: list[str] = []
            for job in await registry["CronJob"].filter(active=True).all():
                if job.identifier in self._running or not is_due(job, now):
                    continue
                ran.append(job.identifier)
                await self._run(job, now)
            return ran
        finally:
            env_ctx.reset(token)

    async def _run(self, job: Model, now: datetime) -> None:
        self._running.add(job.identifier)
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
            self._running.discard(job.identifier)
