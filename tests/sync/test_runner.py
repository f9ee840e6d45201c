"""The sync runner: SyncRun records, the cross-process lock, stale owners, progress, cancel.

The integration under test is `sync_probe`, a module written into a temporary folder whose
sync is whatever coroutine the test puts in its HOOKS, so each rule of the runner is checked
without HTTP. Coroutines run with asyncio.run from plain test functions.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import ffdesk
from ffdesk.engine.env import env_ctx
from ffdesk.engine.errors import UserError
from ffdesk.redaction import register_secret
from ffdesk.sync import runner
from ffdesk.sync.errors import ProviderUnavailable
from ffdesk.sync.runner import (
    HOST,
    AlreadySyncing,
    RunState,
    SyncJob,
    describe,
    last_successful_run,
    owner_gone,
    reap_interrupted,
    run_sync,
    sync_enabled,
)
from tests.helpers.database import database_url

PROBE = "sync_probe"
MANIFEST = f"""\
name: Sync Probe
identifier: {PROBE}
version: '1.0'
category: module_category_integrations
integration_category: Shipping
description: 'Test integration whose sync is driven by the test.'
dependencies:
- integrations
image: /static/img/probe.svg
static_paths:
- img
"""
MODELS = f"""\
from ffdesk.engine.base import *
from ffdesk.sync import SyncCapability

HOOKS = {{}}


class SyncProbe(Model):
    __inherit__ = "Integration"

    async def _is_probe(self):
        await self.fetch_related("module")
        return bool(self.module and self.module.identifier == "{PROBE}")

    async def sync_capability(self):
        if await self._is_probe():
            if HOOKS.get("capability"):
                HOOKS["capability"](env_ctx.get().cid)
            if HOOKS.get("unavailable"):
                return SyncCapability(False, HOOKS["unavailable"])
            return SyncCapability(True)
        return await super().sync_capability()

    async def sync_integration(self, run):
        if not await self._is_probe():
            return await super().sync_integration(run)
        hook = HOOKS.get("sync")
        if hook is not None:
            await hook(self, run)
"""
SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>'
INTERRUPTED = re.compile(r"^interrupted\b")

Hook = Callable[[Any, SyncJob], Awaitable[None]]


@pytest.fixture(scope="session")
def probe_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("probe_modules")
    module = root / PROBE
    (module / "models").mkdir(parents=True)
    (module / "static" / "img").mkdir(parents=True)
    (module / "manifest.yaml").write_text(MANIFEST)
    (module / "__init__.py").write_text("from . import models  # noqa: F401\n")
    (module / "models" / "__init__.py").write_text(MODELS)
    (module / "static" / "img" / "probe.svg").write_text(SVG)
    return root


@pytest.fixture
def db(tmp_path: Path) -> str:
    return database_url(tmp_path / "runner.db")


class Probe:
    """An open system with sync_probe installed and enabled; `hooks` drive its sync."""

    def __init__(self, system: Any, record: Any) -> None:
        self.system = system
        self.record = record
        self.hooks: dict[str, Any] = sys.modules[f"ffdesk.addons.{PROBE}.models"].HOOKS
        self.hooks.clear()

    def on_sync(self, hook: Hook) -> None:
        self.hooks["sync"] = hook

    async def runs(self) -> list[Any]:
        SyncRun = self.system.get_model("SyncRun")
        return await SyncRun.filter(integration=self.record.id).order_by("id").all()

    async def add_run(self, **values: Any) -> Any:
        """A SyncRun row as another process would have left it."""
        now = datetime.now()
        defaults = {
            "integration": self.record.id,
            "company": self.record.company_id,
            "module_identifier": PROBE,
            "trigger": "manual",
            "state": "running",
            "started": now,
            "heartbeat": now,
            "owner_pid": os.getpid(),
            "owner_host": HOST,
        }
        defaults.update(values)
        return await self.system.get_model("SyncRun").create(**defaults)


def with_probe(db: str, probe_path: Path, body: Callable[[Probe], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with ffdesk.open_env(db, modules_path=[probe_path]) as system:
            if not system.is_installed(PROBE):
                await system.install_module(PROBE)
            record = await system.integration(PROBE)
            await record.enable_integration()
            return await body(Probe(system, record))

    return asyncio.run(main())


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def live_process() -> Iterator[subprocess.Popen[bytes]]:
    """Another live process (a python waiting on its standard input)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


