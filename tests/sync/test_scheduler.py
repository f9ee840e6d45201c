"""The CronJob scheduler: due logic with an injected clock, and the Stripe cron job end to end."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ffdesk.sync.scheduler import Scheduler, interval, is_due
from tests.fakes.stripe import FakeStripe
from tests.helpers.stripe_env import KEY, db_url, open_stripe, stripe_vars

T0 = datetime(2026, 3, 2, 9, 0, 0)


def job(frequency: int | None = 1, unit: str | None = "Hours", **values: Any) -> SimpleNamespace:
    base = {"active": True, "last_run": None, "frequency": frequency, "frequency_unit": unit}
    base.update(values)
    return SimpleNamespace(**base)


# -- due logic ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "unit", "expected"),
    [
        (1, "Minutes", T0 + timedelta(minutes=1)),
        (15, "Minutes", T0 + timedelta(minutes=15)),
        (1, "Hours", T0 + timedelta(hours=1)),
        (6, "Hours", T0 + timedelta(hours=6)),
        (2, "Days", T0 + timedelta(days=2)),
        # Months and years follow the calendar: 2 March to 2 April is 31 days, not 30.
        (1, "Months", datetime(2026, 4, 2, 9, 0, 0)),
        (1, "Years", datetime(2027, 3, 2, 9, 0, 0)),
        (None, None, T0 + timedelta(hours=1)),  # defaults: every hour
        (0, "Minutes", T0 + timedelta(minutes=1)),  # never more often than once a minute
    ],
)
def test_interval_is_frequency_times_unit(
    frequency: int | None, unit: str | None, expected: datetime
) -> None:
    assert T0 + interval(job(frequency, unit)) == expected


def test_a_job_never_run_is_due_at_once() -> None:
    assert is_due(job(), T0)
    assert is_due(job(1, "Years"), T0)


@pytest.mark.parametrize(
    ("frequency", "unit", "step"),
    [
        (5, "Minutes", timedelta(minutes=5)),
        (2, "Hours", timedelta(hours=2)),
        (1, "Days", timedelta(days=1)),
    ],
)
def test_due_after_frequency_times_unit(frequency: int, unit: str, step: timedelta) -> None:
    ran = job(frequency, unit, last_run=T0)
    assert not is_due(ran, T0)
    assert not is_due(ran, T0 + step - timedelta(seconds=1))
    assert is_due(ran, T0 + step)
    assert is_due(ran, T0 + step * 3)


def test_inactive_job_is_never_due() -> None:
    assert not is_due(job(active=False), T0)
    assert not is_due(job(active=False, last_run=T0 - timedelta(days=9)), T0)


# -- the scheduler over a database -------------------------------------------------------------


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


STRIPE = "payment_stripe (My Company)"  # what a schedule run is called: module (company)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    with FakeStripe(secret_key=KEY, seed=3) as server:
        for name, value in stripe_vars(server.url).items():
            monkeypatch.setenv(name, value)
        yield server


@pytest.fixture
def url(tmp_path: Path) -> str:
    return db_url(tmp_path)


def test_stripe_cron_job_runs_when_due_and_syncs_enabled_integrations_only(
    fake: FakeStripe, url: str
) -> None:
    async def main() -> None:
        async with open_stripe(url, contacts=4) as (system, record):
            CronJob = system.get_model("CronJob")
            SyncRun = system.get_model("SyncRun")
            cron = await CronJob.filter(identifier="payment_stripe_sync").get()
            assert (cron.model, cron.method, cron.frequency, cron.frequency_unit) == (
                "Integration",
                "sync_payment_stripe",
                1,
                "Hours",
            )
            assert cron.last_run is None
            other = await system.add_company("Branch Office")
            disabled = await system.integration("payment_stripe", company_id=other.id)
            assert not disabled.enabled

            clock = Clock(T0)
            scheduler = Scheduler(system.env, clock=clock)
            assert await scheduler.run_due() == [STRIPE]  # never run: due now
            assert scheduler.ran == [STRIPE]
            rows = await SyncRun.all().all()
            assert [(r.integration_id, r.trigger, r.state) for r in rows] == [
                (record.id, "schedule", "done")
            ]
            assert rows[0].created == 4 and len(fake.customers) == 4
            # Each integration of each company has its own schedule; the CronJob is its template.
            Schedule = system.get_model("IntegrationSchedule")
            schedule = await Schedule.filter(integration=record.id).get()
            assert (schedule.last_run, schedule.next_due) == (T0, T0 + timedelta(hours=1))
            assert (schedule.frequency, schedule.frequency_unit) == (1, "Hours")
            assert (await CronJob.get(cron.id)).last_run is None

            clock.now = T0 + timedelta(minutes=59)
            assert await scheduler.run_due() == []
            clock.now = T0 + timedelta(hours=1)
            assert await scheduler.run_due() == [STRIPE]
            second = (await SyncRun.all().order_by("id").all())[-1]
            assert (second.trigger, second.state, second.skipped) == ("schedule", "done", 4)

            # Enabling the second company's integration: its own schedule (due since T0) runs too.
            disabled.secret_key = KEY  # company-scoped: written for that company
            await disabled.save()
            await disabled.enable_integration()
            clock.now = T0 + timedelta(hours=2)
            assert sorted(await scheduler.run_due()) == ["payment_stripe (Branch Office)", STRIPE]
            latest = await SyncRun.filter(started__gte=second.finished).all()
            assert sorted(r.integration_id for r in latest) == sorted([record.id, disabled.id])
            assert all(r.trigger == "schedule" for r in latest)

    asyncio.run(main())


def test_a_failing_scheduled_run_is_recorded_and_the_job_still_advances(
    fake: FakeStripe, url: str
) -> None:
    async def main() -> None:
        async with open_stripe(url, contacts=2) as (system, _record):
            fake.secret_key = "sk_test_rotatedByTheOwner0000000000"
            clock = Clock(T0)
            scheduler = Scheduler(system.env, clock=clock)
            assert await scheduler.run_due() == [STRIPE]
            [row] = await system.get_model("SyncRun").all().all()
            assert (row.state, row.trigger) == ("failed", "schedule")
            assert row.error.startswith("Stripe rejected the credentials")
            schedule = await system.get_model("IntegrationSchedule").filter(active=True).first()
            assert (schedule.last_run, schedule.failures) == (T0, 1)
            assert await scheduler.run_due() == []  # not retried before its interval

    asyncio.run(main())


def test_broken_or_inactive_jobs_do_not_stop_the_others(
    fake: FakeStripe, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        async with open_stripe(url, contacts=1) as (system, _record):
            CronJob = system.get_model("CronJob")
            await CronJob.create(
                identifier="a_missing_method",
                name="Missing",
                model="Integration",
                method="no_such_method",
                frequency=1,
                frequency_unit="Minutes",
                active=True,
            )
            await CronJob.create(
                identifier="b_inactive",
                name="Inactive",
                model="Integration",
                method="sync_payment_stripe",
                frequency=1,
                frequency_unit="Minutes",
                active=False,
            )
            scheduler = Scheduler(system.env, clock=Clock(T0))
            with caplog.at_level(logging.WARNING, logger="ffdesk.sync.scheduler"):
                ran = await scheduler.run_due()
            assert sorted(ran) == ["a_missing_method", STRIPE]
            assert "no_such_method does not exist" in caplog.text
            assert len(fake.customers) == 1

    asyncio.run(main())


def test_started_scheduler_ticks_on_the_loop_until_stopped(fake: FakeStripe, url: str) -> None:
    async def main() -> None:
        async with open_stripe(url, contacts=2) as (system, _record):
            scheduler = Scheduler(system.env, tick=0.01, clock=Clock(T0))
            scheduler.start()
            assert scheduler.running
            for _ in range(500):
                if scheduler.ran and not scheduler.runs_in_progress:  # started, then finished
                    break
                await asyncio.sleep(0.01)
            await scheduler.stop()
            assert not scheduler.running
            # The clock never moved: the job ran exactly once however many ticks passed.
            assert scheduler.ran == [STRIPE]
            runs = await system.get_model("SyncRun").all().all()
            assert [(r.trigger, r.state) for r in runs] == [("schedule", "done")]

    asyncio.run(main())
