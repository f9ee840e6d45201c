"""One entry point for every sync (window, command line, scheduler): lock, run, record.

A run is a `SyncRun` record. Only one runs per integration at a time across processes: the
lock is the `running` record itself, taken in an IMMEDIATE transaction. A run whose owner is
gone (its process no longer exists, or its heartbeat is older than a minute) is marked failed
("interrupted") as soon as it is found, so a killed run never blocks the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import math
import os
import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ffdesk.engine.env import current_env, env_ctx
from ffdesk.engine.errors import UserError
from ffdesk.engine.model import Model, references_checked_once
from ffdesk.engine.postgresql import lock_integration
from ffdesk.redaction import redact
from ffdesk.sync.errors import ProviderError, ProviderUnavailable
from ffdesk.sync.http import PACING, Pacing

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 10.0
STALE_AFTER = timedelta(minutes=1)
MAX_LOG_LINES = 200
HOST = socket.gethostname()
INTERRUPTED = "interrupted: the process running it stopped before it finished"


def unexpected_error_text(provider: str, exc: BaseException) -> str:
    """A bug's sentence for the user: what stopped and where the details are, never a Python
    class name (those go to the log with the traceback)."""
    detail = str(exc).strip().rstrip(".")
    said = f"{provider} stopped on an unexpected error in ffdesk or its module"
    return redact(
        f"{said}: {detail}. The details are in the log file."
        if detail
        else f"{said}. The details are in the log file."
    )


class RunState(enum.StrEnum):
    """States of a sync run; `running` is the only one that may change."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


_TRANSITIONS = {
    RunState.RUNNING: {RunState.DONE, RunState.FAILED, RunState.CANCELLED},
}


class AlreadySyncing(UserError):
    """Another run of this integration is going on; says since when."""


