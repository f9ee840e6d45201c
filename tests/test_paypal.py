"""payment_paypal against the local fake PayPal: install, form, enable, test, sync, tokens."""

from __future__ import annotations

import asyncio
import itertools
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from ffdesk.api import open_system
from ffdesk.engine.errors import UserError
from ffdesk.engine.system import System
from ffdesk.services import integrations as actions
from ffdesk.sync import TOKEN_CACHE, RetryPolicy, run_sync
from tests.fakes.harness import FakeServer
from tests.fakes.paypal import DEFAULT_CLIENT_ID, DEFAULT_SECRET, FakePayPal
from tests.helpers.database import database_url, stored_bytes

ID = "payment_paypal"
FAST = {"Retry-After": "0"}  # injected 429/5xx answers ask for an immediate retry


@pytest.fixture
def paypal(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePayPal]:
    with FakePayPal(seed=3) as fake:
        monkeypatch.setenv("FFDESK_PAYMENT_PAYPAL_API_BASE", fake.url)
        monkeypatch.setenv("FFDESK_PAYMENT_PAYPAL_RATE_LIMIT", "0")
        yield fake


def code() -> ModuleType:
    """The installed module's code (imported as ffdesk.addons.payment_paypal)."""
    return sys.modules["ffdesk.addons.payment_paypal.models.integration"]


async def opened(tmp_path: Path, *modules: str) -> System:
    system = await open_system(database_url(tmp_path / "x.db"))
    for identifier in modules:
        await system.install_module(identifier)
    return system


async def configured(system: System, *, enable: bool = True, **values: Any) -> Any:
    record = await system.integration(ID)
    record.paypal_client_id = values.pop("client_id", DEFAULT_CLIENT_ID)
    record.paypal_client_secret = values.pop("secret", DEFAULT_SECRET)
    for name, value in values.items():
        setattr(record, name, value)
    await record.save()
    if enable:
        assert await actions.enable(record) == "Enabled"
    return record


def searches(fake: FakePayPal) -> list[dict[str, str]]:
    """Query parameters of every Transaction Search request, in order."""
    with fake.lock:
        return [
            {k: v[0] for k, v in r.query.items()}
            for r in fake.requests
            if r.path == "/v1/reporting/transactions"
        ]


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


# -- install and form ----------------------------------------------------------------------


def test_installs_with_only_its_dependencies(tmp_path: Path) -> None:
    async def scenario() -> None:
        system = await opened(tmp_path)
        try:
            added = await system.install_module(ID)
            assert set(added) == {"contacts", "online_payment", ID}
            for other in ("payment_stripe", "shipping_ups", "messaging"):
                assert not system.is_installed(other)
            record = await system.integration(ID)
            assert record.integration_category == "Online Payment"
            assert record.cron_sync_method == "sync_payment_paypal"
            assert await record.get_state() == "Installed"
            CronJob = system.get_model("CronJob")
            job = await CronJob.filter(identifier="payment_paypal_sync").get()
            assert (job.model, job.method, job.active) == (
                "Integration",
                "sync_payment_paypal",
                True,
            )
            assert record.sandbox_mode is True and record.paypal_history_days == 31
        finally:
            await system.close()

    asyncio.run(scenario())


def test_form_shows_only_paypal_fields(tmp_path: Path) -> None:
    async def scenario() -> None:
        system = await opened(tmp_path, ID, "payment_stripe", "shipping_ups")
        try:
            record = await system.integration(ID)
            form = {f.name: f for f in system.env.form(record) if f.visible}
            own = ["paypal_client_id", "paypal_client_secret", "sandbox_mode"]
            assert [n for n in form if n.startswith("paypal_") or n == "sandbox_mode"] == [
                *own,
                "paypal_history_days",
            ]
            assert not {"secret_key", "publishable_key", "webhook_secret"} & form.keys()
            assert not {n for n in form if n.startswith("ups_")}
            assert form["paypal_client_secret"].widget == "Password"
            assert form["paypal_client_id"].required and form["paypal_client_secret"].required
            assert not form["sandbox_mode"].required
            visible = [f.name for f in system.env.form(record) if f.visible]
            assert visible.count("sandbox_mode") == 1
            stripe = await system.integration("payment_stripe")
            stripe_form = {f.name for f in system.env.form(stripe) if f.visible}
            assert not {n for n in stripe_form if n.startswith("paypal_")}
        finally:
            await system.close()

    asyncio.run(scenario())


