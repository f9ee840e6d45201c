"""The scheduler tells its owner (the window) when a job has run, so it can show the result."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from ffdesk.sync.scheduler import Scheduler
from tests.fakes.stripe import FakeStripe
from tests.helpers.stripe_env import KEY, db_url, open_stripe, stripe_vars

STRIPE = "payment_stripe (My Company)"  # what a schedule run is called: module (company)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    with FakeStripe(secret_key=KEY, seed=5) as server:
        for name, value in stripe_vars(server.url).items():
            monkeypatch.setenv(name, value)
        yield server


def test_owner_hears_of_each_finished_job_after_its_run_is_recorded(
    fake: FakeStripe, tmp_path: Path
) -> None:
    heard: list[tuple[str, str | None]] = []

    async def main() -> None:
        async with open_stripe(db_url(tmp_path), contacts=2) as (system, record):
            SyncRun = system.get_model("SyncRun")

            async def finished(identifier: str) -> None:
                # By now the run is in the history the window will read.
                run = await SyncRun.filter(integration=record.id).first()
                heard.append((identifier, run.state if run else None))

            scheduler = Scheduler(
                system.env, clock=lambda: datetime(2026, 1, 1, 8), on_job_finished=finished
            )
            await scheduler.run_due()
            await scheduler.run_due()  # not due again: nothing more to hear

    asyncio.run(main())
    assert heard == [(STRIPE, "done")]


def test_a_failing_owner_callback_does_not_stop_the_scheduler(
    fake: FakeStripe, tmp_path: Path
) -> None:
    async def main() -> list[str]:
        async with open_stripe(db_url(tmp_path)) as (system, _record):

            async def broken(_identifier: str) -> None:
                raise RuntimeError("window gone")

            scheduler = Scheduler(
                system.env, clock=lambda: datetime(2026, 1, 1, 8), on_job_finished=broken
            )
            return await scheduler.run_due()

    assert asyncio.run(main()) == [STRIPE]
