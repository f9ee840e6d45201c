"""push_changed, driven directly with an in-memory push_one (no HTTP): what is sent, what is
counted, per-record failures, fatal errors, Cancel, task cancellation and a full queue.

Each test opens a database with the contacts module and one Integration record; push_one is
a coroutine of the test that records what it was given. The pytest timeout turns a hang (a
producer waiting on a queue nobody empties) into a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import ffdesk
from ffdesk.engine.errors import ValidationError
from ffdesk.sync import (
    CredentialsRejected,
    ProviderRequestError,
    ProviderUnavailable,
    RateLimited,
    SyncCancelled,
    SyncJob,
    is_unchanged,
    mappings_for,
    push_changed,
)
from tests.helpers.database import database_url

pytestmark = pytest.mark.timeout(30)

PushOne = Callable[[Any, Any], Awaitable[str]]


class Env:
    """An open database with `n` contacts and one Integration; `push` runs push_changed."""

    def __init__(self, system: Any, integration: Any) -> None:
        self.system = system
        self.integration = integration
        self.Contact = system.get_model("Contact")
        self.Mapper = system.get_model("IntegrationMapper")

    async def add_contacts(self, n: int) -> list[Any]:
        async with self.system.db.transaction():
            return [
                await self.Contact.create(name=f"Contact {i:03d}", company=self.system.env.cid)
                for i in range(n)
            ]

    async def map(self, contact: Any, synced_at: datetime | None) -> Any:
        return await self.Mapper.create(
            integration=self.integration.id,
            model="Contact",
            local_id=str(contact.id),
            remote_id=f"remote-{contact.id}",
            synced_at=synced_at,
        )

    def job(self) -> SyncJob:
        return SyncJob(self.integration)

    async def push(self, run: SyncJob, push_one: PushOne, **options: Any) -> None:
        contacts = self.Contact.filter(company=self.system.env.cid)
        await push_changed(run, self.integration, contacts, push_one, **options)


@contextlib.asynccontextmanager
async def open_env(tmp_path: Path, contacts: int = 0) -> AsyncIterator[Env]:
    async with ffdesk.open_env(database_url(tmp_path / "push.db")) as system:
        await system.install_module("contacts")
        integration = await system.get_model("Integration").create(
            name="Push Probe", company=system.env.cid
        )
        env = Env(system, integration)
        await env.add_contacts(contacts)
        yield env


def recorder(
    answer: Callable[[Any, Any], Awaitable[str] | str] | None = None,
) -> tuple[PushOne, list[tuple[str, Any]]]:
    """A push_one that notes (contact name, mapping) and answers created / updated."""
    calls: list[tuple[str, Any]] = []

    async def push_one(contact: Any, mapping: Any) -> str:
        calls.append((contact.name, mapping))
        if answer is not None:
            result = answer(contact, mapping)
            return await result if asyncio.iscoroutine(result) else result  # type: ignore[return-value]
        return "created" if mapping is None else "updated"

    return push_one, calls


def other_tasks() -> list[asyncio.Task[Any]]:
    current = asyncio.current_task()
    return [t for t in asyncio.all_tasks() if t is not current and not t.done()]


def counts(run: SyncJob) -> tuple[int, int, int, int]:
    return (run.created, run.updated, run.skipped, run.failed)


# -- is_unchanged (pure) ------------------------------------------------------------------------


def test_is_unchanged_rules() -> None:
    now = datetime(2026, 1, 2, 12, 0)
    record = SimpleNamespace(write_date=now)
    assert not is_unchanged(record, None)  # never sent
    assert not is_unchanged(record, SimpleNamespace(synced_at=None))  # sent, but when?
    assert is_unchanged(record, SimpleNamespace(synced_at=now))
    assert is_unchanged(record, SimpleNamespace(synced_at=now + timedelta(seconds=1)))
    assert not is_unchanged(record, SimpleNamespace(synced_at=now - timedelta(seconds=1)))
    # No write date (written without the model, e.g. a bulk load): not re-sent once mapped.
    assert is_unchanged(SimpleNamespace(write_date=None), SimpleNamespace(synced_at=now))
    assert not is_unchanged(SimpleNamespace(write_date=None), None)


# -- what is sent and counted ------------------------------------------------------------------


def test_sends_only_changed_records_and_counts_them(tmp_path: Path) -> None:
    async def main() -> None:
        async with open_env(tmp_path, contacts=10) as env:
            contacts = await env.Contact.all().order_by("id").all()
            for contact in contacts[:3]:  # sent, unchanged since
                await env.map(contact, contact.write_date)
            for contact in contacts[3:5]:  # sent, changed since
                await env.map(contact, contact.write_date - timedelta(minutes=1))
            await env.map(contacts[5], None)  # sent, no idea when: sent again
            # Rows written without the model have no write date: sent once, then skipped.
            table = env.Contact._table
            with env.system.db.engine.begin() as conn:
                conn.execute(
                    table.insert(),
                    [{"name": f"Bulk {i}", "company_id": env.system.env.cid} for i in range(2)],
                )
            progress: list[tuple[int, int | None]] = []
            run = SyncJob(env.integration, on_progress=lambda d, t: progress.append((d, t)))
            push_one, calls = recorder()
            await env.push(run, push_one, batch=4, concurrency=3)
            assert counts(run) == (6, 3, 3, 0)
            assert progress[0] == (0, 12) and progress[-1] == (12, 12)
            sent = {name: mapping for name, mapping in calls}
            assert len(calls) == len(sent) == 9
            assert set(sent) == {c.name for c in contacts[3:]} | {"Bulk 0", "Bulk 1"}
            assert {name for name, m in sent.items() if m is not None} == {
                c.name for c in contacts[3:6]
            }
            assert sent["Contact 003"].remote_id == f"remote-{contacts[3].id}"

            # mappings_for: by local id, of this integration and model only.
            found = await mappings_for(env.integration, "Contact", [str(c.id) for c in contacts])
            assert set(found) == {str(c.id) for c in contacts[:6]}
            assert await mappings_for(env.integration, "PaymentTransaction", list(found)) == {}

            # A push_one that maps what it sends, as a provider's does: then the next run sends
            # nothing, the rows without a write date included.
            async def mapping_push(contact: Any, mapping: Any) -> str:
                if mapping is None:
                    await env.map(contact, contact.write_date or datetime.now())
                    return "created"
                mapping.synced_at = contact.write_date or datetime.now()
                await mapping.save()
                return "updated"

            second = env.job()
            await env.push(second, mapping_push)
            assert counts(second) == (6, 3, 3, 0)
            third = env.job()
            push_one, calls = recorder()
            await env.push(third, push_one)
            assert calls == [] and counts(third) == (0, 0, 12, 0)

    asyncio.run(main())


def test_push_one_may_answer_skipped_but_nothing_else(tmp_path: Path) -> None:
    async def main() -> None:
        async with open_env(tmp_path, contacts=4) as env:
            run = env.job()
            await env.push(run, recorder(lambda c, m: "skipped")[0])
            assert counts(run) == (0, 0, 4, 0)

            run = env.job()
            with pytest.raises(TypeError, match=r"push_one answered None"):
                await env.push(run, recorder(lambda c, m: None)[0])  # type: ignore[arg-type,return-value]
            assert other_tasks() == []

    asyncio.run(main())


# -- failures ----------------------------------------------------------------------------------


def test_a_failed_record_is_recorded_and_the_push_goes_on(tmp_path: Path) -> None:
    failures = {
        "Contact 002": ProviderRequestError(
            "Stripe refused the request (HTTP 400 Bad Request): Invalid email.", provider="Stripe"
        ),
        # A 5xx that outlived its retries is this record's failure, not an outage.
        "Contact 005": ProviderUnavailable(
            "Stripe could not be reached: HTTP 500 Internal Server Error after 5 attempts.",
            provider="Stripe",
        ),
        "Contact 007": ValidationError("Name is too long."),
    }

    def answer(contact: Any, mapping: Any) -> str:
        if contact.name in failures:
            raise failures[contact.name]
        return "created"

    async def main() -> None:
        async with open_env(tmp_path, contacts=12) as env:
            run = env.job()
            push_one, calls = recorder(answer)
            await env.push(run, push_one, concurrency=2)
            assert len(calls) == 12
            assert counts(run) == (9, 0, 0, 3)
            lines = [line.split(" ", 1)[1] for line in run.lines]
            assert sorted(lines) == [
                "contact 'Contact 002': Stripe refused the request (HTTP 400 Bad Request): "
                "Invalid email.",
                "contact 'Contact 005': Stripe could not be reached: HTTP 500 Internal Server "
                "Error after 5 attempts.",
                "contact 'Contact 007': Name is too long.",
            ]

            # describe names the record in the log.
            run = env.job()
            push_one, _ = recorder(answer)
            await env.push(run, push_one, describe=lambda c: f"person #{c.id}")
            assert all(line.split(" ", 1)[1].startswith("person #") for line in run.lines)

    asyncio.run(main())


def _outage() -> ProviderUnavailable:
    """What the client's circuit breaker raises once several calls in a row failed."""
    error = ProviderUnavailable(
        "Stripe could not be reached: 5 calls in a row failed.", provider="Stripe"
    )
    error.outage = True
    return error


