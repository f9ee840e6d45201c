"""`ffdesk scheduler run` as real processes: SIGTERM, `--once`, and a standby that takes over
when the active scheduler is killed with SIGKILL in the middle of a run.

Runs on the database FFDESK_TEST_DATABASE_URL selects (PostgreSQL in CI's second pass), else
on a SQLite file; the fake Stripe runs in this process and holds its answers.
"""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import ffdesk
from tests.fakes.stripe import FakeStripe
from tests.helpers.database import database_url
from tests.helpers.stripe_env import KEY, add_contacts, cli_env, run_cli, start_cli

CONTACTS = 60
HOLD = 0.15  # each customer create is held this long by the fake: the run takes seconds


def gate(fake: FakeStripe, seconds: float) -> None:
    """From now on every create is held `seconds`: the run cannot finish before the test acts,
    however fast the machine."""
    fake.clear_faults()
    fake.delay_next(10 * CONTACTS, seconds, path_prefix="/v1/customers", method="POST")


pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    with FakeStripe(secret_key=KEY, seed=7) as server:
        yield server


async def _prepare(url: str) -> None:
    async with ffdesk.open_env(url) as system:
        await system.install_module("payment_stripe")
        await add_contacts(system, CONTACTS)


@pytest.fixture
def ready(tmp_path: Path, fake: FakeStripe) -> dict[str, str]:
    """Stripe installed, enabled (key in the file keyring) with contacts to push."""
    url = database_url(tmp_path / "ffdesk.db")
    env = cli_env(tmp_path, fake.url)
    env["FFDESK_DATABASE_URL"] = url
    asyncio.run(_prepare(url))
    for args, stdin in (
        (["integrations", "set", "payment_stripe", "secret_key=-"], KEY + "\n"),
        (["integrations", "enable", "payment_stripe"], None),
    ):
        done = run_cli(args, env, stdin=stdin)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    return env


async def _state(url: str) -> dict[str, Any]:
    async with ffdesk.open_env(url) as system:
        record = await system.integration("payment_stripe")
        SyncRun = system.get_model("SyncRun")
        Schedule = system.get_model("IntegrationSchedule")
        Mapper = system.get_model("IntegrationMapper")
        return {
            "runs": [
                (r.state, r.error or "", r.trigger, r.owner_pid)
                for r in await SyncRun.filter(integration=record.id).order_by("id").all()
            ],
            "mappings": await Mapper.filter(integration=record.id).count(),
            "schedule": await Schedule.filter(integration=record.id).first(),
        }


def state(env: dict[str, str]) -> dict[str, Any]:
    return asyncio.run(_state(env["FFDESK_DATABASE_URL"]))


