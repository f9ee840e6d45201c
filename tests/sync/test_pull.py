"""store_pulled: one local record per remote object, kept with its mapper row."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from ffdesk.engine.errors import ValidationError
from ffdesk.sync import SyncJob, store_pulled
from tests.fakes.stripe import FakeStripe
from tests.helpers.stripe_env import KEY, db_url, open_stripe, stripe_vars


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    with FakeStripe(secret_key=KEY, seed=13) as server:
        for name, value in stripe_vars(server.url).items():
            monkeypatch.setenv(name, value)
        yield server


def test_created_then_skipped_updated_and_brought_back(fake: FakeStripe, tmp_path: Path) -> None:
    async def main() -> None:
        async with open_stripe(db_url(tmp_path)) as (system, record):
            Transaction = system.get_model("PaymentTransaction")
            Mapper = system.get_model("IntegrationMapper")
            job = SyncJob(record)
            values = {"reference": "pi_1", "amount": 10.0, "state": "pending"}

            assert await store_pulled(job, record, "pi_1", dict(values)) == "created"
            assert await store_pulled(job, record, "pi_1", dict(values)) == "skipped"
            values["state"] = "done"
            assert await store_pulled(job, record, "pi_1", dict(values)) == "updated"
            [row] = await Transaction.all().all()
            assert row.state == "done"
            [mapping] = await Mapper.filter(model="PaymentTransaction").all()
            assert mapping.local_id == str(row.id)

            await row.delete()  # deleted locally: the next pull brings it back, same mapping
            assert await store_pulled(job, record, "pi_1", dict(values)) == "created"
            [again] = await Transaction.all().all()
            [mapping] = await Mapper.filter(model="PaymentTransaction").all()
            assert mapping.local_id == str(again.id) != str(row.id)
            assert (job.created, job.updated, job.skipped) == (2, 1, 1)

    asyncio.run(main())


def test_a_refused_record_leaves_no_mapping(fake: FakeStripe, tmp_path: Path) -> None:
    async def main() -> None:
        async with open_stripe(db_url(tmp_path)) as (system, record):
            job = SyncJob(record)
            with pytest.raises(ValidationError, match="state"):
                await store_pulled(job, record, "pi_2", {"state": "no such state"})
            Mapper = system.get_model("IntegrationMapper")
            assert await Mapper.filter(model="PaymentTransaction").count() == 0

    asyncio.run(main())
