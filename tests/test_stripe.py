"""The Stripe integration against the local fake Stripe: enable checks, connection test, push of
contacts to customers, pull of payment intents, faults, cancel, the command line and the logs.

Coroutines run with asyncio.run from plain test functions; waiting on the fake goes through
`fake.wait_for` (in a worker thread when the loop must keep running), never time.sleep.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ffdesk import cli
from ffdesk.engine.errors import UserError
from ffdesk.services import integrations as actions
from ffdesk.sync import AlreadySyncing, RunState, SyncJob, run_sync
from ffdesk.sync.results import ConnectionUnreachable
from ffdesk.sync.runner import HOST
from tests.fakes.stripe import FakeStripe
from tests.helpers.stripe_env import (
    KEY,
    add_contacts,
    db_url,
    fast_retries,
    isolated_logging,
    mappings,
    open_stripe,
    remote_emails,
    runs,
    stripe_vars,
)

LIVE_KEY = "sk_live_51FfdeskStripeEnv0000000live"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    with FakeStripe(secret_key=KEY, seed=11) as server:
        for name, value in stripe_vars(server.url).items():
            monkeypatch.setenv(name, value)
        yield server


@pytest.fixture
def url(tmp_path: Path) -> str:
    return db_url(tmp_path)


def posts(fake: FakeStripe, path: str) -> list[Any]:
    with fake.lock:
        return [r for r in fake.requests if r.method == "POST" and r.path == path]


def creates_in_requests(fake: FakeStripe) -> list[Any]:
    return posts(fake, "/v1/customers")


async def wait_for(fake: FakeStripe, predicate: Any, timeout: float = 10) -> None:
    """Wait for the fake without blocking the loop the sync runs on."""
    assert await asyncio.to_thread(fake.wait_for, predicate, timeout), "fake never got there"


# -- enable and Test connection ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"secret_key": ""}, r"^Please enter your Stripe Secret Key before enabling\.$"),
        (
            {"secret_key": LIVE_KEY, "sandbox_mode": True},
            r"live key but Sandbox Mode is on: turn Sandbox Mode off, or enter a test key",
        ),
        (
            {"secret_key": KEY, "sandbox_mode": False},
            r"test key but Sandbox Mode is off: turn Sandbox Mode on, or enter a live key",
        ),
        ({"secret_key": "pk_test_0123456789abcdef"}, r"must start with sk_test_, sk_live_"),
        ({"secret_key": "whsec_0123456789"}, r"must start with sk_test_, sk_live_"),
        (
            {"secret_key": KEY, "publishable_key": "pk_live_0123456789"},
            r"Publishable Key and the Secret Key belong to different modes",
        ),
        (
            {"secret_key": KEY, "publishable_key": "sk_test_0123456789"},
            r"Publishable Key must start with pk_test_ or pk_live_",
        ),
        (
            {"secret_key": KEY, "webhook_secret": "secret_0123"},
            r"Webhook Signing Secret must start with whsec_",
        ),
    ],
)
def test_enable_refuses_bad_credentials_with_what_to_change(
    fake: FakeStripe, url: str, values: dict[str, Any], message: str
) -> None:
    async def main() -> None:
        async with open_stripe(url, enable=False) as (_system, record):
            for name, value in values.items():
                setattr(record, name, value)
            await record.save()
            with pytest.raises(UserError, match=message):
                await actions.enable(record)
            assert await record.get_state() == "Installed"
            assert not record.enabled

    asyncio.run(main())
    assert fake.count() == 0  # refused before asking Stripe


def test_valid_keys_enable_after_a_balance_check(fake: FakeStripe, url: str) -> None:
    async def main() -> None:
        async with open_stripe(url, enable=False) as (_system, record):
            record.publishable_key = "pk_test_0123456789"
            record.webhook_secret = "whsec_0123456789"
            await record.save()
            result = await actions.test_connection(record)
            assert (result.outcome, result.message) == (
                "ok",
                "Connected to Stripe (test mode). Available balance: 12.34 USD.",
            )
            assert await actions.enable(record) == "Enabled"
            # A restricted key works too.
            record.secret_key = "rk_test_0123456789abcdef"
            fake.secret_key = record.secret_key
            assert (await actions.test_connection(record)).outcome == "ok"

    fake.balance_available = 1234
    asyncio.run(main())
    [balance, *_] = [r for r in fake.requests if r.path == "/v1/balance"]
    assert balance.method == "GET"
    assert balance.headers["authorization"] == f"Bearer {KEY}"


def test_live_key_with_sandbox_off_is_accepted(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeStripe(secret_key=LIVE_KEY) as live:
        for name, value in stripe_vars(live.url).items():
            monkeypatch.setenv(name, value)

        async def main() -> None:
            async with open_stripe(url, key=LIVE_KEY, sandbox=False) as (_system, record):
                assert await record.get_state() == "Enabled"
                result = await actions.test_connection(record)
                assert result.outcome == "ok" and "live mode" in result.message

        asyncio.run(main())


def test_rejected_key_is_reported_and_not_enabled(fake: FakeStripe, url: str) -> None:
    wrong = "sk_test_51FfdeskWrongKey00000000wxyz"

    async def main() -> None:
        async with open_stripe(url, key=wrong, enable=False) as (_system, record):
            result = await actions.test_connection(record)
            assert result.outcome == "rejected"
            assert result.message.startswith("Stripe rejected the credentials")
            assert result.message.endswith("Check the secret key.")
            assert wrong not in result.message
            with pytest.raises(UserError, match="rejected the credentials"):
                await actions.enable(record)
            assert await record.get_state() == "Installed"

    asyncio.run(main())
    assert fake.count("GET", "/v1/balance") == 2  # a 401 is not retried


@pytest.mark.parametrize("fault", ["stopped", "dropped", "500s"])
def test_unreachable_stripe(
    fake: FakeStripe, url: str, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    fast_retries(monkeypatch)

    async def main() -> None:
        async with open_stripe(url, enable=False) as (_system, record):
            if fault == "stopped":
                fake.stop()
            elif fault == "dropped":
                fake.drop_next(5, path_prefix="/v1/balance")
            else:
                fake.fail_next(5, 500, path_prefix="/v1/balance")
            result = await actions.test_connection(record)
            assert result.outcome == "unreachable", result
            assert result.message.startswith("Stripe could not be reached")
            if fault == "500s":  # the provider answers: a Test retries it after short pauses
                assert result.message.endswith("after 5 attempts. Try again later.")
                assert "HTTP 500" in result.message
            else:  # no answer at all: someone is waiting, a Test tries once
                assert result.message.endswith(". Try again later.")
                assert "attempts" not in result.message
            # Enabling asks first; "anyway" enables.
            if fault != "stopped":
                fake.clear_faults()
                fake.fail_next(5, 503, path_prefix="/v1/balance")
            with pytest.raises(ConnectionUnreachable, match="Enable anyway"):
                await actions.enable(record)
            assert not record.enabled
            if fault != "stopped":
                fake.fail_next(5, 503, path_prefix="/v1/balance")
            assert await actions.enable(record, anyway=True) == "Enabled"

    asyncio.run(main())
    if fault != "stopped":
        assert fake.count("GET", "/v1/balance") == {"dropped": 11, "500s": 15}[fault]


def test_a_short_outage_is_retried_to_ok(
    fake: FakeStripe, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_retries(monkeypatch)
    # Answers that say "not now" are retried; a dropped connection is final in a Test
    # (test_unreachable_stripe[dropped]), it is retried in a sync (tests/sync/test_http.py).
    fake.fail_next(2, 500, path_prefix="/v1/balance")
    fake.fail_next(1, 503, path_prefix="/v1/balance")
    fake.fail_next(1, 429, headers={"Retry-After": "0"}, path_prefix="/v1/balance")

    async def main() -> None:
        async with open_stripe(url, enable=False) as (_system, record):
            assert (await actions.test_connection(record)).outcome == "ok"

    asyncio.run(main())
    assert fake.count("GET", "/v1/balance") == 5


# -- push: contacts -> customers ---------------------------------------------------------------


def test_push_creates_once_then_sends_only_changes(fake: FakeStripe, url: str) -> None:
    async def main() -> None:
        async with open_stripe(url, contacts=30) as (system, record):
            first = await run_sync(record)
            assert first.state is RunState.DONE and first.succeeded
            assert (first.created, first.updated, first.skipped, first.failed) == (30, 0, 0, 0)
            links = await mappings(system, record)
            assert len(links) == 30 and fake.creates == 30
            assert {m.remote_id for m in links} == set(fake.customers)
            Contact = system.get_model("Contact")
            contacts = {str(c.id): c for c in await Contact.all().all()}
            for link in links:
                customer = fake.customers[link.remote_id]
                contact = contacts[link.local_id]
                assert (customer["name"], customer["email"], customer["phone"]) == (
                    contact.name,
                    contact.email,
                    contact.phone,
                )
                assert customer["metadata"] == {"ffdesk_contact_id": link.local_id}
            keys = [r.headers["idempotency-key"] for r in creates_in_requests(fake)]
            assert len(set(keys)) == 30
            assert all(re.fullmatch(r"ffdesk-[0-9a-f-]+-\d+-Contact-\d+", k) for k in keys)
            assert all(
                r.headers["content-type"] == "application/x-www-form-urlencoded"
                for r in creates_in_requests(fake)
            )
            stored = await system.get_model("Integration").get(record.id)
            assert stored.last_synced_date == first.finished

            # Nothing changed: nothing is sent.
            sent = fake.count("POST")
            second = await run_sync(record)
            assert (second.created, second.updated, second.skipped) == (0, 0, 30)
            assert fake.count("POST") == sent and (fake.creates, fake.updates) == (30, 0)

            # One contact changed: exactly one update, to its customer.
            contact = await Contact.get(int(links[3].local_id))
            contact.phone = "+1 415 555 0100"
            await contact.save()
            third = await run_sync(record)
            assert (third.created, third.updated, third.skipped) == (0, 1, 29)
            assert (fake.creates, fake.updates) == (30, 1)
            [update] = posts(fake, f"/v1/customers/{links[3].remote_id}")
            assert update.form["phone"] == "+1 415 555 0100"
            assert fake.customers[links[3].remote_id]["phone"] == "+1 415 555 0100"

            # And it is not sent again.
            fourth = await run_sync(record)
            assert (fourth.updated, fourth.skipped) == (0, 30) and fake.updates == 1

            # A new contact is created, the others skipped.
            await add_contacts(system, 1, start=30)
            fifth = await run_sync(record)
            assert (fifth.created, fifth.skipped) == (1, 30) and fake.creates == 31

    asyncio.run(main())
    assert sorted(remote_emails(fake)) == sorted(f"contact{i}@example.org" for i in range(31))


def test_contacts_without_a_write_date_are_sent_once(fake: FakeStripe, url: str) -> None:
    async def main() -> None:
        async with open_stripe(url) as (system, record):
            # Rows written without the model (a bulk load, an old database) have no write date.
            table = system.get_model("Contact")._table
            with system.db.engine.begin() as conn:
                conn.execute(
                    table.insert(),
                    [
                        {
                            "name": f"Bulk {i}",
                            "email": f"b{i}@example.org",
                            "company_id": record.company_id,
                        }
                        for i in range(5)
                    ],
                )
            first = await run_sync(record)
            assert first.created == 5
            second = await run_sync(record)
            assert (second.created, second.updated, second.skipped) == (0, 0, 5)
            assert fake.updates == 0

    asyncio.run(main())


def test_bursts_of_429_and_500_end_in_a_successful_run(
    fake: FakeStripe, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_retries(monkeypatch)

    async def main() -> None:
        async with open_stripe(url, contacts=40) as (system, record):
            for i in range(12):
                fake.add_payment_intent(amount=100 + i, created=1_700_000_000 + i)
            # Each burst is at most 4 answers long, so no single request can exhaust its
            # 5 attempts, whichever request the faults land on.
            fake.fail_next(4, 429, headers={"Retry-After": "0"}, path_prefix="/v1/customers")
            fake.fail_next(4, 500, path_prefix="/v1/payment_intents")
            before = fake.count()
            outcome = await run_sync(record)
            assert outcome.state is RunState.DONE and outcome.succeeded, outcome.error
            # 40 customers created, 12 payment transactions created.
            assert (outcome.created, outcome.updated, outcome.failed) == (52, 0, 0)
            assert fake.pending_faults == 0
            assert fake.count("POST", "/v1/customers") == 40 + 4
            assert fake.count("GET", "/v1/payment_intents") == 1 + 4
            assert fake.count() - before == 40 + 4 + 1 + 4
            assert len(fake.customers) == 40 and fake.creates == 40
            assert len(await mappings(system, record)) == 40

            # Updates ride out a burst of 503s with Retry-After too.
            Contact = system.get_model("Contact")
            for contact in (await Contact.all().all())[:5]:
                contact.name += " Jr"
                await contact.save()
            fake.fail_next(4, 503, headers={"Retry-After": "0"}, path_prefix="/v1/customers/")
            again = await run_sync(record)
            assert again.succeeded
            # (the old payment intents are before the incremental window: not asked again)
            assert (again.created, again.updated, again.skipped) == (0, 5, 35)
            assert fake.updates == 5 and fake.count("POST", "/v1/customers/") == 5 + 4

    asyncio.run(main())
    assert len(set(remote_emails(fake))) == 40


def test_lost_answers_are_replayed_not_duplicated(
    fake: FakeStripe, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_retries(monkeypatch)

    async def main() -> None:
        async with open_stripe(url, contacts=20) as (system, record):
            # Stripe creates the customer, then the answer is lost on the way back.
            fake.drop_next(3, path_prefix="/v1/customers", method="POST", after=True)
            outcome = await run_sync(record)
            assert outcome.succeeded and outcome.created == 20, outcome
            assert fake.creates == 20 and fake.replays == 3
            assert len(fake.customers) == 20 == len(await mappings(system, record))

    asyncio.run(main())
    assert len(set(remote_emails(fake))) == 20


def test_a_refused_contact_is_counted_failed_and_sent_once_fixed(
    fake: FakeStripe, url: str
) -> None:
    async def main() -> None:
        async with open_stripe(url, contacts=9) as (system, record):
            Contact = system.get_model("Contact")
            bad = await Contact.create(
                name="Bad Email", email="not-an-email", company=record.company_id
            )
            outcome = await run_sync(record)
            assert outcome.state is RunState.DONE and not outcome.succeeded
            assert (outcome.created, outcome.failed) == (9, 1)
            [row] = await runs(system, record)
            assert any("'Bad Email'" in line and "Invalid email" in line for line in row.log)
            stored = await system.get_model("Integration").get(record.id)
            assert stored.last_synced_date is None

            bad.email = "bad.fixed@example.org"
            await bad.save()
            again = await run_sync(record)
            assert again.succeeded and (again.created, again.skipped) == (1, 9)
            assert len(fake.customers) == 10 == len(await mappings(system, record))

    asyncio.run(main())


def test_a_contact_rate_limited_five_times_is_created_once_after_the_pauses(
    fake: FakeStripe, url: str
) -> None:
    # 429s are retried on their own time budget (not the five attempts of 5xx), and say the
    # client is too fast rather than the contact wrong: the contact goes through.
    async def main() -> None:
        async with open_stripe(url, contacts=1) as (system, record):
            fake.fail_next(5, 429, headers={"Retry-After": "0"}, path_prefix="/v1/customers")
            outcome = await run_sync(record)
            assert (outcome.state, outcome.created, outcome.failed) == (RunState.DONE, 1, 0)
            assert outcome.rate_limited == 5
            [row] = await runs(system, record)
            assert any("Stripe answered 429 (rate limit) 5 times" in line for line in row.log)

    asyncio.run(main())
    assert len(fake.customers) == 1


def test_stripe_going_down_mid_run_fails_it_and_a_rerun_completes(
    fake: FakeStripe, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_retries(monkeypatch)

    async def main() -> None:
        async with open_stripe(url, contacts=80) as (system, record):
            fake.delay_next(1000, 0.005, path_prefix="/v1/customers")
            task = asyncio.ensure_future(run_sync(record))
            await wait_for(fake, lambda: fake.creates >= 20)
            await asyncio.to_thread(fake.stop)
            outcome = await task
            assert outcome.state is RunState.FAILED
            assert outcome.error.startswith("Stripe could not be reached")
            done = len(await mappings(system, record))
            # Answers lost in the outage leave created customers without a mapping.
            assert outcome.created == done and 0 < done <= fake.creates < 80
            # Some creates may have happened without their answer arriving: the rerun
            # replays them with the same idempotency key instead of duplicating.
            fake.clear_faults()
            fake.start()
            again = await run_sync(record)
            assert again.succeeded and again.created == 80 - done
            assert len(await mappings(system, record)) == 80

    asyncio.run(main())
    assert len(fake.customers) == 80 == len(set(remote_emails(fake)))


def test_rejected_key_during_sync_fails_the_run(fake: FakeStripe, url: str) -> None:
    async def main() -> None:
        async with open_stripe(url, contacts=12) as (system, record):
            fake.secret_key = "sk_test_rotatedElsewhere000000000"
            outcome = await run_sync(record)
            assert outcome.state is RunState.FAILED and outcome.created == 0
            assert outcome.error.startswith("Stripe rejected the credentials")
            assert fake.count("POST") <= 8  # the first answers stop the run
            assert await mappings(system, record) == []

    asyncio.run(main())


# -- one run at a time, cancel -----------------------------------------------------------------


def test_second_request_while_syncing_is_refused(fake: FakeStripe, url: str) -> None:
    async def main() -> None:
        async with open_stripe(url, contacts=16) as (system, record):
            # The first create is held long enough for the checks below, even on a busy machine.
            fake.delay_next(1, 2.0, path_prefix="/v1/customers")
            first = asyncio.ensure_future(run_sync(record))
            await wait_for(fake, lambda: fake.count("POST", "/v1/customers") >= 1)
            [row] = await runs(system, record)
            with pytest.raises(AlreadySyncing) as refused:
                await run_sync(record, trigger="schedule")
            assert str(refused.value) == (
                f"Stripe is already syncing since {row.started:%H:%M} on {HOST}."
            )
            outcome = await first
            assert outcome.succeeded and outcome.created == 16
            assert len(await runs(system, record)) == 1

    asyncio.run(main())
    assert len(fake.customers) == 16


def test_cancel_keeps_what_was_done_and_a_later_run_completes(fake: FakeStripe, url: str) -> None:
    async def main() -> None:
        async with open_stripe(url, contacts=120) as (system, record):
            fake.delay_next(1000, 0.01, path_prefix="/v1/customers")
            progress: list[tuple[int, int | None]] = []
            job = SyncJob(record, on_progress=lambda d, t: progress.append((d, t)))
            task = asyncio.ensure_future(run_sync(record, job=job))
            await wait_for(fake, lambda: fake.creates >= 10)
            job.cancel()
            sent_at_cancel = fake.count("POST", "/v1/customers")
            outcome = await task
            assert outcome.state is RunState.CANCELLED
            links = await mappings(system, record)
            # Requests in flight at Cancel finish and are kept; no worker starts another.
            assert outcome.created == len(links) == len(fake.customers) == fake.creates
            assert fake.count("POST", "/v1/customers") <= sent_at_cancel + 8
            assert 10 <= len(links) < 120
            assert progress[0] == (0, 120)
            [row] = await runs(system, record)
            assert row.state == "cancelled" and row.created == len(links)
            stored = await system.get_model("Integration").get(record.id)
            assert stored.last_synced_date is None

            fake.clear_faults()
            again = await run_sync(record)
            assert again.succeeded
            assert (again.created, again.skipped) == (120 - len(links), len(links))
            assert fake.replays == 0

    asyncio.run(main())
    assert len(fake.customers) == 120 == len(set(remote_emails(fake)))


def test_cancelling_the_task_stops_sending(fake: FakeStripe, url: str) -> None:
    async def main() -> None:
        async with open_stripe(url, contacts=120) as (system, record):
            fake.delay_next(1000, 0.01, path_prefix="/v1/customers")
            task = asyncio.ensure_future(run_sync(record))
            await wait_for(fake, lambda: fake.creates >= 10)
            task.cancel()
            sent_at_cancel = fake.count("POST", "/v1/customers")
            # The run is recorded as cancelled, then the task itself ends cancelled.
            with pytest.raises(asyncio.CancelledError):
                await task
            SyncRun = system.get_model("SyncRun")
            run = await SyncRun.filter(integration=record.id).order_by("-id").first()
            assert run.state == "cancelled"
            # Only what was in flight when the task was cancelled is finished (the workers
            # once went on through the ~32 queued contacts).
            assert fake.count("POST", "/v1/customers") <= sent_at_cancel + 8
            assert run.created == len(await mappings(system, record)) == len(fake.customers)

    asyncio.run(main())


# -- pull: payment intents -> transactions -----------------------------------------------------


def test_pull_pages_with_starting_after_then_asks_only_for_new(fake: FakeStripe, url: str) -> None:
    now = int(datetime.now().timestamp())
    statuses = ["succeeded", "requires_capture", "canceled", "processing", "requires_action"]
    expected: dict[str, tuple[float, str, str]] = {}
    states = {
        "succeeded": "done",
        "requires_capture": "authorized",
        "canceled": "cancelled",
        "processing": "pending",
        "requires_action": "pending",
    }
    for i in range(250):
        currency = "jpy" if i % 10 == 0 else "usd"
        status = statuses[i % len(statuses)]
        intent = fake.add_payment_intent(
            amount=1000 + i, currency=currency, status=status, created=now - 3600 - i * 60
        )
        amount = Decimal(1000 + i) if currency == "jpy" else Decimal(1000 + i) / 100
        expected[intent["id"]] = (amount, currency.upper(), states[status])

    async def main() -> None:
        async with open_stripe(url) as (system, record):
            Transaction = system.get_model("PaymentTransaction")
            first = await run_sync(record)
            assert first.succeeded and first.created == 250
            pages = [r for r in fake.requests if r.path == "/v1/payment_intents"]
            assert len(pages) == 3
            assert [p.arg("limit") for p in pages] == ["100"] * 3
            assert pages[0].arg("starting_after") is None
            assert "created[gte]" not in pages[0].query
            remaining = sorted(expected, key=lambda k: -fake.payment_intents[k]["created"])
            ids_by_page = [remaining[:100], remaining[100:200], remaining[200:]]
            assert pages[1].arg("starting_after") == ids_by_page[0][-1]
            assert pages[2].arg("starting_after") == ids_by_page[1][-1]
            rows = await Transaction.all().all()
            assert len(rows) == 250
            for row in rows:
                assert (row.amount, row.currency, row.state) == expected[row.reference]
                assert row.integration_id == record.id
                assert row.company_id == record.company_id
                assert row.date == datetime.fromtimestamp(
                    fake.payment_intents[row.reference]["created"]
                )
            assert len(await mappings(system, record, "PaymentTransaction")) == 250

            # Incremental: only what was created since the last successful run (with overlap).
            fake.clear_log()
            for i in range(5):
                fake.add_payment_intent(amount=5000 + i, currency="eur")
            second = await run_sync(record)
            assert second.succeeded and second.created == 5
            [page] = [r for r in fake.requests if r.path == "/v1/payment_intents"]
            gte = int(page.query["created[gte]"][0])
            assert gte == int(first.started.timestamp()) - 300
            assert await Transaction.count() == 255
            new = await Transaction.filter(currency="EUR").all()
            assert sorted(t.amount for t in new) == [Decimal(f"50.0{i}") for i in range(5)]

    asyncio.run(main())


def test_pull_links_payments_to_pushed_contacts_and_updates_states(
    fake: FakeStripe, url: str
) -> None:
    async def main() -> None:
        async with open_stripe(url, contacts=2) as (system, record):
            await run_sync(record)
            links = {m.local_id: m.remote_id for m in await mappings(system, record)}
            contact_id, customer = next(iter(links.items()))
            intent = fake.add_payment_intent(
                amount=2500, status="requires_capture", customer=customer, description="Order 7"
            )
            stranger = fake.add_payment_intent(amount=300, customer="cus_notours")
            outcome = await run_sync(record)
            assert outcome.created == 2
            Transaction = system.get_model("PaymentTransaction")
            row = await Transaction.filter(reference=intent["id"]).get()
            assert row.contact_id == int(contact_id) and row.customer_remote_id == customer
            assert (row.state, row.amount, row.description) == ("authorized", 25.0, "Order 7")
            other = await Transaction.filter(reference=stranger["id"]).get()
            assert other.contact_id is None and other.customer_remote_id == "cus_notours"
            # Captured since: the next pull (which overlaps recent intents) updates it.
            with fake.lock:
                fake.payment_intents[intent["id"]]["status"] = "succeeded"
            again = await run_sync(record)
            assert again.updated == 1
            assert (await Transaction.filter(reference=intent["id"]).get()).state == "done"

    asyncio.run(main())


# -- the scheduled entry point -----------------------------------------------------------------


def test_cron_method_syncs_enabled_integrations_only(fake: FakeStripe, url: str) -> None:
    async def main() -> None:
        async with open_stripe(url, contacts=3) as (system, record):
            other = await system.add_company("Second Ltd")
            second = await system.integration("payment_stripe", company_id=other.id)
            assert not second.enabled
            Integration = system.get_model("Integration")
            outcomes = await Integration.sync_payment_stripe()
            assert [o.run_id for o in outcomes] == [r.id for r in await runs(system, record)]
            assert outcomes[0].created == 3
            SyncRun = system.get_model("SyncRun")
            assert [r.trigger for r in await SyncRun.all().all()] == ["schedule"]
            assert await SyncRun.filter(integration=second.id).count() == 0

    asyncio.run(main())


# -- command line ------------------------------------------------------------------------------


@pytest.fixture
def cli_setup(fake: FakeStripe, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("FFDESK_DATABASE_URL", db_url(tmp_path))
    monkeypatch.setenv("FFDESK_LOG_DIR", str(tmp_path / "logs"))
    with isolated_logging():
        yield tmp_path


def ffdesk_cli(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_sync_and_runs(
    cli_setup: Path,
    fake: FakeStripe,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        return ffdesk_cli(capsys, monkeypatch, *args, stdin=stdin)

    csv = cli_setup / "contacts.csv"
    csv.write_text("name,email,phone\n" + "".join(f"P{i},p{i}@x.org,\n" for i in range(6)))
    assert run("modules", "install", "payment_stripe")[0] == 0
    code, out, err = run("integrations", "set", "payment_stripe", "secret_key=-", stdin=KEY + "\n")
    assert (code, err) == (0, "") and KEY not in out
    assert run("integrations", "enable", "payment_stripe")[0] == 0
    assert run("contacts", "import", str(csv))[0] == 0

    code, out, err = run("sync", "--json")
    assert code == 0, err
    [done] = json.loads(out)["runs"]
    assert (done["state"], done["created"], done["failed"]) == ("done", 6, 0)

    # A rejected key: exit 1, the run recorded as failed.
    fake.secret_key = "sk_test_someoneRotatedIt0000000000"
    code, out, err = run("sync", "payment_stripe")
    assert code == 1
    assert "failed" in out and "rejected the credentials" in out

    code, out, err = run("runs", "--json")
    assert code == 0
    listed = json.loads(out)["runs"]
    assert [r["state"] for r in listed] == ["failed", "done"]
    assert listed[1]["created"] == 6 and listed[1]["trigger"] == "command line"
    assert listed[0]["error"].startswith("Stripe rejected the credentials")
    code, out, _ = run("runs", "payment_stripe")
    assert code == 0
    header, *lines = out.strip().splitlines()
    assert header.split()[:3] == ["ID", "INTEGRATION", "STATE"]
    assert [line.split()[2] for line in lines] == ["failed", "done"]

    # Nothing enabled: nothing to do, success.
    assert run("integrations", "disable", "payment_stripe")[0] == 0
    code, out, _ = run("sync")
    assert code == 0 and "No integration is enabled" in out
    # Asking for a disabled one by name is refused.
    code, out, err = run("sync", "payment_stripe")
    assert code == 1 and "Enable Stripe before syncing it." in err


def test_secret_key_never_reaches_the_log(
    cli_setup: Path,
    fake: FakeStripe,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A key nobody registered before, so only this run's own redaction can hide it.
    secret = f"sk_test_{uuid.uuid4().hex}"
    echo = {"error": {"message": f"Invalid API Key provided: {secret}", "type": "invalid"}}
    fake.fail_next(100, 401, body=echo, path_prefix="/v1/customers")

    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        return ffdesk_cli(capsys, monkeypatch, *args, stdin=stdin)

    async def seed() -> None:
        async with open_stripe(os_url, enable=True) as (system, _record):
            await add_contacts(system, 3)

    os_url = db_url(cli_setup)
    asyncio.run(seed())  # enabled with the good key (balance is not faulted)
    code, _, _ = run("integrations", "set", "payment_stripe", "secret_key=-", stdin=secret)
    assert code == 0
    code, out, err = run("sync", "payment_stripe")
    assert code == 1
    log_text = (cli_setup / "logs" / "ffdesk.log").read_text()
    assert "rejected the credentials" in log_text  # the failure is logged...
    assert secret not in log_text  # ...without the key
    assert secret not in out and secret not in err
    code, out, _ = run("runs", "--json")
    assert secret not in out and "***" in out