class SyncCancelled(Exception):
    """Raised at a record boundary after Cancel; what was done is kept."""


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended, with its counts (returned to the window and the command line)."""

    run_id: int
    integration: str
    state: RunState
    created: int
    updated: int
    skipped: int
    failed: int
    error: str | None
    started: datetime
    finished: datetime
    #: The run failed because the provider could not be reached (the CLI's exit code 3).
    unreachable: bool = False
    #: Requests the provider answered 429 (rate limit), and seconds the run spent paused by them.
    rate_limited: int = 0
    waited: float = 0.0

    @property
    def succeeded(self) -> bool:
        return self.state == RunState.DONE and self.failed == 0


def _process_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def owner_gone(run: Model, now: datetime | None = None) -> bool:
    """True when the process that owns a `running` run no longer exists or stopped beating."""
    now = now or datetime.now()
    heartbeat = run.heartbeat or run.started
    if heartbeat is None or now - heartbeat > STALE_AFTER:
        return True
    return run.owner_host == HOST and not _process_alive(run.owner_pid)


async def reap_interrupted(integration_id: int | None = None) -> int:
    """Mark `running` runs whose owner is gone as failed ("interrupted"); returns how many."""
    SyncRun = current_env().registry["SyncRun"]
    query = SyncRun.filter(state=RunState.RUNNING.value)
    if integration_id is not None:
        query = query.filter(integration=integration_id)
    count = 0
    for run in await query.all():
        if owner_gone(run):
            await _mark_interrupted(run)
            count += 1
    return count


async def _mark_interrupted(run: Model) -> None:
    run.state = RunState.FAILED.value
    run.error = INTERRUPTED
    run.finished = datetime.now()
    await run.save()


class SyncJob:
    """A run in progress: counts, progress, log and cancel; given to the module's sync."""

    def __init__(
        self,
        integration: Model,
        *,
        trigger: str = "manual",
        on_progress: Callable[[int, int | None], None] | None = None,
        on_wait: Callable[[str, float], None] | None = None,
    ) -> None:
        self.integration = integration
        self.trigger = trigger
        self.on_progress = on_progress
        #: Hears `(provider, seconds)` when a rate limit pauses the run (window, command line).
        self.on_wait = on_wait
        self.pacing = Pacing(on_wait=self._waiting)
        self.run: Model | None = None
        self.created = self.updated = self.skipped = self.failed = 0
        self.done = 0
        self.total: int | None = None
        self.lines: list[str] = []
        self._unreachable = False  # set when the run fails because the provider was unreachable
        self._cancel = asyncio.Event()
        self._state = RunState.RUNNING
        self._interrupted: str | None = None

    # -- what a module's sync calls ---------------------------------------------------
    def count(self, kind: str, n: int = 1) -> None:
        """Count `created`, `updated`, `skipped` or `failed` records and advance progress."""
        setattr(self, kind, getattr(self, kind) + n)
        self.advance(n)

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.on_progress is not None:
            self.on_progress(self.done, self.total)

    def set_total(self, total: int | None) -> None:
        self.total = total
        if self.on_progress is not None:
            self.on_progress(self.done, total)

    def log(self, line: str) -> None:
        line = redact(line)
        log.info("%s: %s", self.integration.name, line)
        if len(self.lines) < MAX_LOG_LINES:
            self.lines.append(f"{datetime.now():%H:%M:%S} {line}")

    def record_failure(self, what: str, error: Exception | str) -> None:
        """One record could not be synced; the run goes on with the next."""
        self.count("failed")
        self.log(f"{what}: {error}")

    def _waiting(self, provider: str, seconds: float) -> None:
        self.log(waiting_text(provider, seconds))
        if self.on_wait is not None:
            self.on_wait(provider, seconds)

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def checkpoint(self) -> None:
        """Call between records: stops the run here if Cancel was pressed."""
        if self._cancel.is_set():
            raise SyncCancelled()

    def cancel(self) -> None:
        self._cancel.set()

    def interrupt(self, reason: str = INTERRUPTED) -> None:
        """Stop at the next record boundary because the process is stopping (SIGTERM): the run
        is recorded failed as "interrupted", so its schedule runs it again, not cancelled."""
        self._interrupted = reason
        self._cancel.set()

    # -- lifecycle --------------------------------------------------------------------
    def _transition(self, new: RunState) -> None:
        if new not in _TRANSITIONS.get(self._state, set()):
            raise RuntimeError(f"sync run cannot go from {self._state} to {new}")
        self._state = new

    async def _acquire(self) -> None:
        env = current_env()
        SyncRun = env.registry["SyncRun"]
        integration = self.integration
        async with env.db.transaction() as conn:
            # SQLite: the transaction holds the database's write lock (BEGIN IMMEDIATE).
            # PostgreSQL: a lock per integration, held until the commit, so of two machines
            # starting at the same instant the second waits, then sees the first one's run.
            lock_integration(conn, integration.id)
            for other in await SyncRun.filter(
                integration=integration.id, state=RunState.RUNNING.value
            ).all():
                if owner_gone(other):
                    await _mark_interrupted(other)
                    continue
                since = other.started.strftime("%H:%M") if other.started else "a moment ago"
                raise AlreadySyncing(
                    f"{integration.name} is already syncing since {since} "
                    f"on {other.owner_host or 'another computer'}."
                )
            now = datetime.now()
            self.run = await SyncRun.create(
                integration=integration.id,
                company=integration.company_id,
                module_identifier=integration.module.identifier if integration.module else None,
                trigger=self.trigger,
                state=RunState.RUNNING.value,
                started=now,
                heartbeat=now,
                owner_pid=os.getpid(),
                owner_host=HOST,
            )

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_INTERVAL)
            await self._save_progress()

    async def _save_progress(self) -> None:
        run = self.run
        assert run is not None
        run.heartbeat = datetime.now()
        run.created, run.updated = self.created, self.updated
        run.skipped, run.failed = self.skipped, self.failed
        run.done, run.total = self.done, self.total
        await run.save()

    async def execute(self) -> RunOutcome:
        """Take the lock, run the module's sync, record how it ended."""
        integration = self.integration
        env = current_env()
        # The run acts for the integration's company, whoever started it.
        token = env_ctx.set(env.with_company(integration.company_id))
        try:
            await integration.fetch_related("module")
            await self._acquire()
            beat = asyncio.ensure_future(self._beat())
            error: str | None = None
            state = RunState.DONE
            stopped = False
            limits = _apply_limits(self.pacing, integration)
            deadline = asyncio.timeout(limits)
            pacing = PACING.set(self.pacing)
            try:
                async with deadline:
                    # Thousands of mapper rows point at this integration: look it up once.
                    with references_checked_once():
                        await integration.sync_integration(self)
            except TimeoutError as exc:
                state = RunState.FAILED
                if deadline.expired():
                    error = too_long_text(limits or 0.0)
                else:
                    error = unexpected_error_text(integration.name, exc)
                self.log(error)
            except SyncCancelled:
                state = RunState.CANCELLED
                self.log("cancelled; what was done is kept")
            except asyncio.CancelledError:
                state, stopped = RunState.CANCELLED, True
                self.log("stopped")
            except (UserError, ProviderError) as exc:
                state, error = RunState.FAILED, redact(str(exc))
                self._unreachable = isinstance(exc, ProviderUnavailable)
                self.log(error)
            except Exception as exc:  # a bug in a module must not take the app down
                state = RunState.FAILED
                error = unexpected_error_text(integration.name, exc)
                log.error(
                    "sync of %s crashed:\n%s", integration.name, redact(traceback.format_exc())
                )
            finally:
                PACING.reset(pacing)
                beat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await beat
            if self._interrupted is not None and state == RunState.CANCELLED:
                state, error = RunState.FAILED, self._interrupted
                self.log(f"{error}; what was done is kept")
            outcome = await self._finish(state, error)
            if stopped:
                # Recorded; now let the cancellation go on to whoever cancelled the task.
                raise asyncio.CancelledError()
            return outcome
        finally:
            env_ctx.reset(token)

    async def _finish(self, state: RunState, error: str | None) -> RunOutcome:
        self._transition(state)
        run = self.run
        assert run is not None
        finished = datetime.now()
        pacing = self.pacing
        if pacing.rate_limited:
            self.log(rate_limit_summary(pacing))
        await self._save_progress()
        run.state = state.value
        run.finished = finished
        run.error = error
        run.log = list(self.lines)
        await run.save()
        if state == RunState.DONE and self.failed == 0:
            integration = self.integration
            integration.last_synced_date = finished
            await integration.save()
        return RunOutcome(
            run_id=int(run.id),  # type: ignore[arg-type]
            integration=self.integration.name,
            state=state,
            created=self.created,
            updated=self.updated,
            skipped=self.skipped,
            failed=self.failed,
            error=error,
            started=run.started,
            finished=finished,
            unreachable=self._unreachable,
            rate_limited=pacing.rate_limited,
            waited=round(pacing.waited, 1),
        )