# -- owner_gone (pure) -------------------------------------------------------------------------


def fake_run(**values: Any) -> SimpleNamespace:
    now = datetime.now()
    base = {"heartbeat": now, "started": now, "owner_host": HOST, "owner_pid": os.getpid()}
    base.update(values)
    return SimpleNamespace(**base)


def test_owner_gone_rules() -> None:
    now = datetime.now()
    assert not owner_gone(fake_run(), now)
    assert owner_gone(fake_run(owner_pid=dead_pid()), now)
    assert owner_gone(fake_run(owner_pid=None), now)
    # Heartbeat older than a minute: gone even though the pid (ours) is alive.
    assert owner_gone(fake_run(heartbeat=now - timedelta(seconds=61)), now)
    assert not owner_gone(fake_run(heartbeat=now - timedelta(seconds=59)), now)
    # Another host: its pids mean nothing here, only the heartbeat counts.
    assert not owner_gone(fake_run(owner_host="elsewhere", owner_pid=dead_pid()), now)
    assert owner_gone(fake_run(owner_host="elsewhere", heartbeat=now - timedelta(minutes=2)), now)
    # No heartbeat yet: the start time stands in for it; neither: gone.
    assert not owner_gone(fake_run(heartbeat=None), now)
    assert owner_gone(fake_run(heartbeat=None, started=None), now)


# -- a normal run ------------------------------------------------------------------------------


def test_run_records_counts_progress_and_log(db: str, probe_path: Path) -> None:
    progress: list[tuple[int, int | None]] = []

    async def body(p: Probe) -> None:
        async def sync(integration: Any, run: SyncJob) -> None:
            # The run acts for the integration's company.
            assert env_ctx.get().cid == integration.company_id
            run.set_total(5)
            for _ in range(3):
                run.checkpoint()
                run.count("created")
            run.count("updated")
            run.count("skipped")
            run.log("pushed five records")

        p.on_sync(sync)
        outcome = await run_sync(p.record, on_progress=lambda d, t: progress.append((d, t)))
        assert outcome.state is RunState.DONE and outcome.succeeded
        assert (outcome.created, outcome.updated, outcome.skipped, outcome.failed) == (3, 1, 1, 0)
        assert outcome.error is None
        [row] = await p.runs()
        assert row.state == "done" and row.trigger == "manual"
        assert (row.created, row.updated, row.skipped, row.failed) == (3, 1, 1, 0)
        assert (row.done, row.total) == (5, 5)
        assert row.started <= row.finished
        assert row.company_id == p.record.company_id
        assert row.module_identifier == PROBE
        assert row.owner_pid == os.getpid() and row.owner_host == HOST
        assert any(line.endswith("pushed five records") for line in row.log)
        record = await p.system.get_model("Integration").get(p.record.id)
        assert record.last_synced_date == outcome.finished
        assert (await last_successful_run(p.record)).id == row.id
        info = describe(outcome)
        assert info["state"] == "done" and info["created"] == 3 and info["run_id"] == row.id

    with_probe(db, probe_path, body)
    assert progress[0] == (0, 5)
    assert progress[-1] == (5, 5)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)


def test_refused_when_disabled_or_unavailable(db: str, probe_path: Path) -> None:
    async def body(p: Probe) -> None:
        await p.record.disable_integration()
        with pytest.raises(UserError, match=r"^Enable Sync Probe before syncing it\.$"):
            await run_sync(p.record)
        await p.record.enable_integration()
        p.hooks["unavailable"] = "Sync Probe reports through webhooks."
        with pytest.raises(UserError, match="through webhooks"):
            await run_sync(p.record)
        assert await p.runs() == []

    with_probe(db, probe_path, body)


