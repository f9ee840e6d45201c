"""One entry point for every sync (window, command line, scheduler): lock, run, record.

A run is a `SyncRun` record. Only one runs per integration at a time across processes: the
lock is the `running` record itself, taken in an IMMEDIATE transaction. A run whose owner is
gone (its process no longer exists, or its heartbeat is older than a minute) is marked failed
("interrupted") as soon as it is found, so a killed run never blocks the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import enum
import logging
import math
import os
import socket
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ffdesk.engine.env import current_env, env_ctx
from ffdesk.engine.errors import UserError
from ffdesk.engine.model import Model, references_checked_once
from ffdesk.engine.postgresql import lock_integration
from ffdesk.redaction import redact, unexpected_error_text
from ffdesk.sync.errors import ProviderError, ProviderUnavailable
from ffdesk.sync.http import PACING, Pacing
from ffdesk.sync.pause import failure_kind, schedule_pause
from ffdesk.sync.preview_guard import previewing

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 10.0
#: How often a run's counts, failures and log are written while it goes (if they changed), so
#: a killed run keeps what it had reached.
PROGRESS_INTERVAL = 2.0
STALE_AFTER = timedelta(minutes=1)
MAX_LOG_LINES = 200
MAX_PREVIEW_LINES = 500
#: Failed records kept per run with their reasons (the count itself is never capped).
MAX_FAILURES = 200
#: Which way the records being counted go: "push" (to the provider) or "pull" (from it).
#: The shared push/pull helpers set it; a count outside them is a pull.
DIRECTION: contextvars.ContextVar[str] = contextvars.ContextVar("sync_direction", default="pull")
DIRECTIONS = ("push", "pull")
COUNT_KINDS = ("created", "updated", "skipped", "failed")
HOST = socket.gethostname()
INTERRUPTED = "interrupted: the process running it stopped before it finished"
#: `SyncRun.stop_reason` of a run stopped because ffdesk (the window) was closed, not by Cancel.
STOPPED_BY_CLOSING = "closed"
CLOSED_TEXT = "Stopped because ffdesk was closed; what was done is kept."


class RunState(enum.StrEnum):
    """States of a sync run; `running` is the only one that may change."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


_TRANSITIONS = {
    RunState.RUNNING: {RunState.DONE, RunState.FAILED, RunState.CANCELLED},
}


async def save_record_problems(job: SyncJob) -> None:
    from ffdesk.sync.record_problems import save

    await save(job)


async def load_open_problems(job: SyncJob) -> None:
    from ffdesk.sync.record_problems import open_keys

    job.open_problems = await open_keys(job)


class AlreadySyncing(UserError):
    """Another run of this integration is going on; says since when."""