def waiting_text(provider: str, seconds: float) -> str:
    """What progress says while a rate limit pauses the run."""
    return f"waiting for {provider}'s rate limit, resumes in {max(1, math.ceil(seconds))} s"


def too_long_text(seconds: float) -> str:
    """The error of a run stopped by its wall-clock ceiling."""
    minutes = seconds / 60
    shown = f"{minutes:g} minutes" if minutes >= 1 else f"{seconds:g} seconds"
    return (
        f"The sync stopped after {shown}, the Maximum Run Time of this integration; what was "
        "done by then is kept. Raise the Maximum Run Time if a sync needs longer."
    )


def rate_limit_summary(pacing: Pacing) -> str:
    """The run log's line on the 429s of a run."""
    who = " and ".join(sorted(pacing.providers)) or "The provider"
    times = "once" if pacing.rate_limited == 1 else f"{pacing.rate_limited} times"
    return (
        f"{who} answered 429 (rate limit) {times}; the run waited {pacing.waited:.0f} s "
        "for it in all"
    )


def _apply_limits(pacing: Pacing, integration: Model) -> float | None:
    """Copy the integration's limits into the run's pacing; the run's ceiling in seconds."""
    rate = getattr(integration, "max_request_rate", None)
    pacing.rate_cap = float(rate) if rate and rate > 0 else None
    patience = getattr(integration, "rate_limit_patience", None)
    pacing.patience = float(patience) if patience is not None and patience >= 0 else None
    minutes = getattr(integration, "max_run_minutes", None)
    return float(minutes) * 60 if minutes and minutes > 0 else None


async def run_sync(
    integration: Model,
    *,
    trigger: str = "manual",
    on_progress: Callable[[int, int | None], None] | None = None,
    job: SyncJob | None = None,
    on_wait: Callable[[str, float], None] | None = None,
) -> RunOutcome:
    """Run one sync of `integration` (refused with AlreadySyncing if one is going on)."""
    env = current_env()
    # Asked as the integration's company, as the run itself will act (its credentials).
    token = env_ctx.set(env.with_company(integration.company_id))
    try:
        if not integration.enabled:
            raise UserError(f"Enable {integration.name} before syncing it.")
        capability = await integration.sync_capability()
    finally:
        env_ctx.reset(token)
    if not capability.available:
        raise UserError(capability.reason)
    job = job or SyncJob(integration, trigger=trigger, on_progress=on_progress, on_wait=on_wait)
    return await job.execute()


async def last_successful_run(integration: Model) -> Model | None:
    """The latest run that finished `done` without failures (for incremental pulls)."""
    SyncRun = current_env().registry["SyncRun"]
    return await (
        SyncRun.filter(integration=integration.id, state=RunState.DONE.value, failed=0)
        .order_by("-started")
        .first()
    )


def describe(outcome: RunOutcome) -> dict[str, Any]:
    return {
        "run_id": outcome.run_id,
        "integration": outcome.integration,
        "state": outcome.state.value,
        "created": outcome.created,
        "updated": outcome.updated,
        "skipped": outcome.skipped,
        "failed": outcome.failed,
        "error": outcome.error,
        "rate_limited": outcome.rate_limited,
        "waited_seconds": outcome.waited,
        "started": outcome.started.isoformat(sep=" ", timespec="seconds"),
        "finished": outcome.finished.isoformat(sep=" ", timespec="seconds"),
    }


async def sync_enabled(module_identifier: str, *, trigger: str = "schedule") -> list[RunOutcome]:
    """Run the sync of every enabled integration of a module (the cron entry point).

    One integration that is busy or fails does not stop the others.
    """
    Integration = current_env().registry["Integration"]
    outcomes: list[RunOutcome] = []
    for integration in await Integration.filter(
        module__identifier=module_identifier, enabled=True
    ).all():
        try:
            outcomes.append(await run_sync(integration, trigger=trigger))
        except UserError as exc:
            log.info("scheduled sync of %s skipped: %s", integration.name, exc)
    return outcomes
