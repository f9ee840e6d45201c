"""Runs "Sync now" on the asyncio loop, one task per integration, and reports how it goes."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from ffdesk.engine.env import env_ctx
from ffdesk.engine.system import System
from ffdesk.sync.runner import RecordRef, RunOutcome, SyncJob, run_sync
from ffdesk.ui.errors import report_error

#: Progress is reported at most this often (a sync may count thousands of records a second).
PROGRESS_INTERVAL = 0.05


class SyncController(QObject):
    """Starts and cancels syncs; keyed by the Integration record id.

    Emits `sync_started(int id)`, `sync_progressed(int id, int done, int total)` (total -1 when
    unknown), `sync_waited(int id, str provider, float seconds)` (a rate limit paused the run),
    `sync_finished(int id, object outcome: RunOutcome)` and
    `sync_failed(int id, str message, str details)` (details empty unless it is a bug).
    """

    sync_started = Signal(int)
    sync_progressed = Signal(int, int, int)
    sync_waited = Signal(int, str, float)
    sync_finished = Signal(int, object)
    sync_failed = Signal(int, str, str)

    def __init__(self, system: System, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.system = system
        self._jobs: dict[int, SyncJob] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._progress: dict[int, tuple[int, int | None]] = {}
        # (company id, module identifier) of each run: the pane keeps state under that key.
        self._keys: dict[int, tuple[int, str]] = {}

    def is_running(self, integration_id: int | None) -> bool:
        return integration_id in self._tasks

    @property
    def busy(self) -> bool:
        """Whether any sync started from the window is running."""
        return bool(self._tasks)

    def key_of(self, integration_id: int) -> tuple[int, str] | None:
        """(company id, module identifier) of a run started here, while it runs."""
        return self._keys.get(integration_id)

    def running_names(self) -> list[str]:
        """The names of the integrations syncing now (for the question asked on closing)."""
        return [str(job.integration.name) for job in self._jobs.values()]

    def progress(self, integration_id: int) -> tuple[int, int | None]:
        return self._progress.get(integration_id, (0, None))

    async def run(
        self, identifier: str, company_id: int, only: RecordRef | None = None
    ) -> RunOutcome | None:
        """Run one sync (of just `only`, a resync) and wait for it (from an async slot)."""
        env_ctx.set(self.system.env)
        record = await self.system.integration(identifier, company_id)
        integration_id = int(record.id)  # type: ignore[arg-type]
        if integration_id in self._tasks:
            return None
        job = SyncJob(
            record,
            trigger="manual",
            on_progress=self._reporter(integration_id),
            only=only,
            on_wait=lambda provider, seconds: self.sync_waited.emit(
                integration_id, provider, seconds
            ),
        )
        self._jobs[integration_id] = job
        self._progress[integration_id] = (0, None)
        self._keys[integration_id] = (int(company_id), identifier)
        task = asyncio.current_task()
        assert task is not None
        self._tasks[integration_id] = task  # type: ignore[assignment]
        self.sync_started.emit(integration_id)
        try:
            outcome = await run_sync(record, job=job)
        except asyncio.CancelledError:
            self._forget(integration_id)
            self.sync_failed.emit(integration_id, self.tr("The sync was stopped."), "")
            self._keys.pop(integration_id, None)
            raise
        except Exception as exc:
            self._forget(integration_id)
            report = report_error(exc, f"syncing {record.name}")
            self.sync_failed.emit(integration_id, report.message, report.details or "")
            self._keys.pop(integration_id, None)
            return None
        self._forget(integration_id)
        self.sync_finished.emit(integration_id, outcome)
        self._keys.pop(integration_id, None)
        return outcome

    def _forget(self, integration_id: int) -> None:
        # Before the signals: whoever hears them sees the integration as no longer running.
        self._jobs.pop(integration_id, None)
        self._tasks.pop(integration_id, None)
        self._progress.pop(integration_id, None)

    def _reporter(self, integration_id: int) -> Callable[[int, int | None], None]:
        last = [0.0]

        def report(done: int, total: int | None) -> None:
            self._progress[integration_id] = (done, total)
            now = time.monotonic()
            if now - last[0] >= PROGRESS_INTERVAL or (total is not None and done >= total):
                last[0] = now
                self.sync_progressed.emit(integration_id, done, -1 if total is None else total)

        return report

    def cancel(self, integration_id: int) -> bool:
        """Ask a run to stop at the next record boundary; what is done is kept."""
        job = self._jobs.get(integration_id)
        if job is None:
            return False
        job.cancel()
        return True

    def stop_for_closing(self) -> None:
        """Ask every run to stop at the next record boundary because ffdesk is closing."""
        for job in list(self._jobs.values()):
            job.stop_for_closing()

    async def shutdown(self, timeout: float = 5.0) -> None:
        """Stop every run and wait for them to record how they ended (closing the window):
        each is recorded as stopped because ffdesk was closed, not as a user's Cancel."""
        self.stop_for_closing()
        tasks = list(self._tasks.values())
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(BaseException):
                await task