def test_failed_records_make_the_run_unsuccessful(db: str, probe_path: Path) -> None:
    async def body(p: Probe) -> None:
        async def good(integration: Any, run: SyncJob) -> None:
            run.count("created")

        async def one_bad(integration: Any, run: SyncJob) -> None:
            run.count("created")
            run.record_failure("record 7", ValueError("no email"))

        p.on_sync(good)
        first = await run_sync(p.record)
        p.on_sync(one_bad)
        second = await run_sync(p.record)
        assert second.state is RunState.DONE and second.failed == 1 and not second.succeeded
        assert second.error is None
        row = (await p.runs())[-1]
        assert any("record 7: no email" in line for line in row.log)
        record = await p.system.get_model("Integration").get(p.record.id)
        # last_synced_date is only set by a run without failures.
        assert record.last_synced_date == first.finished
        assert (await last_successful_run(p.record)).id == first.run_id

    with_probe(db, probe_path, body)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (UserError("Fill in the account."), "^Fill in the account.$"),
        (
            ProviderUnavailable("Probe could not be reached.", provider="Probe"),
            "^Probe could not be reached.$",
        ),
        (
            RuntimeError("bug in module"),
            r"^\w[\w ]* stopped on an unexpected error in ffdesk or its module: bug in module\. "
            r"The details are in the log file\.$",
        ),
    ],
)
def test_errors_fail_the_run_with_a_message(
    db: str, probe_path: Path, error: Exception, expected: str
) -> None:
    async def body(p: Probe) -> None:
        async def sync(integration: Any, run: SyncJob) -> None:
            run.count("created")
            raise error

        p.on_sync(sync)
        outcome = await run_sync(p.record)
        assert outcome.state is RunState.FAILED
        assert re.match(expected, outcome.error)
        assert outcome.created == 1  # what was done before the error is counted
        [row] = await p.runs()
        assert row.state == "failed" and row.error == outcome.error and row.created == 1
        assert await last_successful_run(p.record) is None

    with_probe(db, probe_path, body)


def test_secrets_are_masked_in_run_errors_and_lines(db: str, probe_path: Path) -> None:
    secret = "sk_test_runnerSecret0123456789"
    register_secret(secret)

    async def body(p: Probe) -> None:
        async def sync(integration: Any, run: SyncJob) -> None:
            run.log(f"using {secret}")
            raise RuntimeError(f"bad key {secret}")

        p.on_sync(sync)
        outcome = await run_sync(p.record)
        [row] = await p.runs()
        assert secret not in outcome.error and "***" in outcome.error
        assert secret not in repr(row.log) and secret not in row.error

    with_probe(db, probe_path, body)


def test_runs_act_for_the_integrations_company(db: str, probe_path: Path) -> None:
    async def body(p: Probe) -> None:
        other = await p.system.add_company("Other Ltd")
        record = await p.system.integration(PROBE, company_id=other.id)
        await record.enable_integration()
        seen: list[int] = []

        async def sync(integration: Any, run: SyncJob) -> None:
            seen.append(env_ctx.get().cid)

        p.on_sync(sync)
        active = env_ctx.get().cid
        await run_sync(record)
        assert seen == [other.id]
        assert env_ctx.get().cid == active  # restored afterwards
        SyncRun = p.system.get_model("SyncRun")
        [row] = await SyncRun.filter(integration=record.id).all()
        assert row.company_id == other.id

    with_probe(db, probe_path, body)


# -- one run at a time -------------------------------------------------------------------------