@pytest.mark.parametrize(
    "fatal",
    [
        CredentialsRejected("Stripe rejected the credentials.", provider="Stripe", status=401),
        _outage(),
        # Only raised once the 429s outlasted the patience: the whole client is too fast.
        RateLimited("Stripe kept limiting the request rate.", provider="Stripe"),
        KeyError("a bug in push_one"),
    ],
    ids=["rejected", "outage", "rate-limited", "bug"],
)
def test_a_fatal_error_stops_the_push_and_is_raised_after_the_workers(
    tmp_path: Path, fatal: Exception
) -> None:
    async def main() -> None:
        # 200 records in batches of 100 against a queue of 16: the producer is waiting for
        # room when the error comes, and must not wait forever.
        async with open_env(tmp_path, contacts=200) as env:
            run = env.job()
            in_flight = 0
            finished = []

            async def push_one(contact: Any, mapping: Any) -> str:
                nonlocal in_flight
                in_flight += 1
                try:
                    await asyncio.sleep(0.002)
                    if contact.name == "Contact 010":
                        raise fatal
                    finished.append(contact.name)
                    return "created"
                finally:
                    in_flight -= 1

            with pytest.raises(type(fatal)) as raised:
                await env.push(run, push_one, concurrency=4, batch=100)
            assert raised.value is fatal
            # Drained: nothing in flight, no worker left behind.
            assert in_flight == 0 and other_tasks() == []
            # What was in flight with it finished and was counted; nothing was started later.
            assert run.created == len(finished) and run.failed == 0
            assert 10 <= len(finished) <= 10 + 3
            assert not run.cancel_requested

    asyncio.run(main())


