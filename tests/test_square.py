"""payment_square against FakeSquare: install, form, token checks, connection test and sync."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ffdesk.sync import SyncJob, run_sync
from tests.fakes.square import FakeSquare
from tests.helpers.provider_env import (
    BASE_FIELDS,
    ProviderEnv,
    closed_port_url,
    env_prefix,
    point_at,
    provider_env,
)

ID = "payment_square"
TOKEN = "EAAAEOuLQObrVwJvCvoio0H13JB5ZBdf0zqjL8AQRoz7-KIVn7g8kOzmrUH1pHOU"
OWN_FIELDS = ("square_access_token", "square_location_id", "sandbox_mode")


@pytest.fixture
def fake() -> Iterator[FakeSquare]:
    with FakeSquare(TOKEN, seed=11) as server:
        yield server


async def ready(env: ProviderEnv, **values: object) -> None:
    """A valid sandbox access token, enabled."""
    await env.set(square_access_token=TOKEN, sandbox_mode=True, **values)
    assert await env.enable() == "Enabled"


def test_installs_on_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch) as env:
            assert env.installed[-1] == ID
            assert {"online_payment", "contacts"} <= set(env.installed)
            record = env.record
            assert await record.get_state() == "Installed"
            assert record.integration_category == "Online Payment"
            assert record.cron_sync_method == "sync_payment_square"
            assert record.image and Path(record.image).name == "square_logo.svg"
            assert Path(record.image).is_file()
            job = await env.model("CronJob").filter(identifier="payment_square_sync").get()
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
            token = form["square_access_token"]
            assert (token.widget, token.required, token.secret, token.company_scoped) == (
                "Password",
                True,
                True,
                True,
            )
            location = form["square_location_id"]
            assert (location.widget, location.required, location.secret) == ("Text", False, False)
            assert form["sandbox_mode"].widget == "Checkbox"
            assert env.record.sandbox_mode is True

    asyncio.run(scenario())


def test_sandbox_mode_picks_the_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch) as env:
            monkeypatch.delenv(f"{env_prefix(ID)}_API_BASE", raising=False)
            await env.set(square_access_token=TOKEN)
            for sandbox, host in (
                (True, "https://connect.squareupsandbox.com"),
                (False, "https://connect.squareup.com"),
            ):
                await env.set(sandbox_mode=sandbox)
                client = env.record._square_client()
                try:
                    assert str(client.base_url).rstrip("/") == host
                finally:
                    await client.aclose()

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, "Please enter your Square Access Token"),
        ({"square_access_token": "sandbox-sq0idb-abcdef"}, "That is the Application ID"),
        ({"square_access_token": "sq0idp-abcdef"}, "That is the Application ID"),
        ({"square_access_token": "sq0csp-abcdef"}, "That is the Application secret"),
        ({"square_access_token": "Bearer EAAAabc"}, "without 'Bearer' or spaces"),
        (
            {"square_access_token": "EAAAabc", "square_location_id": "L8-not valid"},
            "Location ID has letters and digits only",
        ),
    ],
)
def test_enable_checks_the_token_in_square_terms(
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
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeSquare
) -> None:
    async def scenario() -> None:
        fake.locations.append({"id": "LQ1ZKNB2SK3HX", "name": "Harbour Shop"})
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await env.set(square_access_token=TOKEN)
            result = await env.test()
            assert result.outcome == "ok"
            assert result.message == (
                "Connected to Square (Sandbox). Locations: Default Test Account "
                "(L88917AVBK2S5), Harbour Shop (LQ1ZKNB2SK3HX)."
            )
            assert fake.log[-1] == ("GET", "/v2/locations")
            assert fake.versions[-1] == "2024-06-04"

            await env.set(square_location_id="LNOTMINE0001")
            result = await env.test()
            assert result.outcome == "rejected"
            assert result.message.startswith(
                "Location LNOTMINE0001 is not a location of this Square account (its "
                "locations: Default Test Account (L88917AVBK2S5), Harbour Shop"
            )
            await env.set(square_location_id="LQ1ZKNB2SK3HX")
            assert (await env.test()).ok

            await env.set(square_access_token="EAAAprodTokenThatTheSandboxDoesNotKnow")
            result = await env.test()
            assert result.outcome == "rejected"
            assert result.message == (
                "Square rejected the credentials: This request could not be authorized. "
                "Check the access token. Square Sandbox accepts only its own access tokens: "
                "if this is a Production access token, turn Sandbox Mode off."
            )
            with pytest.raises(Exception, match="rejected the credentials"):
                await env.enable()

            point_at(monkeypatch, ID, closed_port_url())
            await env.set(square_access_token=TOKEN)
            result = await env.test()
            assert result.outcome == "unreachable"
            assert "Square could not be reached" in result.message

    asyncio.run(scenario())


def test_push_creates_customers_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeSquare
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            contacts = await env.add_contacts(12, phone="+1 (555) 010-9999")
            contacts[0].name = "Ada King Lovelace"
            await contacts[0].save()
            outcome = await env.sync()
            assert outcome.succeeded, outcome.error
            assert (outcome.created, outcome.updated, outcome.failed) == (12, 0, 0)
            assert fake.creates == 12 and fake.replays == 0
            mapped = await env.mappings("Contact")
            assert set(mapped) == {str(c.id) for c in contacts}
            assert set(mapped.values()) == set(fake.customers)
            sent = fake.customers[mapped[str(contacts[0].id)]]
            assert (sent["given_name"], sent["family_name"]) == ("Ada", "King Lovelace")
            assert sent["email_address"] == "contact000@example.org"
            assert sent["phone_number"] == "+1 (555) 010-9999"
            assert sent["reference_id"].endswith(f"-contact-{contacts[0].id}")
            creates = [r.json for r in fake.requests if r.path == "/v2/customers"]
            assert len({c["idempotency_key"] for c in creates}) == 12
            assert all(len(c["idempotency_key"]) <= 45 for c in creates)
            assert set(fake.versions) == {"2024-06-04"}

            before = fake.count("POST") + fake.count("PUT")
            again = await env.sync()
            assert again.succeeded
            assert (again.created, again.updated, again.skipped) == (0, 0, 12)
            assert fake.count("POST") + fake.count("PUT") == before

    asyncio.run(scenario())


def test_changed_contact_sends_one_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeSquare
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            contacts = await env.add_contacts(5, phone="+15550100000")
            assert (await env.sync()).created == 5
            contacts[3].name = "Grace Hopper"
            contacts[3].phone = None
            await contacts[3].save()
            outcome = await env.sync()
            assert (outcome.created, outcome.updated, outcome.skipped) == (0, 1, 4)
            assert fake.count("PUT") == 1 and fake.updates == 1
            remote = fake.customers[(await env.mappings("Contact"))[str(contacts[3].id)]]
            assert (remote["given_name"], remote["family_name"]) == ("Grace", "Hopper")
            assert "phone_number" not in remote  # cleared with null
            assert (await env.sync()).updated == 0

    asyncio.run(scenario())


def test_customer_deleted_at_square_is_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeSquare
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
            assert remote != gone and fake.creates == 2
            assert fake.customers[remote]["family_name"] == "After Deletion"
            keys = [r.json["idempotency_key"] for r in fake.requests if r.path == "/v2/customers"]
            assert len(set(keys)) == 2 and all(len(k) <= 45 for k in keys)

    asyncio.run(scenario())


def test_pull_pages_with_cursor_and_second_run_creates_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeSquare
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            [contact] = await env.add_contacts(1)
            old = time.time() - 2 * 86400
            statuses = ["APPROVED", "PENDING", "COMPLETED", "CANCELED", "FAILED"]
            for i in range(248):
                fake.add_payment(amount=1000 + i, status=statuses[i % 5], created=old + i)
            fake.add_payment(amount=2500, refunded=2500, created=old + 300, note="Returned")
            fake.add_payment(amount=700, currency="JPY", created=old + 301)
            fake.add_payment(amount=900, location_id="LQ1ZKNB2SK3HX", created=old + 302)
            fake.clear_log()

            outcome = await env.sync()
            assert outcome.succeeded, outcome.error
            assert outcome.created == 1 + 251
            pages = [r for r in fake.requests if r.path == "/v2/payments"]
            assert len(pages) == 3
            assert [bool(r.arg("cursor")) for r in pages] == [False, True, True]
            assert all(r.arg("sort_order") == "ASC" and r.arg("limit") == "100" for r in pages)
            assert pages[0].arg("begin_time") is None  # first run: Square's default window
            Transaction = env.model("PaymentTransaction")
            assert await Transaction.filter(integration=env.record.id).count() == 251
            refunded = await Transaction.filter(state="refunded").get()
            assert (refunded.amount, refunded.currency, refunded.description) == (
                25.0,
                "USD",
                "Returned",
            )
            assert (await Transaction.filter(currency="JPY").get()).amount == 700.0
            states = {
                s: (await Transaction.filter(provider_status=s).first()).state for s in statuses
            }
            assert states == {
                "APPROVED": "authorized",
                "PENDING": "pending",
                "COMPLETED": "done",
                "CANCELED": "cancelled",
                "FAILED": "failed",
            }

            remote = (await env.mappings("Contact"))[str(contact.id)]
            fake.add_payment(amount=4200, customer_id=remote)
            fake.clear_log()
            again = await env.sync()
            assert again.succeeded, again.error
            assert (again.created, again.updated) == (1, 0)
            [page] = [r for r in fake.requests if r.path == "/v2/payments"]
            assert page.arg("begin_time", "").endswith("Z")
            linked = await Transaction.filter(customer_remote_id=remote).get()
            assert (linked.amount, linked.contact_id) == (42.0, contact.id)
            assert await Transaction.count() == 252

    asyncio.run(scenario())


def test_location_id_limits_the_pull(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeSquare
) -> None:
    async def scenario() -> None:
        fake.locations.append({"id": "LQ1ZKNB2SK3HX", "name": "Harbour Shop"})
        for _ in range(3):
            fake.add_payment(location_id="LQ1ZKNB2SK3HX")
        fake.add_payment(location_id="L88917AVBK2S5")
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env, square_location_id="LQ1ZKNB2SK3HX")
            outcome = await env.sync()
            assert outcome.succeeded and outcome.created == 3
            [page] = [r for r in fake.requests if r.path == "/v2/payments"]
            assert page.arg("location_id") == "LQ1ZKNB2SK3HX"

    asyncio.run(scenario())


def test_rate_limit_and_server_errors_are_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeSquare
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            await env.add_contacts(10)
            for i in range(150):
                fake.add_payment(amount=100 + i)
            fake.fail_next(3, 429, headers={"Retry-After": "0"}, path_prefix="/v2/customers")
            fake.fail_next(2, 500, path_prefix="/v2/customers")
            fake.fail_next(4, 503, path_prefix="/v2/payments")
            outcome = await env.sync()
            assert outcome.succeeded, outcome.error
            assert (outcome.created, outcome.updated, outcome.failed) == (160, 0, 0)
            assert fake.pending_faults == 0
            assert fake.creates == 10 and len(fake.customers) == 10
            assert await env.count("PaymentTransaction") == 150

    asyncio.run(scenario())


def test_lost_answers_replay_instead_of_duplicating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeSquare
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


def test_killed_run_then_changed_contact_adopts_the_customer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeSquare
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
            assert any("Square could not be reached" in line for line in row.log)
            assert await env.mappings("Contact") == {} and fake.creates == 1

            # Changed before the re-run: the same idempotency key now comes with other data,
            # Square refuses it, and the customer is found by its reference_id instead.
            contact.name = "Changed Meanwhile"
            await contact.save()
            second = await env.sync()
            assert second.succeeded, second.error
            assert second.created == 1
            assert fake.creates == 1 and fake.searches == 1
            remote = (await env.mappings("Contact"))[str(contact.id)]
            assert fake.customers[remote]["given_name"] == "Changed"
            assert fake.customers[remote]["family_name"] == "Meanwhile"

    asyncio.run(scenario())


def test_invalid_contact_is_one_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeSquare
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            await env.add_contacts(3)
            Contact = env.model("Contact")
            await Contact.create(name="Bad Phone", phone="12", company=env.system.env.cid)
            outcome = await env.sync()
            assert (outcome.created, outcome.failed) == (3, 1)
            run = await env.model("SyncRun").get(outcome.run_id)
            assert any(
                "Bad Phone" in line and "Expected phone_number to be a valid phone number" in line
                for line in run.log
            )

    asyncio.run(scenario())


def test_cancel_stops_at_a_record_boundary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeSquare
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
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeSquare
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            await env.add_contacts(3)
            fake.access_token = "EAAArevokedRevokedRevokedRevoked"
            outcome = await env.sync()
            assert outcome.state == "failed"
            assert outcome.error is not None
            assert outcome.error.startswith(
                "Square rejected the credentials: This request could not be authorized. "
                "Check the access token."
            )
            run = await env.model("SyncRun").get(outcome.run_id)
            assert TOKEN not in repr(run.read_values())
            assert fake.creates == 0
            assert env.record.last_synced_date is None

    asyncio.run(scenario())


def test_cron_method_syncs_enabled_integrations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeSquare
) -> None:
    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            Integration = env.model("Integration")
            assert await Integration.sync_payment_square() == []
            await ready(env)
            await env.add_contacts(2)
            [outcome] = await Integration.sync_payment_square()
            assert outcome.succeeded and outcome.created == 2

    asyncio.run(scenario())


def test_fake_speaks_square_shapes(fake: FakeSquare) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}", "Square-Version": "2024-06-04"}
    with httpx.Client(base_url=fake.url, headers=headers, timeout=5) as client:
        anonymous = httpx.get(f"{fake.url}/v2/locations", timeout=5)
        assert anonymous.status_code == 401
        assert anonymous.json()["errors"][0]["category"] == "AUTHENTICATION_ERROR"
        body = {"idempotency_key": "k-1", "given_name": "Ada"}
        first = client.post("/v2/customers", json=body)
        assert first.status_code == 200 and first.json()["customer"]["version"] == 0
        assert client.post("/v2/customers", json=body).json() == first.json()
        reused = client.post("/v2/customers", json={**body, "given_name": "Bob"})
        assert reused.status_code == 400
        assert reused.json()["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
        empty = client.post("/v2/customers", json={"idempotency_key": "k-2"})
        assert empty.json()["errors"][0]["code"] == "MISSING_REQUIRED_PARAMETER"
        assert client.get("/v2/payments").json() == {}
        assert client.get("/v2/payments", params={"limit": 101}).status_code == 400
        for _ in range(3):
            fake.add_payment()
        page = client.get("/v2/payments", params={"limit": 2}).json()
        assert len(page["payments"]) == 2 and page["cursor"]
        rest = client.get("/v2/payments", params={"limit": 2, "cursor": page["cursor"]}).json()
        assert len(rest["payments"]) == 1 and "cursor" not in rest
        mismatch = client.get("/v2/payments", params={"limit": 3, "cursor": page["cursor"]})
        assert mismatch.json()["errors"][0]["code"] == "INVALID_CURSOR"


def test_a_contact_square_refuses_fails_alone_without_a_search(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeSquare
) -> None:
    """Only IDEMPOTENCY_KEY_REUSED means "adopt the customer made before"; another 400 is
    that contact's failure, told by Square's error code rather than the status."""

    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            await env.add_contacts(3)
            fake.fail_next(
                1,
                400,
                {
                    "errors": [
                        {
                            "category": "INVALID_REQUEST_ERROR",
                            "code": "INVALID_EMAIL_ADDRESS",
                            "detail": "Expected email_address to be a valid email address.",
                        }
                    ]
                },
                method="POST",
                path_prefix="/v2/customers",
            )
            outcome = await env.sync()
            assert (outcome.created, outcome.failed) == (2, 1)
            assert fake.count("POST", "/v2/customers/search") == 0

    asyncio.run(scenario())


def test_a_payment_refunded_after_the_first_pull_shows_refunded_after_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeSquare
) -> None:
    old = time.time() - 2 * 86400
    paid = fake.add_payment(amount=4500, created=old)
    partly = fake.add_payment(amount=1000, created=old + 1)

    async def scenario() -> None:
        async with provider_env(tmp_path, ID, monkeypatch, fake.url) as env:
            await ready(env)
            assert (await env.sync()).created == 2
            fake.refund_payment(paid["id"])
            fake.refund_payment(partly["id"], 400)
            again = await env.sync()
            assert again.succeeded, again.error
            assert (again.created, again.updated, again.skipped) == (0, 1, 1)
            Transaction = env.model("PaymentTransaction")
            states = {t.reference: t.state for t in await Transaction.all().all()}
            # A partial refund leaves the payment done.
            assert states == {paid["id"]: "refunded", partly["id"]: "done"}

    asyncio.run(scenario())