class Lines:
    """Reads a process's standard output on a thread, so the test can wait for a line."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        assert proc.stdout is not None
        stream = proc.stdout

        def pump() -> None:
            for line in stream:
                self._queue.put(line)

        threading.Thread(target=pump, daemon=True).start()

    def wait_for(self, text: str, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.seen):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                self.seen.append(self._queue.get(timeout=left))
            except queue.Empty:
                return False
        return True


def wait_until(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)  # polling another process's database: nothing to wait on instead
    return False


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.communicate(timeout=30)


def test_sigterm_stops_the_run_at_a_record_marks_it_interrupted_and_exits_within_10_s(
    ready: dict[str, str], fake: FakeStripe
) -> None:
    env = ready
    fake.delay_next(10 * CONTACTS, HOLD, path_prefix="/v1/customers", method="POST")
    proc = start_cli(["scheduler", "run"], env)
    lines = Lines(proc)
    try:
        assert lines.wait_for("scheduled sync of payment_stripe (My Company) started"), lines.seen
        assert fake.wait_for(lambda: fake.creates >= 5, timeout=60)
        gate(fake, 2.0)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
        took = time.monotonic() - sent
    finally:
        stop(proc)
    assert proc.returncode == 0
    assert took < 10, took
    assert lines.wait_for("scheduler stopped", timeout=5), lines.seen
    # journald / docker friendly: one event per line, time level logger: message.
    started = next(line for line in lines.seen if "SIGTERM received" in line)
    assert started.split()[1:3] == ["INFO", "ffdesk.scheduler:"]

    after = state(env)
    [(run_state, error, trigger, _pid)] = after["runs"]
    assert (run_state, trigger) == ("failed", "schedule")
    assert error.startswith("interrupted")
    # Stopped at a record boundary: what was sent is kept, the rest was not sent.
    assert 0 < after["mappings"] < CONTACTS
    # Not advanced: the interrupted run is due again at once. `--once` runs it and exits.
    schedule = after["schedule"]
    assert schedule.last_run is None and schedule.next_due <= datetime.now()
    fake.clear_faults()
    once = run_cli(["scheduler", "run", "--once"], env)
    assert once.returncode == 0, once.stderr
    assert "ran 1 due schedules" in once.stdout
    final = state(env)
    assert [r[0] for r in final["runs"]] == ["failed", "done"]
    assert final["mappings"] == CONTACTS and fake.creates == CONTACTS
    # Nothing more is due: a second `--once` runs nothing.
    again = run_cli(["scheduler", "run", "--once"], env)
    assert again.returncode == 0 and "ran 0 due schedules" in again.stdout
    assert len(state(env)["runs"]) == 2


def test_the_headless_scheduler_never_imports_qt(ready: dict[str, str]) -> None:
    probe = (
        "import sys; from ffdesk.cli import main; code = main(['scheduler', 'run', '--once']);"
        "print('QT' if any(m.startswith('PySide6') for m in sys.modules) else 'NO-QT'); "
        "sys.exit(code)"
    )
    done = subprocess.run(
        [sys.executable],
        input=probe,
        env=ready,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("NO-QT")


def test_standby_takes_over_after_the_active_scheduler_is_killed(
    ready: dict[str, str], fake: FakeStripe
) -> None:
    env = ready
    fake.delay_next(10 * CONTACTS, HOLD, path_prefix="/v1/customers", method="POST")
    active = start_cli(["scheduler", "run"], env)
    active_lines = Lines(active)
    standby: subprocess.Popen[str] | None = None
    try:
        assert active_lines.wait_for("took the lease"), active_lines.seen
        assert fake.wait_for(lambda: fake.creates >= 5, timeout=60)
        gate(fake, 30.0)
        standby = start_cli(["scheduler", "run"], env)
        standby_lines = Lines(standby)
        assert standby_lines.wait_for("stands by"), standby_lines.seen
        os.kill(active.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        active.communicate(timeout=30)  # reaped: a zombie would still look alive
        fake.clear_faults()

        # The standby takes the lease, finds the killed run, marks it, and runs it again.
        assert standby_lines.wait_for("took the lease", timeout=30), standby_lines.seen
        assert time.monotonic() - killed_at < 30
        assert wait_until(lambda: [r[0] for r in state(env)["runs"]] == ["failed", "done"], 60), (
            standby_lines.seen,
            state(env)["runs"],
        )
        # The standby ticks on (its beat moves) without running the schedule again.
        assert standby_lines.wait_for("scheduled sync of payment_stripe (My Company) done")
        beat = _beat(env)
        assert wait_until(lambda: _beat(env) >= beat + 2, 30)
    finally:
        stop(active)
        if standby is not None and standby.poll() is None:
            standby.send_signal(signal.SIGTERM)
            standby.wait(timeout=15)
            stop(standby)
    after = state(env)
    runs = after["runs"]
    assert [(r[0], r[2]) for r in runs] == [("failed", "schedule"), ("done", "schedule")]
    assert runs[0][1].startswith("interrupted")
    assert runs[0][3] == active.pid and runs[1][3] == standby.pid
    # Nothing lost or doubled: one customer per contact, each mapped once.
    assert after["mappings"] == CONTACTS
    with fake.lock:
        emails = [c["email"] for c in fake.customers.values()]
    assert len(emails) == len(set(emails)) == CONTACTS
    assert standby.returncode == 0


def _beat(env: dict[str, str]) -> int:
    import sqlalchemy as sa

    from ffdesk.sync.lease import read_lease

    engine = sa.create_engine(env["FFDESK_DATABASE_URL"])
    try:
        info = read_lease(engine)
    finally:
        engine.dispose()
    return info.beat if info else 0
