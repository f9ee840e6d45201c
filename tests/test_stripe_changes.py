"""Stripe pulls catch changes (refunds, captures, failures) through its events list, not only
new payment intents; the pull cursor moves past a permanently bad record."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from ffdesk.sync import run_sync
from tests.fakes.stripe import FakeStripe
from tests.helpers.stripe_env import KEY, db_url, open_stripe, stripe_vars

HOUR = 3600


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    with FakeStripe(secret_key=KEY, seed=5) as server:
        for name, value in stripe_vars(server.url).items():
            monkeypatch.setenv(name, value)
        yield server


@pytest.fixture
def url(tmp_path: Path) -> str:
    return db_url(tmp_path)


def test_a_payment_refunded_after_the_first_pull_shows_refunded_after_the_next(
    fake: FakeStripe, url: str
) -> None:
    # Made two days ago (their own events too): only new events can bring their changes.
    made = int(fake.clock()) - 48 * HOUR
    old = fake.add_payment_intent(amount=4200, created=made)
    held = fake.add_payment_intent(amount=900, status="requires_capture", created=made)
    untouched = fake.add_payment_intent(amount=100, created=made)

    async def main() -> None:
        async with open_stripe(url) as (system, record):
            Transaction = system.get_model("PaymentTransaction")
            first = await run_sync(record)
            assert first.succeeded and first.created == 3
            assert (await Transaction.filter(reference=old["id"]).get()).state == "done"

            fake.refund_payment_intent(old["id"])
            fake.set_payment_intent_status(held["id"], "succeeded")
            fake.clear_log()
            second = await run_sync(record)
            assert second.succeeded, second.error
            assert (second.created, second.updated) == (0, 2)
            refunded = await Transaction.filter(reference=old["id"]).get()
            assert (refunded.state, refunded.provider_status) == ("refunded", "refunded")
            assert (await Transaction.filter(reference=held["id"]).get()).state == "done"
            assert (await Transaction.filter(reference=untouched["id"]).get()).state == "done"
            [events] = [r for r in fake.requests if r.path == "/v1/events"]
            assert set(events.query["types[]"]) >= {"charge.refunded", "payment_intent.succeeded"}
            assert int(events.query["created[gte]"][0]) == int(first.started.timestamp()) - 300
            # Each changed intent is read again as it is now, with its charge.
            reads = sorted(
                r.path for r in fake.requests if r.path.startswith("/v1/payment_intents/")
            )
            assert reads == sorted(f"/v1/payment_intents/{i['id']}" for i in (old, held))

    asyncio.run(main())


def test_a_partial_refund_keeps_the_payment_done_and_says_so(fake: FakeStripe, url: str) -> None:
    intent = fake.add_payment_intent(amount=5000, created=int(fake.clock()) - 10 * HOUR)

    async def main() -> None:
        async with open_stripe(url) as (system, record):
            await run_sync(record)
            fake.refund_payment_intent(intent["id"], amount=1000)
            assert (await run_sync(record)).updated == 1
            row = await system.get_model("PaymentTransaction").filter(reference=intent["id"]).get()
            assert (row.state, row.provider_status) == ("done", "partially_refunded")

    asyncio.run(main())


def test_a_permanently_bad_record_no_longer_pins_the_pull_window(
    fake: FakeStripe, url: str
) -> None:
    # An id longer than any reference we can store: that payment fails on every run.
    bad = fake.add_payment_intent(id="pi_" + "x" * 300, created=int(fake.clock()) - HOUR)

    async def main() -> None:
        async with open_stripe(url) as (system, record):
            first = await run_sync(record)
            assert first.failed == 1 and first.created == 0
            fake.add_payment_intent(amount=700)
            fake.clear_log()
            second = await run_sync(record)
            assert second.created == 1
            [page] = [r for r in fake.requests if r.path == "/v1/payment_intents"]
            # Today's main asked again from the beginning (no clean run yet): the cursor of
            # the pull moved to the first run although one record failed in it.
            assert int(page.query["created[gte]"][0]) == int(first.started.timestamp()) - 300
            Cursor = system.get_model("SyncCursor")
            [cursor] = await Cursor.filter(integration=record.id).all()
            assert (cursor.direction, cursor.position) == ("pull", second.started)
            assert bad["id"] not in {
                t.reference for t in await system.get_model("PaymentTransaction").all().all()
            }

    asyncio.run(main())


def test_after_a_month_without_sync_open_payments_are_read_again(
    fake: FakeStripe, url: str
) -> None:
    made = int(fake.clock()) - 50 * 86400
    intent = fake.add_payment_intent(amount=800, status="requires_capture", created=made)

    async def main() -> None:
        async with open_stripe(url) as (system, record):
            await run_sync(record)
            # The last pull was 40 days ago: Stripe no longer has the events since then.
            Cursor = system.get_model("SyncCursor")
            [cursor] = await Cursor.filter(integration=record.id).all()
            cursor.position = cursor.position - timedelta(days=40)
            await cursor.save()
            # Captured 35 days ago: Stripe keeps events 30 days, so its event is gone.
            clock = fake.clock
            fake.clock = lambda: clock() - 35 * 86400
            fake.set_payment_intent_status(intent["id"], "succeeded")
            fake.clock = clock
            fake.clear_log()
            again = await run_sync(record)
            assert again.succeeded and again.updated == 1
            row = await system.get_model("PaymentTransaction").filter(reference=intent["id"]).get()
            assert row.state == "done"
            assert f"/v1/payment_intents/{intent['id']}" in [r.path for r in fake.requests]

    asyncio.run(main())


def test_a_payment_read_again_is_checked_like_a_new_one(fake: FakeStripe, url: str) -> None:
    made = int(fake.clock()) - 48 * HOUR
    good = fake.add_payment_intent(amount=1999, status="requires_capture", created=made)
    spoilt = fake.add_payment_intent(amount=1999, status="requires_capture", created=made)

    async def main() -> None:
        async with open_stripe(url) as (system, record):
            Transaction = system.get_model("PaymentTransaction")
            assert (await run_sync(record)).created == 2
            fake.set_payment_intent_status(good["id"], "succeeded")
            fake.set_payment_intent_status(spoilt["id"], "succeeded")
            with fake.lock:  # the captured one now comes back with a currency that is none
                fake.payment_intents[spoilt["id"]]["currency"] = "u$d"
            again = await run_sync(record)
            assert (again.updated, again.failed) == (1, 1)
            captured = await Transaction.filter(reference=good["id"]).get()
            assert (captured.state, captured.amount) == ("done", Decimal("19.99"))
            kept = await Transaction.filter(reference=spoilt["id"]).get()
            assert (kept.state, kept.currency, kept.amount) == (
                "authorized",
                "USD",
                Decimal("19.99"),
            )

    asyncio.run(main())
