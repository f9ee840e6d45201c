"""payment_mollie against FakeMollie: install, form, key checks, connection test and sync."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from ffdesk.sync import SyncJob, run_sync
from tests.fakes.mollie import FakeMollie
from tests.helpers.provider_env import (
    BASE_FIELDS,
    ProviderEnv,
    closed_port_url,
    point_at,
    provider_env,
)

ID = "payment_mollie"
KEY = "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM"
OWN_FIELDS = ("mollie_api_key", "sandbox_mode")


@pytest.fixture
def fake() -> Iterator[FakeMollie]:
    with FakeMollie(KEY, seed=5) as server:
        yield server


async def ready(env: ProviderEnv) -> None:
    """A valid test API key, enabled."""
    await env.set(mollie_api_key=KEY, sandbox_mode=True)
    assert await env.enable() == "Enabled"


def test_installs_on_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch) as env:
            assert env.installed[-1] == ID
            assert {"online_payment", "contacts"} <= set(env.installed)
            record = env.record
            assert await record.get_state() == "Installed"
            assert record.integration_category == "Online Payment"
            assert record.cron_sync_method == "sync_payment_mollie"
            assert record.image and Path(record.image).name == "mollie_logo.svg"
            assert Path(record.image).is_file()
            job = await env.model("CronJob").filter(identifier="payment_mollie_sync").get()
            assert (job.model, job.method, job.active) == (
                "Integration",
                record.cron_sync_method,
                True,
            )

    asyncio.run(scenario())


def test_form_shows_only_its_own_fields(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch) as env:
            form = {f.name: f for f in env.form() if f.visible}
            assert set(form) - set(BASE_FIELDS) == set(OWN_FIELDS)
            key = form["mollie_api_key"]
            assert (key.widget, key.required, key.secret, key.company_scoped) == (
                "Password",
                True,
                True,
                True,
            )
            assert form["sandbox_mode"].widget == "Checkbox"
            assert env.record.sandbox_mode is True

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, "Please enter your Mollie API Key"),
        ({"mollie_api_key": "access_abc"}, "organization access token (access_...)"),
        ({"mollie_api_key": "sk_test_abc"}, "must start with test_ or live_"),
        (
            {"mollie_api_key": "live_abc"},
            "live key (live_...) but Sandbox Mode is on: turn Sandbox Mode off",
        ),
        (
            {"mollie_api_key": "test_abc", "sandbox_mode": False},
            "test key (test_...) but Sandbox Mode is off: turn Sandbox Mode on",
        ),
    ],
)
def test_enable_checks_the_key_in_mollie_terms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, values: dict, expected: str
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, closed_port_url()) as env:
            await env.set(**values)
            with pytest.raises(Exception) as caught:
                await env.enable()
            assert type(caught.value).__name__ == "UserError"
            assert expected in str(caught.value)
            assert await env.record.get_state() == "Installed"

    asyncio.run(scenario())


def test_check_connection_ok_rejected_unreachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeMollie
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await env.set(mollie_api_key=KEY)
            result = await env.test()
            assert result.outcome == "ok"
            assert result.message == (
                "Connected to Mollie (test mode). Payment methods enabled: iDEAL, Card, Bancontact."
            )
            assert fake.log[-1] == ("GET", "/v2/methods")

            fake.methods = []
            assert "No payment method is enabled yet" in (await env.test()).message

            wrong = "test_wrongwrongwrongwrongwrongwrong"
            await env.set(mollie_api_key=wrong)
            result = await env.test()
            assert result.outcome == "rejected"
            assert result.message == (
                "Mollie rejected the credentials: Missing authentication, or failed to "
                "authenticate. Check the API key."
            )
            with pytest.raises(Exception, match="rejected the credentials"):
                await env.enable()

            point_at(monkeypatch, ID, closed_port_url())
            await env.set(mollie_api_key=KEY)
            result = await env.test()
            assert result.outcome == "unreachable"
            assert "Mollie could not be reached" in result.message

    asyncio.run(scenario())


def test_push_creates_customers_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeMollie
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            contacts = await env.add_contacts(12)
            outcome = await env.sync()
            assert outcome.succeeded, outcome.error
            assert (outcome.created, outcome.updated, outcome.failed) == (12, 0, 0)
            assert fake.creates == 12 and fake.replays == 0
            mapped = await env.mappings("Contact")
            assert set(mapped) == {str(c.id) for c in contacts}
            assert set(mapped.values()) == set(fake.customers)
            sent = fake.customers[mapped[str(contacts[0].id)]]
            assert (sent["name"], sent["email"]) == ("Contact 000", "contact000@example.org")
            assert sent["metadata"] == {"ffdesk_contact_id": str(contacts[0].id)}
            keys = {r.headers["idempotency-key"] for r in fake.requests if r.method == "POST"}
            assert len(keys) == 12  # one key per contact

            before = fake.count("POST") + fake.count("PATCH")
            again = await env.sync()
            assert again.succeeded
            assert (again.created, again.updated, again.skipped) == (0, 0, 12)
            assert fake.count("POST") + fake.count("PATCH") == before

    asyncio.run(scenario())


def test_changed_contact_sends_one_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeMollie
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            contacts = await env.add_contacts(5)
            assert (await env.sync()).created == 5
            contacts[1].email = "new.address@example.org"
            await contacts[1].save()
            outcome = await env.sync()
            assert (outcome.created, outcome.updated, outcome.skipped) == (0, 1, 4)
            assert fake.count("PATCH") == 1 and fake.updates == 1
            remote = (await env.mappings("Contact"))[str(contacts[1].id)]
            assert fake.customers[remote]["email"] == "new.address@example.org"
            assert (await env.sync()).updated == 0

    asyncio.run(scenario())


def test_customer_deleted_at_mollie_is_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeMollie
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            [contact] = await env.add_contacts(1)
            assert (await env.sync()).created == 1
            gone = (await env.mappings("Contact"))[str(contact.id)]
            with fake.lock:
                del fake.customers[gone]
            contact.name = "Changed After Deletion"
            await contact.save()
            outcome = await env.sync()
            assert outcome.succeeded, outcome.error
            assert (outcome.created, outcome.updated, outcome.failed) == (1, 0, 0)
            remote = (await env.mappings("Contact"))[str(contact.id)]
            assert remote != gone
            assert fake.customers[remote]["name"] == "Changed After Deletion"

    asyncio.run(scenario())


def test_pull_follows_next_links_and_second_run_creates_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeMollie
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            [contact] = await env.add_contacts(1)
            # Links name the real host, as Mollie's do: only their path and query are used.
            fake.link_base = "https://api.mollie.com"
            old = time.time() - 2 * 86400
            statuses = ["open", "pending", "authorized", "paid", "canceled", "expired", "failed"]
            for i in range(300):
                fake.add_payment(value=f"{i}.50", status=statuses[i % 7], created=old + i)
            fake.add_payment(value="20.00", status="paid", refunded="20.00", created=old + 400)
            fake.clear_log()

            outcome = await env.sync()
            assert outcome.succeeded, outcome.error
            assert outcome.created == 1 + 301
            pages = [r for r in fake.requests if r.path == "/v2/payments"]
            assert len(pages) == 2
            assert pages[0].arg("limit") == "250" and pages[0].arg("from") is None
            assert pages[1].arg("from") and pages[1].arg("limit") == "250"
            Transaction = env.model("PaymentTransaction")
            assert await Transaction.filter(integration=env.record.id).count() == 301
            refunded = await Transaction.filter(state="refunded").get()
            assert (refunded.amount, refunded.currency, refunded.provider_status) == (
                20.0,
                "EUR",
                "paid",
            )
            states = {
                s: (await Transaction.filter(provider_status=s).first()).state
                for s in statuses
                if s != "paid"
            }
            assert states == {
                "open": "pending",
                "pending": "pending",
                "authorized": "authorized",
                "canceled": "cancelled",
                "expired": "cancelled",
                "failed": "failed",
            }
            paid = await Transaction.filter(provider_status="paid", state="done").first()
            assert paid is not None
            assert paid.date is not None and abs(paid.date.timestamp() - old) < 400

            # Second run: the newest payment is older than the last run, so one page is read
            # and nothing is stored; a payment made since is the only one created.
            remote = (await env.mappings("Contact"))[str(contact.id)]
            fake.add_payment(value="99.99", customer_id=remote)
            fake.clear_log()
            again = await env.sync()
            assert again.succeeded, again.error
            assert (again.created, again.updated) == (1, 0)
            assert len([r for r in fake.requests if r.path == "/v2/payments"]) == 1
            # Then each payment that may still change is read again, once: open, pending,
            # authorized and paid (refundable), 172 of the 300 (the refunded one is final).
            reads = [r.path for r in fake.requests if r.path.startswith("/v2/payments/")]
            assert len(reads) == len(set(reads)) == 172
            linked = await Transaction.filter(customer_remote_id=remote).get()
            assert (linked.amount, linked.contact_id) == (Decimal("99.99"), contact.id)
            assert await Transaction.count() == 302

    asyncio.run(scenario())


def test_rate_limit_and_server_errors_are_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeMollie
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            await env.add_contacts(10)
            for i in range(260):
                fake.add_payment(value=f"{i}.00")
            # Four failures in all: even if one request meets every one of them (the workers
            # race for them), its fifth and last attempt succeeds.
            fake.fail_next(2, 429, headers={"Retry-After": "0"}, path_prefix="/v2/customers")
            fake.fail_next(2, 500, path_prefix="/v2/customers")
            fake.fail_next(4, 503, path_prefix="/v2/payments")
            outcome = await env.sync()
            assert outcome.succeeded, outcome.error
            assert (outcome.created, outcome.updated, outcome.failed) == (270, 0, 0)
            assert fake.pending_faults == 0
            assert fake.creates == 10 and len(fake.customers) == 10
            assert await env.count("PaymentTransaction") == 260

    asyncio.run(scenario())


def test_lost_answers_replay_instead_of_duplicating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeMollie
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            await env.add_contacts(6)
            fake.drop_next(2, method="POST", path_prefix="/v2/customers", after=True)
            outcome = await env.sync()
            assert outcome.succeeded, outcome.error
            assert outcome.created == 6
            assert fake.creates == 6 and fake.replays == 2

    asyncio.run(scenario())


def test_killed_run_then_rerun_makes_no_duplicate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeMollie
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            [contact] = await env.add_contacts(1)
            fake.drop_next(5, method="POST", path_prefix="/v2/customers", after=True)
            first = await env.sync()
            # The contact's answers were lost after its retries: that contact failed, the run
            # went on (one contact cannot tell an outage), and the next run replays its create.
            assert (first.state, first.created, first.failed) == ("done", 0, 1)
            row = await env.model("SyncRun").get(first.run_id)
            assert any("Mollie could not be reached" in line for line in row.log)
            assert await env.mappings("Contact") == {} and fake.creates == 1

            second = await env.sync()
            assert second.succeeded, second.error
            assert second.created == 1 and fake.creates == 1
            assert (await env.mappings("Contact"))[str(contact.id)] in fake.customers

    asyncio.run(scenario())


def test_cancel_stops_at_a_record_boundary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeMollie
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            await env.add_contacts(40)
            job = SyncJob(env.record)
            job.on_progress = lambda done, total: job.cancel() if done >= 3 else None
            outcome = await run_sync(env.record, job=job)
            assert outcome.state == "cancelled"
            assert 3 <= outcome.created < 40 and outcome.failed == 0
            # Every customer made remotely was committed with its mapper row.
            assert len(await env.mappings("Contact")) == outcome.created == fake.creates

            rest = await env.sync()
            assert rest.succeeded and rest.created == 40 - outcome.created
            assert fake.creates == 40

    asyncio.run(scenario())


def test_rejected_credentials_fail_the_run_without_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeMollie
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            await env.add_contacts(3)
            fake.api_key = "test_revokedrevokedrevokedrevoked1"
            outcome = await env.sync()
            assert outcome.state == "failed"
            assert outcome.error == (
                "Mollie rejected the credentials: Missing authentication, or failed to "
                "authenticate. Check the API key."
            )
            run = await env.model("SyncRun").get(outcome.run_id)
            assert KEY not in repr(run.read_values())
            assert fake.creates == 0
            assert env.record.last_synced_date is None

    asyncio.run(scenario())


def test_cron_method_syncs_enabled_integrations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeMollie
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            Integration = env.model("Integration")
            assert await Integration.sync_payment_mollie() == []
            await ready(env)
            await env.add_contacts(2)
            [outcome] = await Integration.sync_payment_mollie()
            assert outcome.succeeded and outcome.created == 2

    asyncio.run(scenario())


def test_fake_speaks_mollie_shapes(fake: FakeMollie) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=fake.url, headers=headers, timeout=5) as client:
        anonymous = httpx.get(f"{fake.url}/v2/methods", timeout=5)
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"] == "application/hal+json"
        assert anonymous.json()["title"] == "Unauthorized Request"
        key = {"Idempotency-Key": "k-1"}
        first = client.post("/v2/customers", json={"name": "Ada"}, headers=key)
        assert first.status_code == 201 and first.json()["id"].startswith("cst_")
        replay = client.post("/v2/customers", json={"name": "Ada"}, headers=key)
        assert replay.json()["id"] == first.json()["id"]
        assert replay.headers["idempotent-replayed"] == "true"
        other = client.post("/v2/customers", json={"name": "Bob"}, headers=key)
        assert other.status_code == 422
        bad = client.post("/v2/customers", json={"email": "not-an-email"})
        assert bad.status_code == 422 and bad.json()["field"] == "email"
        assert client.get("/v2/payments", params={"limit": 251}).status_code == 400
        for _ in range(3):
            fake.add_payment()
        page = client.get("/v2/payments", params={"limit": 2}).json()
        assert page["count"] == 2 and page["_links"]["previous"] is None
        rest = client.get(page["_links"]["next"]["href"]).json()
        assert rest["count"] == 1 and rest["_links"]["next"] is None


def test_a_payment_refunded_or_paid_after_the_first_pull_shows_so_after_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeMollie
) -> None:
    old = time.time() - 2 * 86400
    paid = fake.add_payment(value="30.00", created=old)
    waiting = fake.add_payment(value="12.00", status="open", created=old + 1)
    gone = fake.add_payment(value="5.00", status="expired", created=old + 2)

    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            assert (await env.sync()).created == 3
            fake.refund_payment(paid["id"])
            fake.set_status(waiting["id"], "paid")
            fake.clear_log()
            again = await env.sync()
            assert again.succeeded, again.error
            assert (again.created, again.updated) == (0, 2)
            Transaction = env.model("PaymentTransaction")
            states = {t.reference: t.state for t in await Transaction.all().all()}
            assert states == {
                paid["id"]: "refunded",
                waiting["id"]: "done",
                gone["id"]: "cancelled",
            }
            # An expired payment is final: it is not asked for again.
            reads = sorted(r.path for r in fake.requests if r.path.startswith("/v2/payments/"))
            assert reads == sorted(f"/v2/payments/{p['id']}" for p in (paid, waiting))

    asyncio.run(scenario())