def test_second_request_in_process_is_refused(db: str, probe_path: Path) -> None:
    async def body(p: Probe) -> None:
        started, release = asyncio.Event(), asyncio.Event()

        async def sync(integration: Any, run: SyncJob) -> None:
            started.set()
            await release.wait()
            run.count("created")

        p.on_sync(sync)
        first = asyncio.ensure_future(run_sync(p.record))
        await asyncio.wait_for(started.wait(), 5)
        [row] = await p.runs()
        with pytest.raises(AlreadySyncing) as refused:
            await run_sync(p.record, trigger="schedule")
        assert str(refused.value) == (
            f"Sync Probe is already syncing since {row.started:%H:%M} on {HOST}."
        )
        assert isinstance(refused.value, UserError)  # shown as a plain message
        assert len(await p.runs()) == 1  # the refused request left no record
        release.set()
        outcome = await asyncio.wait_for(first, 5)
        assert outcome.state is RunState.DONE and outcome.created == 1
        again = await run_sync(p.record)
        assert again.state is RunState.DONE

    with_probe(db, probe_path, body)


def test_run_owned_by_a_live_other_process_is_respected(
    db: str, probe_path: Path, live_process: subprocess.Popen[bytes]
) -> None:
    async def body(p: Probe) -> None:
        p.on_sync(lambda integration, run: asyncio.sleep(0))
        started = datetime.now().replace(hour=10, minute=42)
        other = await p.add_run(owner_pid=live_process.pid, started=started)
        with pytest.raises(
            AlreadySyncing, match=rf"already syncing since 10:42 on {re.escape(HOST)}\.$"
        ):
            await run_sync(p.record)
        # The other process goes away (killed, crashed): its run no longer blocks.
        live_process.kill()
        live_process.wait()
        outcome = await run_sync(p.record)
        assert outcome.state is RunState.DONE
        old = await p.system.get_model("SyncRun").get(other.id)
        assert old.state == "failed" and INTERRUPTED.match(old.error)
        assert old.finished is not None

    with_probe(db, probe_path, body)


@pytest.mark.parametrize(
    "owner",
    [
        pytest.param({"owner_pid": "dead"}, id="pid-gone"),
        pytest.param({"heartbeat": timedelta(minutes=-2)}, id="heartbeat-stale-same-host"),
        pytest.param(
            {"owner_host": "elsewhere", "heartbeat": timedelta(minutes=-5)},
            id="heartbeat-stale-other-host",
        ),
        pytest.param({"heartbeat": None, "started": None}, id="never-beat"),
    ],
)
def test_stale_running_run_is_marked_interrupted_and_the_new_run_goes_ahead(
    db: str, probe_path: Path, owner: dict[str, Any]
) -> None:
    values = dict(owner)
    if values.get("owner_pid") == "dead":
        values["owner_pid"] = dead_pid()
    if isinstance(values.get("heartbeat"), timedelta):
        values["heartbeat"] = datetime.now() + values["heartbeat"]
        values["started"] = values["heartbeat"] - timedelta(minutes=1)

    async def body(p: Probe) -> None:
        async def sync(integration: Any, run: SyncJob) -> None:
            run.count("created")

        p.on_sync(sync)
        stale = await p.add_run(**values)
        outcome = await run_sync(p.record)
        assert outcome.state is RunState.DONE and outcome.created == 1
        old, new = await p.runs()
        assert old.id == stale.id
        assert old.state == "failed" and INTERRUPTED.match(old.error)
        assert new.state == "done"

    with_probe(db, probe_path, body)


def test_other_host_with_a_fresh_heartbeat_blocks(db: str, probe_path: Path) -> None:
    async def body(p: Probe) -> None:
        # pid 1 on this host would be alive; on another host only the heartbeat counts.
        await p.add_run(owner_host="other-machine", owner_pid=dead_pid())
        with pytest.raises(AlreadySyncing, match=r"since \d\d:\d\d on other-machine\.$"):
            await run_sync(p.record)

    with_probe(db, probe_path, body)