@dataclass(frozen=True)
class RecordRef:
    """One local record, as `ffdesk sync --record MODEL:LOCAL_ID` names it."""

    model: str
    local_id: str

    @classmethod
    def parse(cls, text: str) -> RecordRef:
        model, sep, local_id = text.partition(":")
        if not sep or not model.strip() or not local_id.strip():
            raise UserError(
                f"--record takes MODEL:LOCAL_ID (for example Contact:12), not {text!r}."
            )
        return cls(model.strip(), local_id.strip())

    def __str__(self) -> str:
        return f"{self.model}:{self.local_id}"


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
    #: A preview (dry run): what the sync would do; nothing was written anywhere.
    preview: tuple[str, ...] = ()
    dry_run: bool = False
    #: Why a cancelled run stopped when nobody pressed Cancel (`STOPPED_BY_CLOSING`).
    stop_reason: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.state == RunState.DONE and self.failed == 0

    @property
    def shown_state(self) -> str:
        """The state people read: "partial" when it finished with failed records."""
        from ffdesk.sync.run_states import shown_run_state

        return shown_run_state(self.state.value, self.failed)


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
        dry_run: bool = False,
        only: RecordRef | None = None,
    ) -> None:
        self.integration = integration
        self.trigger = trigger
        # A preview sends no write to the provider and writes nothing locally; what it
        # would do is listed in `preview` (see `would`).
        self.dry_run = dry_run
        self.preview: list[str] = []
        # Resync of one record: the sync touches only that one (see `wants`).
        self.only = only
        self.only_handled = False
        self.started: datetime | None = None
        self.failure_kind: str | None = None
        self.on_progress = on_progress
        #: Hears `(provider, seconds)` when a rate limit pauses the run (window, command line).
        self.on_wait = on_wait
        self.pacing = Pacing(on_wait=self._waiting)
        self.run: Model | None = None
        self.created = self.updated = self.skipped = self.failed = 0
        #: The same counts split by direction: {"push": {"created": 3, ...}, "pull": {...}}.
        self.by_direction: dict[str, dict[str, int]] = {d: {} for d in DIRECTIONS}
        #: Failed records with their reasons, at most MAX_FAILURES.
        self.failures: list[dict[str, str]] = []
        self._saved_done = -1
        self._saved_lines = 0
        self.done = 0
        self.total: int | None = None
        self.lines: list[str] = []
        self._unreachable = False  # set when the run fails because the provider was unreachable
        self._cancel = asyncio.Event()
        self._state = RunState.RUNNING
        self._interrupted: str | None = None
        self._stop_reason: str | None = None
        # Per-record outcomes, kept with the record's mapping (ffdesk.sync.record_problems).
        self.record_problems: dict[tuple[str, str], str] = {}
        self.records_fixed: set[tuple[str, str]] = set()
        # The records with an open problem when the run began: only those can be fixed, so a
        # run of 100,000 good records keeps no key for each (None: not known, keep them all).
        self.open_problems: set[tuple[str, str]] | None = None

    # -- what a module's sync calls ---------------------------------------------------
    def count(self, kind: str, n: int = 1) -> None:
        """Count `created`, `updated`, `skipped` or `failed` records and advance progress."""
        setattr(self, kind, getattr(self, kind) + n)
        counts = self.by_direction[DIRECTION.get()]
        counts[kind] = counts.get(kind, 0) + n
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
        # The run id lets the log file's lines be matched with the run's detail.
        run_id = self.run.id if self.run is not None else "preview"
        log.info("%s (run %s): %s", self.integration.name, run_id, line)
        if len(self.lines) < MAX_LOG_LINES:
            self.lines.append(f"{datetime.now():%H:%M:%S} {line}")

    def would(self, line: str) -> None:
        """In a preview: note one thing the sync would do (or ask for)."""
        line = redact(line)
        if len(self.preview) < MAX_PREVIEW_LINES:
            self.preview.append(line)
        elif len(self.preview) == MAX_PREVIEW_LINES:
            self.preview.append("... and more")

    def pushing(self) -> contextlib.AbstractContextManager[None]:
        """`with run.pushing():` counts the block's records as sent to the provider."""
        return direction("push")

    def wants(self, model: str) -> bool:
        """Whether this run syncs records of `model` (a one-record resync syncs one model)."""
        return self.only is None or self.only.model == model

    def is_target(self, model: str, local_id: object) -> bool:
        """In a one-record resync: whether this is the record asked for (and mark it found)."""
        hit = (
            self.only is not None
            and self.only.model == model
            and self.only.local_id == str(local_id)
        )
        if hit:
            self.only_handled = True
        return hit

    def record_failure(
        self, what: str, error: Exception | str, *, record: tuple[str, object] | None = None
    ) -> None:
        """One record could not be synced; the run goes on with the next.

        `record` = (model, local id) keeps the error as that record's last sync error (shown
        beside its mapping) until a later run syncs it."""
        self.count("failed")
        self.log(f"{what}: {error}")
        reason = redact(str(error))
        if len(self.failures) < MAX_FAILURES:
            self.failures.append(
                {"record": redact(what), "reason": reason, "direction": DIRECTION.get()}
            )
        if record is not None:
            key = (record[0], str(record[1]))
            self.record_problems[key] = reason
            self.records_fixed.discard(key)

    def record_synced(self, model: str, local_id: object) -> None:
        """A record was synced: its last sync error (if any) is cleared when the run ends."""
        key = (model, str(local_id))
        if self.open_problems is not None and key not in self.open_problems:
            return
        if key not in self.record_problems:
            self.records_fixed.add(key)

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

    def stop_for_closing(self) -> None:
        """Stop at the next record boundary because ffdesk is being closed: recorded cancelled
        with `STOPPED_BY_CLOSING`, so history and the next start tell it from a user's Cancel."""
        self._stop_reason = STOPPED_BY_CLOSING
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
        # The heartbeat every HEARTBEAT_INTERVAL; the counts sooner, whenever they moved.
        beaten = asyncio.get_running_loop().time()
        while True:
            await asyncio.sleep(PROGRESS_INTERVAL)
            now = asyncio.get_running_loop().time()
            moved = self.done != self._saved_done or len(self.lines) != self._saved_lines
            if moved or now - beaten >= HEARTBEAT_INTERVAL:
                await self._save_progress()
                beaten = now

    async def _save_progress(self) -> None:
        run = self.run
        assert run is not None
        run.heartbeat = datetime.now()
        run.created, run.updated = self.created, self.updated
        run.skipped, run.failed = self.skipped, self.failed
        run.done, run.total = self.done, self.total
        run.directions = {d: dict(c) for d, c in self.by_direction.items() if c}
        run.failures = list(self.failures)
        run.log = list(self.lines)
        self._saved_done, self._saved_lines = self.done, len(self.lines)
        await run.save()

    async def execute(self) -> RunOutcome:
        """Take the lock, run the module's sync, record how it ended."""
        integration = self.integration
        env = current_env()
        # The run acts for the integration's company, whoever started it.
        token = env_ctx.set(env.with_company(integration.company_id))
        try:
            await integration.fetch_related("module")
            if self.dry_run:
                return await self._execute_preview()
            await self._acquire()
            self.started = self.run.started if self.run is not None else datetime.now()
            await load_open_problems(self)
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
                    error = unexpected_error_text(
                        integration.name, exc, "the log file", where=" in ffdesk or its module"
                    )
                self.log(error)
            except SyncCancelled:
                state = RunState.CANCELLED
                self.log("cancelled; what was done is kept")
            except asyncio.CancelledError:
                state, stopped = RunState.CANCELLED, True
                self.log("stopped")
            except (UserError, ProviderError) as exc:
                state, error = RunState.FAILED, redact(str(exc))
                self.failure_kind = failure_kind(exc)
                self._unreachable = isinstance(exc, ProviderUnavailable)
                self.log(error)
            except Exception as exc:  # a bug in a module must not take the app down
                state = RunState.FAILED
                error = unexpected_error_text(
                    integration.name, exc, "the log file", where=" in ffdesk or its module"
                )
                log.error(
                    "sync of %s crashed:\n%s", integration.name, redact(traceback.format_exc())
                )
            else:
                error = self._unhandled_resync()
                state = RunState.FAILED if error else state
            finally:
                PACING.reset(pacing)
                beat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await beat
            if self._interrupted is not None and state == RunState.CANCELLED:
                state, error = RunState.FAILED, self._interrupted
                self.log(f"{error}; what was done is kept")
            if self._stop_reason is not None and state == RunState.CANCELLED:
                error = CLOSED_TEXT
                self.log(error)
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
        run.failure_kind = self.failure_kind
        stop_reason = self._stop_reason if state == RunState.CANCELLED else None
        run.stop_reason = stop_reason
        await run.save()
        if not self.dry_run:
            await save_record_problems(self)
        if state == RunState.DONE and self.failed == 0 and self.only is None:
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
            stop_reason=stop_reason,
        )

    def _unhandled_resync(self) -> str | None:
        if self.only is None or self.only_handled:
            return None
        only = self.only
        return (
            f"{self.integration.name} cannot resync {only.model} #{only.local_id}: it syncs "
            "no such record."
        )

    async def _execute_preview(self) -> RunOutcome:
        """Run the module's sync as a preview: no run record, no lock, nothing written."""
        self.started = datetime.now()
        state, error = RunState.DONE, None
        engine = current_env().db.engine
        try:
            with previewing(engine, str(self.integration.name)):
                await self.integration.sync_integration(self)
        except SyncCancelled:
            state = RunState.CANCELLED
        except (UserError, ProviderError) as exc:
            state, error = RunState.FAILED, redact(str(exc))
        else:
            error = self._unhandled_resync()
            state = RunState.FAILED if error else state
        return RunOutcome(
            run_id=0,
            integration=self.integration.name,
            state=state,
            created=self.created,
            updated=self.updated,
            skipped=self.skipped,
            failed=self.failed,
            error=error,
            started=self.started,
            finished=datetime.now(),
            preview=tuple(self.preview),
            dry_run=True,
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
    dry_run: bool = False,
    only: RecordRef | None = None,
) -> RunOutcome:
    """Run one sync of `integration` (refused with AlreadySyncing if one is going on).

    `dry_run`: a preview that writes nothing (see `SyncJob`); `only`: resync one record.
    """
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
    job = job or SyncJob(
        integration,
        trigger=trigger,
        on_progress=on_progress,
        on_wait=on_wait,
        dry_run=dry_run,
        only=only,
    )
    return await job.execute()