def test_every_worker_failing_does_not_hang_the_producer(tmp_path: Path) -> None:
    async def main() -> None:
        async with open_env(tmp_path, contacts=100) as env:

            async def push_one(contact: Any, mapping: Any) -> str:
                raise RuntimeError(f"bug on {contact.name}")

            with pytest.raises(RuntimeError, match="bug on Contact 00"):
                await env.push(env.job(), push_one, concurrency=2, batch=100)
            assert other_tasks() == []

    asyncio.run(main())


# -- Cancel and task cancellation --------------------------------------------------------------


def test_cancel_stops_at_a_record_boundary_and_keeps_what_was_done(tmp_path: Path) -> None:
    async def main() -> None:
        async with open_env(tmp_path, contacts=60) as env:
            run = env.job()
            started_after_cancel = 0

            async def push_one(contact: Any, mapping: Any) -> str:
                nonlocal started_after_cancel
                if run.cancel_requested:
                    started_after_cancel += 1
                await asyncio.sleep(0.001)
                if contact.name == "Contact 020":
                    run.cancel()  # the Cancel button, pressed while this one is sent
                return "created"

            with pytest.raises(SyncCancelled):
                await env.push(run, push_one, concurrency=4, batch=25)
            # The record being sent at Cancel (and the others in flight) finished and count.
            assert started_after_cancel == 0
            assert 21 <= run.created <= 21 + 3 and run.failed == 0
            assert other_tasks() == []

            # With one worker the boundary is exact.
            run = env.job()

            async def one_at_a_time(contact: Any, mapping: Any) -> str:
                if contact.name == "Contact 004":
                    run.cancel()
                return "updated"

            with pytest.raises(SyncCancelled):
                await env.push(run, one_at_a_time, concurrency=1)
            assert counts(run) == (0, 5, 0, 0)

    asyncio.run(main())


def test_cancelling_the_task_stops_the_workers_promptly(tmp_path: Path) -> None:
    async def main() -> None:
        async with open_env(tmp_path, contacts=300) as env:
            run = env.job()
            started = []
            ten = asyncio.Event()

            async def push_one(contact: Any, mapping: Any) -> str:
                started.append(contact.name)
                if len(started) == 10:
                    ten.set()
                await asyncio.sleep(0.01)
                return "created"

            task = asyncio.ensure_future(env.push(run, push_one, concurrency=4, batch=100))
            await asyncio.wait_for(ten.wait(), 10)
            task.cancel()
            at_cancel = len(started)
            with pytest.raises(asyncio.CancelledError):
                await asyncio.wait_for(task, 5)
            # The run is cancelled too; only the requests in flight finished, none started.
            assert run.cancel_requested
            assert len(started) == at_cancel and run.created == at_cancel
            assert other_tasks() == []

    asyncio.run(main())


def test_cancelling_the_task_twice_stops_requests_in_flight(tmp_path: Path) -> None:
    async def main() -> None:
        async with open_env(tmp_path, contacts=50) as env:
            run = env.job()
            in_flight = 0
            two = asyncio.Event()

            async def push_one(contact: Any, mapping: Any) -> str:
                nonlocal in_flight
                in_flight += 1
                try:
                    if in_flight == 2:
                        two.set()
                    await asyncio.Event().wait()  # an answer that never comes
                    return "created"
                finally:
                    in_flight -= 1

            task = asyncio.ensure_future(env.push(run, push_one, concurrency=2))
            await asyncio.wait_for(two.wait(), 10)
            task.cancel()
            await asyncio.sleep(0.05)
            assert not task.done()  # the first cancellation waits for what is in flight
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await asyncio.wait_for(task, 5)
            assert in_flight == 0 and run.created == 0
            assert other_tasks() == []

    asyncio.run(main())


# -- a queue smaller than a batch ---------------------------------------------------------------


def test_batches_larger_than_the_queue_do_not_deadlock(tmp_path: Path) -> None:
    async def main() -> None:
        async with open_env(tmp_path, contacts=250) as env:
            run = env.job()
            push_one, calls = recorder()
            # A queue of 4 (concurrency 1), batches of 100.
            await env.push(run, push_one, concurrency=1, batch=100)
            assert counts(run) == (250, 0, 0, 0)
            assert [name for name, _ in calls] == [f"Contact {i:03d}" for i in range(250)]
            assert other_tasks() == []

    asyncio.run(main())