def test_secrets_stay_out_of_the_database(tmp_path: Path, paypal: FakePayPal) -> None:
    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            record = await configured(system, enable=False)
            rows = actions.form_rows(system, record)
            shown = {r["name"]: r["value"] for r in rows}
            assert shown["paypal_client_secret"] == "set"
        finally:
            await system.close()
        data = stored_bytes(tmp_path / "x.db")
        assert DEFAULT_SECRET.encode() not in data
        assert DEFAULT_CLIENT_ID.encode() not in data

    asyncio.run(scenario())


# -- enable validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"client_id": "", "secret": ""}, "Please enter your PayPal Client ID before enabling."),
        ({"secret": ""}, "Please enter your PayPal Secret before enabling."),
        ({"client_id": "AbC123"}, "The PayPal Client ID looks incomplete"),
        ({"client_id": "AeFfdesk Sandbox ClientId 0000000000"}, "without spaces"),
        ({"secret": "short"}, "The PayPal Secret looks incomplete"),
        ({"secret": DEFAULT_CLIENT_ID}, "The PayPal Client ID and Secret are the same"),
        ({"paypal_history_days": 0}, "History (days) must be between 1 and 1095"),
        ({"paypal_history_days": 2000}, "History (days) must be between 1 and 1095"),
    ],
)
def test_enable_validates_credentials(
    tmp_path: Path, paypal: FakePayPal, values: dict[str, Any], message: str
) -> None:
    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            record = await configured(system, enable=False, **values)
            with pytest.raises(UserError) as caught:
                await actions.enable(record)
            assert message in str(caught.value)
            assert await record.get_state() == "Installed"
            assert paypal.token_requests == 0  # refused before asking PayPal
        finally:
            await system.close()

    asyncio.run(scenario())


def test_enable_refuses_credentials_paypal_rejects(tmp_path: Path, paypal: FakePayPal) -> None:
    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            record = await configured(system, enable=False, secret="EWrongSecret00000000000000000")
            with pytest.raises(UserError) as caught:
                await actions.enable(record)
            assert "Client Authentication failed" in str(caught.value)
            assert not record.enabled
        finally:
            await system.close()

    asyncio.run(scenario())


# -- connection test -------------------------------------------------------------------------