async def last_successful_run(integration: Model) -> Model | None:
    """The latest run that finished `done` without failures (for incremental pulls)."""
    SyncRun = current_env().registry["SyncRun"]
    return await (
        SyncRun.filter(integration=integration.id, state=RunState.DONE.value, failed=0)
        .order_by("-started")
        .first()
    )


@contextlib.contextmanager
def direction(name: str) -> Iterator[None]:
    """Count the records of this block as going `name` ("push" or "pull")."""
    token = DIRECTION.set(name)
    try:
        yield
    finally:
        DIRECTION.reset(token)


def describe(outcome: RunOutcome) -> dict[str, Any]:
    return {
        "run_id": outcome.run_id,
        "integration": outcome.integration,
        "state": outcome.shown_state,
        "created": outcome.created,
        "updated": outcome.updated,
        "skipped": outcome.skipped,
        "failed": outcome.failed,
        "error": outcome.error,
        "rate_limited": outcome.rate_limited,
        "waited_seconds": outcome.waited,
        "started": outcome.started.isoformat(sep=" ", timespec="seconds"),
        "finished": outcome.finished.isoformat(sep=" ", timespec="seconds"),
        **({"dry_run": True, "preview": list(outcome.preview)} if outcome.dry_run else {}),
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
        pause = await schedule_pause(integration) if trigger == "schedule" else None
        if pause is not None:
            log.info("%s: %s", integration.name, pause.message)
            continue
        try:
            outcomes.append(await run_sync(integration, trigger=trigger))
        except UserError as exc:
            log.info("scheduled sync of %s skipped: %s", integration.name, exc)
    return outcomes