def test_reap_interrupted_marks_only_dead_owners(
    db: str, probe_path: Path, live_process: subprocess.Popen[bytes]
) -> None:
    async def body(p: Probe) -> None:
        dead = await p.add_run(owner_pid=dead_pid())
        stale = await p.add_run(heartbeat=datetime.now() - timedelta(minutes=3))
        alive = await p.add_run(owner_pid=live_process.pid)
        finished = await p.add_run(state="done", owner_pid=dead_pid())
        assert await reap_interrupted(p.record.id) == 2
        SyncRun = p.system.get_model("SyncRun")
        states = {r.id: (r.state, r.error) for r in await SyncRun.all().all()}
        assert states[dead.id][0] == states[stale.id][0] == "failed"
        assert INTERRUPTED.match(states[dead.id][1])
        assert states[alive.id] == ("running", None)
        assert states[finished.id] == ("done", None)
        assert await reap_interrupted() == 0

    with_probe(db, probe_path, body)


# -- heartbeat, cancel -------------------------------------------------------------------------


def test_heartbeat_saves_progress_while_running(
    db: str, probe_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "HEARTBEAT_INTERVAL", 0.01)

    async def body(p: Probe) -> None:
        SyncRun = p.system.get_model("SyncRun")

        async def sync(integration: Any, run: SyncJob) -> None:
            run.set_total(10)
            run.count("created", 4)
            first = run.run.heartbeat
            for _ in range(500):
                await asyncio.sleep(0.01)
                row = await SyncRun.get(run.run.id)
                if row.heartbeat > first and row.done == 4:
                    break
            else:
                raise AssertionError("no heartbeat was written")
            assert (row.state, row.created, row.total) == ("running", 4, 10)

        p.on_sync(sync)
        outcome = await run_sync(p.record)
        assert outcome.state is RunState.DONE, outcome.error

    with_probe(db, probe_path, body)


def test_cancel_stops_at_the_next_record_and_keeps_what_was_done(db: str, probe_path: Path) -> None:
    async def body(p: Probe) -> None:
        done: list[int] = []

        async def sync(integration: Any, run: SyncJob) -> None:
            for i in range(100):
                run.checkpoint()
                done.append(i)
                run.count("created")
                if i == 4:
                    run.cancel()
                await asyncio.sleep(0)

        p.on_sync(sync)
        job = SyncJob(p.record)
        outcome = await run_sync(p.record, job=job)
        assert outcome.state is RunState.CANCELLED
        assert outcome.created == 5 and done == [0, 1, 2, 3, 4]
        [row] = await p.runs()
        assert row.state == "cancelled" and row.created == 5 and row.error is None
        assert any("cancelled" in line for line in row.log)
        record = await p.system.get_model("Integration").get(p.record.id)
        assert record.last_synced_date is None
        # A finished job cannot be finished again.
        with pytest.raises(RuntimeError):
            job._transition(RunState.DONE)

    with_probe(db, probe_path, body)


def test_cancelling_the_task_records_a_cancelled_run(db: str, probe_path: Path) -> None:
    async def body(p: Probe) -> None:
        waiting = asyncio.Event()

        async def sync(integration: Any, run: SyncJob) -> None:
            run.count("created")
            waiting.set()
            await asyncio.Event().wait()

        p.on_sync(sync)
        task = asyncio.ensure_future(run_sync(p.record))
        await asyncio.wait_for(waiting.wait(), 5)
        task.cancel()
        # The run is recorded, then the cancellation goes on to whoever cancelled the task.
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
        assert task.cancelled()
        [row] = await p.runs()
        assert row.state == "cancelled" and row.created == 1
        # Nothing is left running: the next run is not refused.
        p.on_sync(lambda integration, run: asyncio.sleep(0))
        assert (await run_sync(p.record)).state is RunState.DONE

    with_probe(db, probe_path, body)


# -- the cron entry point ----------------------------------------------------------------------