def test_check_connection_ok_rejected_unreachable(
    tmp_path: Path, paypal: FakePayPal, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "EWrongSecret0000000000000000000000"

    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            record = await configured(system, enable=False)
            result = await actions.test_connection(record)
            assert (result.outcome, result.message) == ("ok", "Connected to PayPal (sandbox mode).")

            record.paypal_client_secret = wrong
            await record.save()
            result = await actions.test_connection(record)
            assert result.outcome == "rejected"
            assert "Client Authentication failed" in result.message
            assert "Sandbox Mode is on" in result.message
            assert wrong not in result.message

            record.sandbox_mode = False
            await record.save()
            result = await actions.test_connection(record)
            assert "Sandbox Mode is off" in result.message

            # A 5xx burst longer than the retries.
            record.paypal_client_secret = DEFAULT_SECRET
            record.sandbox_mode = True
            await record.save()
            paypal.fail_next(5, 503, headers=FAST, path_prefix="/v1/oauth2/token")
            result = await actions.test_connection(record)
            assert result.outcome == "unreachable"
            assert "HTTP 503" in result.message

            # Nobody listening.
            monkeypatch.setattr(RetryPolicy, "backoff", lambda self, retry, rng=None: 0.0)
            closed = FakeServer().start()
            url = closed.url
            closed.stop()
            monkeypatch.setenv("FFDESK_PAYMENT_PAYPAL_API_BASE", url)
            result = await actions.test_connection(record)
            assert result.outcome == "unreachable"
            assert "could not connect" in result.message
        finally:
            await system.close()

    asyncio.run(scenario())


# -- sync ------------------------------------------------------------------------------------


def test_sync_creates_transactions_with_mappings(tmp_path: Path, paypal: FakePayPal) -> None:
    now = datetime.now(UTC)
    seeded = [
        paypal.add_transaction("25.00", "USD", "S", now - timedelta(days=1), subject="Order 1",
                               payer_email="ada@example.com"),
        paypal.add_transaction("12.50", "EUR", "P", now - timedelta(days=2)),
        paypal.add_transaction("-5.00", "USD", "V", now - timedelta(days=3), invoice_id="INV-7"),
        paypal.add_transaction("99.99", "GBP", "D", now - timedelta(days=4)),
    ]  # fmt: skip
    paypal.add_transaction("1.00", "USD", "S", now - timedelta(days=40))  # before the history

    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            Contact = system.get_model("Contact")
            ada = await Contact.create(name="Ada", email="ada@example.com", company=system.env.cid)
            record = await configured(system)
            outcome = await run_sync(record)
            assert outcome.state == "done", outcome.error
            assert (outcome.created, outcome.updated, outcome.failed) == (4, 0, 0)

            Transaction = system.get_model("PaymentTransaction")
            Mapper = system.get_model("IntegrationMapper")
            by_ref = {t.reference: t for t in await Transaction.all().all()}
            ids = [d["transaction_info"]["transaction_id"] for d in seeded]
            assert set(by_ref) == set(ids)
            first, pending, refunded, denied = (by_ref[i] for i in ids)
            assert (first.amount, first.currency, first.state) == (25.0, "USD", "done")
            assert first.description == "Order 1" and first.contact_id == ada.id
            assert (pending.amount, pending.currency, pending.state) == (12.5, "EUR", "pending")
            assert (refunded.amount, refunded.state) == (-5.0, "refunded")
            assert refunded.description == "Invoice INV-7"
            assert (denied.currency, denied.state) == ("GBP", "failed")
            assert first.provider_status == "S T0006"
            assert first.customer_remote_id == seeded[0]["payer_info"]["account_id"]
            assert first.integration_id == record.id and first.company_id == system.env.cid
            assert abs(first.date - (now - timedelta(days=1)).astimezone().replace(tzinfo=None)
                       ) < timedelta(seconds=2)  # fmt: skip

            mappings = await Mapper.filter(integration=record.id, model="PaymentTransaction").all()
            assert {m.remote_id: int(m.local_id) for m in mappings} == {
                r: t.id for r, t in by_ref.items()
            }
            assert all(m.synced_at is not None for m in mappings)

            (search,) = searches(paypal)
            assert search["fields"] == "all" and search["page_size"] == "500"
            assert search["page"] == "1"
            start, end = when(search["start_date"]), when(search["end_date"])
            assert start.utcoffset() == timedelta(0)
            assert end - start == timedelta(days=31)
            assert abs(end - now) < timedelta(minutes=1)

            await record.refresh()
            assert record.last_synced_date is not None
        finally:
            await system.close()

    asyncio.run(scenario())


def test_second_run_is_incremental_and_idempotent(tmp_path: Path, paypal: FakePayPal) -> None:
    now = datetime.now(UTC)
    recent = paypal.add_transaction("10.00", "USD", "P", now - timedelta(hours=1))
    paypal.add_transaction("20.00", "USD", "S", now - timedelta(days=5))

    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            record = await configured(system)
            first = await run_sync(record)
            assert (first.created, first.state) == (2, "done")

            second = await run_sync(record)
            assert second.state == "done"
            # Both are read again: the pending one, and the settled one (still refundable).
            assert (second.created, second.updated, second.skipped) == (0, 0, 2)
            start = when(searches(paypal)[-1]["start_date"])
            # From the oldest transaction that may still change: PayPal searches by date only.
            expected = (now - timedelta(days=5, minutes=1)).replace(microsecond=0)
            assert abs(start - expected) < timedelta(seconds=2)

            paypal.set_status(recent["transaction_info"]["transaction_id"], "S")
            paypal.add_transaction("30.00", "USD", "S", now - timedelta(minutes=5))
            third = await run_sync(record)
            assert (third.created, third.updated, third.skipped) == (1, 1, 1)
            Transaction = system.get_model("PaymentTransaction")
            assert await Transaction.filter(state="done").count() == 3
            Mapper = system.get_model("IntegrationMapper")
            assert await Mapper.filter(integration=record.id).count() == 3
        finally:
            await system.close()

    asyncio.run(scenario())


def test_history_is_pulled_in_31_day_windows_and_pages(
    tmp_path: Path, paypal: FakePayPal, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    for days in (65, 64, 40, 33, 10, 9, 2):
        paypal.add_transaction(f"{days}.00", "USD", "S", now - timedelta(days=days))

    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            record = await configured(system, paypal_history_days=70)
            monkeypatch.setattr(code(), "PAGE_SIZE", 2)
            outcome = await run_sync(record)
            assert (outcome.state, outcome.created, outcome.failed) == ("done", 7, 0)
            calls = searches(paypal)
            windows = sorted({(c["start_date"], c["end_date"]) for c in calls})
            assert len(windows) == 3
            for (_, end), (next_start, _) in itertools.pairwise(windows):
                assert end == next_start  # contiguous
            for start, end in windows:
                assert when(end) - when(start) <= timedelta(days=31)
            assert abs(when(windows[0][0]) - (now - timedelta(days=70))) < timedelta(minutes=1)
            # Pages of the first window (65, 64, 40 days ago): 2 + 1.
            first = [c["page"] for c in calls if c["start_date"] == windows[0][0]]
            assert first == ["1", "2"]
            assert all(c["page_size"] == "2" for c in calls)
        finally:
            await system.close()

    asyncio.run(scenario())


def test_fake_refuses_ranges_over_31_days(paypal: FakePayPal) -> None:
    token = httpx.post(
        f"{paypal.url}/v1/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(DEFAULT_CLIENT_ID, DEFAULT_SECRET),
    ).json()["access_token"]
    answer = httpx.get(
        f"{paypal.url}/v1/reporting/transactions",
        params={"start_date": "2030-01-01T00:00:00Z", "end_date": "2030-02-01T00:00:01Z"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 400
    assert answer.json()["name"] == "INVALID_REQUEST"
    assert answer.json()["details"][0]["description"] == "Date range is greater than 31 days"


# -- tokens ----------------------------------------------------------------------------------


def test_token_is_cached_and_renewed(
    tmp_path: Path, paypal: FakePayPal, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    paypal.add_transaction("10.00", "USD", "S", now - timedelta(days=35))
    paypal.add_transaction("11.00", "USD", "S", now - timedelta(days=2))

    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            record = await configured(system, paypal_history_days=40)
            TOKEN_CACHE.clear()
            clock = [1000.0]
            monkeypatch.setattr(TOKEN_CACHE, "clock", lambda: clock[0])
            before = paypal.token_requests

            outcome = await run_sync(record)  # two windows: two API calls, one token
            assert (outcome.state, outcome.created) == ("done", 2)
            assert len(searches(paypal)) == 2
            assert paypal.token_requests == before + 1
            assert [key.token_url for key in TOKEN_CACHE] == [f"{paypal.url}/v1/oauth2/token"]
            cached = [entry.value for _, entry in TOKEN_CACHE.items()]
            assert DEFAULT_SECRET not in repr(TOKEN_CACHE.items())
            assert cached[0] not in repr(TOKEN_CACHE.items())

            await run_sync(record)  # still valid: no new token
            assert paypal.token_requests == before + 1

            # PayPal expired it early: 401, one new token, the call succeeds.
            paypal.expire_tokens()
            outcome = await run_sync(record)
            assert outcome.state == "done", outcome.error
            assert paypal.token_requests == before + 2
            assert [entry.value for _, entry in TOKEN_CACHE.items()] != cached

            # Past its lifetime on our clock: renewed before use, without a 401.
            statuses_before = len(paypal.log)
            clock[0] += paypal.token_lifetime
            outcome = await run_sync(record)
            assert outcome.state == "done"
            assert paypal.token_requests == before + 3
            assert paypal.log[statuses_before][1] == "/v1/oauth2/token"
        finally:
            await system.close()

    asyncio.run(scenario())


def test_token_renewed_only_once(tmp_path: Path, paypal: FakePayPal) -> None:
    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            record = await configured(system)
            # Every API call refused as if the token were bad: renew once, then give up.
            paypal.fail_next(
                2,
                401,
                {
                    "error": "invalid_token",
                    "error_description": "Token signature verification failed",
                },
                path_prefix="/v1/reporting",
            )
            before = paypal.token_requests
            outcome = await run_sync(record)
            assert outcome.state == "failed"
            assert "Token signature verification failed" in outcome.error
            assert paypal.token_requests == before + 1
        finally:
            await system.close()

    asyncio.run(scenario())


# -- resilience ------------------------------------------------------------------------------


def test_rate_limits_and_server_errors_are_retried(tmp_path: Path, paypal: FakePayPal) -> None:
    paypal.add_transaction("10.00", "USD", "S", datetime.now(UTC) - timedelta(days=1))

    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            record = await configured(system)
            TOKEN_CACHE.clear()
            paypal.fail_next(1, 429, headers=FAST, path_prefix="/v1/oauth2/token")
            paypal.fail_next(2, 429, headers=FAST, path_prefix="/v1/reporting")
            paypal.fail_next(2, 500, headers=FAST, path_prefix="/v1/reporting")
            outcome = await run_sync(record)
            assert (outcome.state, outcome.created, outcome.failed) == ("done", 1, 0)
            assert paypal.pending_faults == 0
            assert paypal.count("GET", "/v1/reporting") == 5
        finally:
            await system.close()

    asyncio.run(scenario())


def test_rejected_credentials_fail_the_run_without_the_secret(
    tmp_path: Path, paypal: FakePayPal
) -> None:
    wrong = "EWrongButPlausibleSecret000000000000000"

    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            record = await configured(system)
            record.paypal_client_secret = wrong
            await record.save()
            outcome = await run_sync(record)
            assert outcome.state == "failed"
            assert outcome.error.startswith(
                "PayPal rejected the credentials: Client Authentication"
            )
            assert "Check the PayPal Client ID and Secret" in outcome.error
            run = await system.get_model("SyncRun").get(outcome.run_id)
            for text in [outcome.error, run.error, *run.log]:
                assert wrong not in text and DEFAULT_SECRET not in text
            await record.refresh()
            assert record.last_synced_date is None
        finally:
            await system.close()

    asyncio.run(scenario())


def test_missing_transaction_search_permission_is_explained(
    tmp_path: Path, paypal: FakePayPal
) -> None:
    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            record = await configured(system)
            paypal.transaction_search_enabled = False
            outcome = await run_sync(record)
            assert outcome.state == "failed"
            assert "Transaction Search permission" in outcome.error
        finally:
            await system.close()

    asyncio.run(scenario())


def test_cron_method_syncs_enabled_integrations(tmp_path: Path, paypal: FakePayPal) -> None:
    paypal.add_transaction("10.00", "USD", "S", datetime.now(UTC) - timedelta(days=1))

    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            Integration = system.get_model("Integration")
            assert await Integration.sync_payment_paypal() == []  # nothing enabled yet
            await configured(system)
            (outcome,) = await Integration.sync_payment_paypal()
            assert (outcome.state, outcome.created) == ("done", 1)
            run = await system.get_model("SyncRun").get(outcome.run_id)
            assert run.trigger == "schedule"
        finally:
            await system.close()

    asyncio.run(scenario())


def test_a_payment_refunded_after_the_first_pull_shows_refunded_after_the_next(
    tmp_path: Path, paypal: FakePayPal
) -> None:
    now = datetime.now(UTC)
    # Older than the next run's window: only reading it again can bring its refund.
    sold = paypal.add_transaction("45.00", "USD", "S", now - timedelta(days=9))
    kept = paypal.add_transaction("15.00", "USD", "S", now - timedelta(days=8))

    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            record = await configured(system)
            assert (await run_sync(record)).created == 2
            paypal.set_status(sold["transaction_info"]["transaction_id"], "V")
            again = await run_sync(record)
            assert again.succeeded, again.error
            assert (again.created, again.updated, again.skipped) == (0, 1, 1)
            Transaction = system.get_model("PaymentTransaction")
            states = {t.reference: t.state for t in await Transaction.all().all()}
            assert states == {
                sold["transaction_info"]["transaction_id"]: "refunded",
                kept["transaction_info"]["transaction_id"]: "done",
            }
        finally:
            await system.close()

    asyncio.run(scenario())
