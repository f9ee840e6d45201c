"""payment_razorpay against FakeRazorpay: install, form, key checks, connection test and sync."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from ffdesk.sync import SyncJob, run_sync
from tests.fakes.razorpay import FakeRazorpay
from tests.helpers.provider_env import (
    BASE_FIELDS,
    ProviderEnv,
    closed_port_url,
    point_at,
    provider_env,
)

ID = "payment_razorpay"
KEY_ID = "rzp_test_1DP5mmOlF5G5ag"
SECRET = "thisIsTheKeySecret0001xy"
OWN_FIELDS = ("razorpay_key_id", "razorpay_key_secret", "sandbox_mode")


@pytest.fixture
def fake() -> Iterator[FakeRazorpay]:
    with FakeRazorpay(KEY_ID, SECRET, seed=3) as server:
        yield server


async def ready(env: ProviderEnv) -> None:
    """Valid test-mode credentials, enabled."""
    await env.set(razorpay_key_id=KEY_ID, razorpay_key_secret=SECRET, sandbox_mode=True)
    assert await env.enable() == "Enabled"


def test_installs_on_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch) as env:
            assert env.installed[-1] == ID
            assert {"online_payment", "contacts"} <= set(env.installed)
            record = env.record
            assert await record.get_state() == "Installed"
            assert record.integration_category == "Online Payment"
            assert record.cron_sync_method == "sync_payment_razorpay"
            assert record.image and record.image.endswith("razorpay_logo.svg")
            assert Path(record.image).is_file()
            job = await env.model("CronJob").filter(identifier="payment_razorpay_sync").get()
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
            assert form["razorpay_key_id"].required and form["razorpay_key_id"].company_scoped
            assert form["razorpay_key_secret"].widget == "Password"
            assert form["razorpay_key_secret"].required and form["razorpay_key_secret"].secret
            assert form["sandbox_mode"].widget == "Checkbox"
            assert env.record.sandbox_mode is True  # test mode until the user says otherwise

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, "Please enter your Razorpay Key ID"),
        ({"razorpay_key_id": "sk_test_abc"}, "must start with rzp_test_ or rzp_live_"),
        (
            {"razorpay_key_id": "rzp_live_abc", "razorpay_key_secret": "s"},
            "Live Mode key (rzp_live_...) but Sandbox Mode is on: turn Sandbox Mode off",
        ),
        (
            {"razorpay_key_id": "rzp_test_abc", "razorpay_key_secret": "s", "sandbox_mode": False},
            "Test Mode key (rzp_test_...) but Sandbox Mode is off: turn Sandbox Mode on",
        ),
        ({"razorpay_key_id": "rzp_test_abc"}, "Please enter the Razorpay Key Secret"),
    ],
)
def test_enable_checks_keys_in_razorpay_terms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, values: dict, expected: str
) -> None:
    async def scenario() -> None:
        # No server: every case must be refused before any call is made.
        async with provider_env(tmp_path, ID, monkeypatch, closed_port_url()) as env:
            await env.set(**values)
            with pytest.raises(Exception) as caught:
                await env.enable()
            assert expected in str(caught.value)
            assert type(caught.value).__name__ == "UserError"
            assert await env.record.get_state() == "Installed"

    asyncio.run(scenario())


def test_check_connection_ok_rejected_unreachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeRazorpay
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await env.set(razorpay_key_id=KEY_ID, razorpay_key_secret=SECRET)
            result = await env.test()
            assert (result.outcome, result.message) == ("ok", "Connected to Razorpay (Test Mode).")
            assert fake.requests[-1].target == "/v1/payments?count=1"

            await env.set(razorpay_key_secret="not-the-secret")
            result = await env.test()
            assert result.outcome == "rejected"
            assert "Razorpay rejected the credentials" in result.message
            assert "Check the Key ID and Key Secret" in result.message
            assert "not-the-secret" not in result.message
            with pytest.raises(Exception, match="rejected the credentials"):
                await env.enable()

            point_at(monkeypatch, ID, closed_port_url())
            await env.set(razorpay_key_secret=SECRET)
            result = await env.test()
            assert result.outcome == "unreachable"
            assert "Razorpay could not be reached" in result.message

    asyncio.run(scenario())


def test_push_creates_customers_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeRazorpay
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            contacts = await env.add_contacts(12, phone="+91 98765-43210")
            outcome = await env.sync()
            assert outcome.succeeded, outcome.error
            assert (outcome.created, outcome.updated, outcome.failed) == (12, 0, 0)
            assert fake.creates == 12 and fake.existing == 0
            mapped = await env.mappings("Contact")
            assert set(mapped) == {str(c.id) for c in contacts}
            assert set(mapped.values()) == set(fake.customers)
            sent = fake.customers[mapped[str(contacts[0].id)]]
            assert sent["name"] == "Contact 000"
            assert sent["email"] == "contact000@example.org"
            assert sent["contact"] == "+919876543210"  # spaces and dashes dropped
            assert sent["notes"] == {"ffdesk_contact_id": str(contacts[0].id)}
            creates = [r for r in fake.requests if r.method == "POST"]
            assert all(r.json["fail_existing"] == "0" for r in creates)

            before = fake.count("POST") + fake.count("PUT")
            again = await env.sync()
            assert again.succeeded
            assert (again.created, again.updated, again.skipped) == (0, 0, 12)
            assert fake.count("POST") + fake.count("PUT") == before

    asyncio.run(scenario())


def test_changed_contact_sends_one_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeRazorpay
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            contacts = await env.add_contacts(5)
            assert (await env.sync()).created == 5
            contacts[2].name = "Renamed Person"
            await contacts[2].save()
            outcome = await env.sync()
            assert (outcome.created, outcome.updated, outcome.skipped) == (0, 1, 4)
            assert fake.count("PUT") == 1 and fake.updates == 1
            remote = (await env.mappings("Contact"))[str(contacts[2].id)]
            assert fake.customers[remote]["name"] == "Renamed Person"
            assert (await env.sync()).updated == 0

    asyncio.run(scenario())


def test_pull_pages_payments_and_second_run_creates_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeRazorpay
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            [contact] = await env.add_contacts(1)
            # The customer already exists at Razorpay (same email): fail_existing=0 links it.
            customer = fake.add_customer(name="Contact 000", email="contact000@example.org")["id"]
            old = int(time.time()) - 2 * 86400
            statuses = ["created", "authorized", "captured", "refunded", "failed"]
            for i in range(230):
                fake.add_payment(amount=10000 + i, status=statuses[i % 5], created_at=old + i)
            fake.add_payment(amount=123456, customer_id=customer, created_at=old + 500)
            fake.add_payment(amount=5000, currency="JPY", created_at=old + 501)
            fake.clear_log()

            outcome = await env.sync()
            assert outcome.succeeded, outcome.error
            assert (outcome.created, outcome.skipped) == (1 + 232, 0)
            assert (fake.creates, fake.existing) == (0, 1)
            assert (await env.mappings("Contact"))[str(contact.id)] == customer
            pages = [r for r in fake.requests if r.path == "/v1/payments"]
            assert [r.arg("skip") for r in pages] == ["0", "100", "200"]
            assert all(r.arg("count") == "100" and r.arg("to") for r in pages)
            Transaction = env.model("PaymentTransaction")
            assert await Transaction.filter(integration=env.record.id).count() == 232
            linked = await Transaction.filter(customer_remote_id=customer).get()
            assert (linked.amount, linked.currency, linked.state) == (
                Decimal("1234.56"),
                "INR",
                "done",
            )
            assert linked.contact_id == contact.id
            assert (await Transaction.filter(currency="JPY").get()).amount == 5000.0
            by_status = {s: await Transaction.filter(provider_status=s).first() for s in statuses}
            assert {s: t.state for s, t in by_status.items()} == {
                "created": "pending",
                "authorized": "authorized",
                "captured": "done",
                "refunded": "refunded",
                "failed": "failed",
            }
            assert len(await env.mappings("PaymentTransaction")) == 232

            fake.clear_log()
            again = await env.sync()
            assert again.succeeded and again.created == 0
            [page] = [r for r in fake.requests if r.path == "/v1/payments"]
            assert int(page.arg("from")) > old + 501  # only what is new since the last run
            assert await Transaction.count() == 232

    asyncio.run(scenario())


def test_rate_limit_and_server_errors_are_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeRazorpay
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            await env.add_contacts(10)
            for i in range(120):
                fake.add_payment(amount=100 + i)
            fake.fail_next(3, 429, headers={"Retry-After": "0"}, path_prefix="/v1/customers")
            fake.fail_next(4, 503, path_prefix="/v1/payments")
            fake.fail_next(2, 502, path_prefix="/v1/customers")
            outcome = await env.sync()
            assert outcome.succeeded, outcome.error
            assert (outcome.created, outcome.updated, outcome.failed) == (130, 0, 0)
            assert fake.pending_faults == 0
            assert fake.creates == 10 and len(fake.customers) == 10
            assert await env.count("PaymentTransaction") == 120

    asyncio.run(scenario())


def test_lost_answers_do_not_duplicate_customers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeRazorpay
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            await env.add_contacts(6)
            # Razorpay creates the customer, the answer is lost, the client retries:
            # fail_existing=0 answers the customer already made.
            fake.drop_next(2, method="POST", path_prefix="/v1/customers", after=True)
            outcome = await env.sync()
            assert outcome.succeeded, outcome.error
            assert outcome.created == 6
            assert fake.creates == 6 and fake.existing == 2
            assert len(set((await env.mappings("Contact")).values())) == 6

    asyncio.run(scenario())


def test_killed_run_then_rerun_maps_the_same_customer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeRazorpay
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            [contact] = await env.add_contacts(1, phone="+919812345678")
            # Every attempt reaches Razorpay and every answer is lost: like a run killed
            # between the remote create and the local commit.
            fake.drop_next(5, method="POST", path_prefix="/v1/customers", after=True)
            first = await env.sync()
            # The contact's answers were lost after its retries: that contact failed, the run
            # went on (one contact cannot tell an outage), and the next run replays its create.
            assert (first.state, first.created, first.failed) == ("done", 0, 1)
            row = await env.model("SyncRun").get(first.run_id)
            assert any("Razorpay could not be reached" in line for line in row.log)
            assert await env.mappings("Contact") == {}
            assert fake.creates == 1

            second = await env.sync()
            assert second.succeeded, second.error
            assert second.created == 1
            assert fake.creates == 1  # the existing customer was answered, not a new one
            assert (await env.mappings("Contact"))[str(contact.id)] in fake.customers

    asyncio.run(scenario())


def test_two_contacts_with_the_same_email_and_phone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeRazorpay
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            Contact = env.model("Contact")
            cid = env.system.env.cid
            for name in ("First Twin", "Second Twin"):
                await Contact.create(name=name, email="twin@example.org", company=cid)
            outcome = await env.sync()
            assert (outcome.created, outcome.failed) == (1, 1)
            assert fake.creates == 1
            run = await env.model("SyncRun").get(outcome.run_id)
            assert any("one customer per email and phone" in line for line in run.log)

    asyncio.run(scenario())


def test_cancel_stops_at_a_record_boundary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeRazorpay
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
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeRazorpay
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            await env.add_contacts(3)
            fake.key_secret = "rotated-on-the-dashboard"  # the stored secret no longer works
            outcome = await env.sync()
            assert outcome.state == "failed"
            assert outcome.error == (
                "Razorpay rejected the credentials: Authentication failed. "
                "Check the Key ID and Key Secret."
            )
            run = await env.model("SyncRun").get(outcome.run_id)
            assert SECRET not in repr(run.read_values())
            assert fake.creates == 0
            assert env.record.last_synced_date is None

    asyncio.run(scenario())


def test_cron_method_syncs_enabled_integrations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeRazorpay
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            Integration = env.model("Integration")
            assert await Integration.sync_payment_razorpay() == []  # nothing enabled yet
            await ready(env)
            await env.add_contacts(2)
            [outcome] = await Integration.sync_payment_razorpay()
            assert outcome.succeeded and outcome.created == 2

    asyncio.run(scenario())


def test_fake_speaks_razorpay_shapes(fake: FakeRazorpay) -> None:
    with httpx.Client(base_url=fake.url, auth=(KEY_ID, SECRET), timeout=5) as client:
        anonymous = httpx.get(f"{fake.url}/v1/payments", timeout=5)
        assert anonymous.status_code == 401
        assert anonymous.json()["error"]["code"] == "BAD_REQUEST_ERROR"
        body = {"name": "Gaurav Kumar", "email": "gaurav.kumar@example.com"}
        first = client.post("/v1/customers", json=body)
        assert first.status_code == 200 and first.json()["id"].startswith("cust_")
        refused = client.post("/v1/customers", json=body)  # fail_existing defaults to "1"
        assert refused.status_code == 400
        assert refused.json()["error"]["description"] == "Customer already exists for the merchant"
        again = client.post("/v1/customers", json={**body, "fail_existing": "0"})
        assert again.json()["id"] == first.json()["id"]
        extra = client.post("/v1/customers", json={**body, "phone": "1"})
        assert "phone is/are not required" in extra.json()["error"]["description"]
        too_many = client.get("/v1/payments", params={"count": 101})
        assert too_many.status_code == 400 and too_many.json()["error"]["field"] == "count"
        assert client.get("/v1/payments").json() == {
            "entity": "collection",
            "count": 0,
            "items": [],
        }


def test_a_payment_refunded_or_captured_after_the_first_pull_shows_so_after_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeRazorpay
) -> None:
    old = int(time.time()) - 2 * 86400
    paid = fake.add_payment(amount=20000, created_at=old)
    held = fake.add_payment(amount=5000, status="authorized", created_at=old + 1)
    kept = fake.add_payment(amount=700, created_at=old + 2)

    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            assert (await env.sync()).created == 3
            fake.refund_payment(paid["id"])
            fake.capture_payment(held["id"])
            fake.clear_log()
            again = await env.sync()
            assert again.succeeded, again.error
            assert (again.created, again.updated, again.skipped) == (0, 2, 1)
            Transaction = env.model("PaymentTransaction")
            states = {t.reference: t.state for t in await Transaction.all().all()}
            assert states == {paid["id"]: "refunded", held["id"]: "done", kept["id"]: "done"}
            # Each one that could still change was asked for by id (the list only brings new).
            reads = sorted(r.path for r in fake.requests if r.path.startswith("/v1/payments/"))
            assert reads == sorted(f"/v1/payments/{p['id']}" for p in (paid, held, kept))

    asyncio.run(scenario())