def test_sync_enabled_runs_every_enabled_integration_and_skips_busy_ones(
    db: str, probe_path: Path, live_process: subprocess.Popen[bytes]
) -> None:
    async def body(p: Probe) -> None:
        companies = [await p.system.add_company(n) for n in ("B", "C", "D")]
        records = {c.name: await p.system.integration(PROBE, company_id=c.id) for c in companies}
        await records["B"].enable_integration()
        await records["C"].enable_integration()  # busy in another process
        SyncRun = p.system.get_model("SyncRun")
        await SyncRun.create(
            integration=records["C"].id,
            company=records["C"].company_id,
            state="running",
            started=datetime.now(),
            heartbeat=datetime.now(),
            owner_pid=live_process.pid,
            owner_host=HOST,
        )
        seen: list[int] = []

        async def sync(integration: Any, run: SyncJob) -> None:
            seen.append(integration.company_id)

        p.on_sync(sync)
        outcomes = await sync_enabled(PROBE)
        # The first company's and B's ran; C was busy; D is not enabled.
        assert sorted(seen) == sorted([p.record.company_id, records["B"].company_id])
        assert len(outcomes) == 2 and all(o.state is RunState.DONE for o in outcomes)
        rows = await SyncRun.filter(trigger="schedule").all()
        assert sorted(r.company_id for r in rows) == sorted(seen)

    with_probe(db, probe_path, body)


def test_capability_is_asked_as_the_integrations_company(db: str, probe_path: Path) -> None:
    """Credentials a capability check reads are those of the company the run acts for."""

    async def body(p: Probe) -> None:
        other = await p.system.add_company("Branch")
        theirs = await p.system.integration(PROBE, other.id)
        await theirs.enable_integration()
        seen: list[int] = []
        p.hooks["capability"] = seen.append
        assert p.system.env.cid != other.id  # the first company is the active one
        await run_sync(theirs)
        assert seen == [other.id]

    with_probe(db, probe_path, body)


# -- preview -----------------------------------------------------------------------------------


def test_a_preview_refuses_any_local_write_a_module_forgot_to_skip(
    db: str, probe_path: Path
) -> None:
    async def body(p: Probe) -> None:
        async def sync(integration: Any, run: SyncJob) -> None:
            run.would("push: would send one thing")
            # A careless module: it saves whether or not this is a preview.
            integration.description = "changed by a sync"
            await integration.save()

        p.on_sync(sync)
        Integration = p.system.get_model("Integration")
        before = (await Integration.get(p.record.id)).description
        preview = await run_sync(p.record, dry_run=True)
        assert preview.dry_run and preview.state is RunState.FAILED
        assert preview.error == (
            "The preview of Sync Probe stopped before saving anything: Sync Probe tried to "
            "change local records during a preview (a defect of its module; Sync now is not "
            "affected)."
        )
        assert preview.preview == ("push: would send one thing",)
        assert (await Integration.get(p.record.id)).description == before
        assert await p.runs() == []
        # The same sync for real writes, as it should.
        assert (await run_sync(p.record)).state is RunState.DONE
        assert (await Integration.get(p.record.id)).description == "changed by a sync"

    with_probe(db, probe_path, body)


def test_a_preview_refuses_a_new_record_a_module_forgot_to_skip(db: str, probe_path: Path) -> None:
    """New rows too: on SQLite they take the engine's prepared-insert path, not SQLAlchemy's."""

    async def body(p: Probe) -> None:
        Mapper = p.system.get_model("IntegrationMapper")

        async def sync(integration: Any, run: SyncJob) -> None:
            # A careless module: it links a remote object whether or not this is a preview.
            await Mapper.create(
                integration=integration.id, model="Contact", local_id="1", remote_id="cus_1"
            )

        p.on_sync(sync)
        preview = await run_sync(p.record, dry_run=True)
        assert preview.dry_run and preview.state is RunState.FAILED
        assert preview.error is not None
        assert preview.error.startswith("The preview of Sync Probe stopped before saving anything")
        assert await Mapper.all() == []
        # The same sync for real links it.
        assert (await run_sync(p.record)).state is RunState.DONE
        assert [m.remote_id for m in await Mapper.all()] == ["cus_1"]

    with_probe(db, probe_path, body)
