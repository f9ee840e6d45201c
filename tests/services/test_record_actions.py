"""Records made by hand and sent or tracked by the providers' syncs, against the local Twilio
and UPS fakes: a test SMS queued, sent by a sync or at once, its status moving on; a tracking
number added and its status after a UPS sync; dashboard addresses; E.164 checks."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ffdesk.api import open_system
from ffdesk.engine.errors import UserError, ValidationError
from ffdesk.services import integrations as actions
from ffdesk.services.records import RecordsService
from ffdesk.sync import RetryPolicy, run_sync
from tests.fakes.stripe import DEFAULT_SECRET_KEY, FakeStripe
from tests.fakes.twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, MAGIC_FROM, FakeTwilio
from tests.fakes.ups import DEFAULT_ACCOUNT, DEFAULT_CLIENT_ID, DEFAULT_SECRET, FakeUps
from tests.helpers.database import database_url
from tests.helpers.stripe_env import stripe_vars

TO = "+14155550100"


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RetryPolicy, "backoff", lambda self, retry, rng=None: 0.0)


@pytest.fixture
def twilio(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTwilio]:
    with FakeTwilio(seed=3) as server:
        monkeypatch.setenv("FFDESK_SMS_TWILIO_API_BASE", server.url)
        monkeypatch.setenv("FFDESK_SMS_TWILIO_RATE_LIMIT", "0")
        yield server


@pytest.fixture
def ups(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeUps]:
    with FakeUps(seed=5) as server:
        monkeypatch.setenv("FFDESK_SHIPPING_UPS_API_BASE", server.url)
        monkeypatch.setenv("FFDESK_SHIPPING_UPS_RATE_LIMIT", "0")
        yield server


async def _twilio_enabled(system: Any) -> Any:
    await system.install_module("sms_twilio")
    record = await system.integration("sms_twilio")
    record.twilio_account_sid = DEFAULT_ACCOUNT_SID
    record.twilio_auth_token = DEFAULT_AUTH_TOKEN
    record.twilio_from_number = MAGIC_FROM
    await record.save()
    assert await actions.enable(record) == "Enabled"
    return record


def test_a_test_sms_is_queued_sent_by_the_next_sync_and_its_status_moves_on(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    async def scenario() -> None:
        system = await open_system(database_url(tmp_path / "x.db"))
        try:
            record = await _twilio_enabled(system)
            service = RecordsService(system)
            # Typed as people type numbers: punctuation dropped, E.164 kept.
            sms = await service.create(
                "Message", {"to": "+1 (415) 555-0100", "body": "Hello"}, integration="sms_twilio"
            )
            assert (sms.to, sms.status, sms.integration_id) == (TO, "queued", record.id)
            assert twilio.sent_to(TO) == []
            first = await run_sync(record)
            assert first.succeeded, first.error
            rows = await service.listing("Message", integration="sms_twilio").page()
            assert rows[0].values["status"] in ("queued", "sent")
            assert [m["body"] for m in twilio.sent_to(TO)] == ["Hello"]
            await run_sync(record)
            await run_sync(record)
            detail = await service.detail("Message", sms.id)
            shown = {f.name: f.text for f in detail.fields}
            assert shown["status"] == "delivered"
            assert shown["remote_id"].startswith("SM")
            [mapping] = detail.mappings
            assert (mapping.integration, mapping.remote_id) == ("sms_twilio", shown["remote_id"])
        finally:
            await system.close()

    asyncio.run(scenario())


def test_send_now_sends_that_message_only_and_never_twice(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    async def scenario() -> None:
        system = await open_system(database_url(tmp_path / "x.db"))
        try:
            await _twilio_enabled(system)
            service = RecordsService(system)
            later = await service.create(
                "Message", {"to": TO, "body": "later"}, integration="sms_twilio"
            )
            now = await service.create(
                "Message", {"to": "+14155550199", "body": "now"}, integration="sms_twilio"
            )
            outcome = await service.send_now("Message", now.id)
            assert outcome.succeeded, outcome.error
            assert [m["body"] for m in twilio.sent_to("+14155550199")] == ["now"]
            assert twilio.sent_to(TO) == []  # the other one waits for the next sync
            Message = system.registry["Message"]
            assert (await Message.get(later.id)).status == "queued"
            assert (await Message.get(now.id)).remote_id
            again = await service.send_now("Message", now.id)
            assert again.succeeded and again.skipped == 1
            assert len(twilio.sent_to("+14155550199")) == 1
        finally:
            await system.close()

    asyncio.run(scenario())


def test_the_recipient_must_be_an_e164_number(tmp_path: Path) -> None:
    async def scenario() -> None:
        system = await open_system(database_url(tmp_path / "x.db"))
        try:
            await system.install_module("sms_twilio")
            service = RecordsService(system)
            for typed in ("0415 555 0100", "+0123", "call me", "+1234567890123456"):
                with pytest.raises(ValidationError) as caught:
                    await service.create("Message", {"to": typed, "body": "x"})
                assert str(caught.value) == (
                    "To must be a phone number in E.164 form (+ country code and number, "
                    f"e.g. +14155550100), not {typed!r}."
                )
                assert caught.value.field == "to"
            with pytest.raises(ValidationError) as caught:
                await service.create("Message", {"to": TO})
            assert str(caught.value) == "Please fill in Message."
            assert await system.registry["Message"].count() == 0
            sms = await service.create("Message", {"to": TO, "body": "x"})
            with pytest.raises(UserError) as refused:
                await service.send_now("Message", sms.id)
            assert str(refused.value) == (
                f"Message #{sms.id} belongs to no integration to send it."
            )
        finally:
            await system.close()

    asyncio.run(scenario())


def test_a_tracking_number_gets_its_status_from_a_ups_sync(tmp_path: Path, ups: FakeUps) -> None:
    number = "1Z999AA10123456784"
    ups.add_package(number, ["label", "pickup", "transit"])

    async def scenario() -> None:
        system = await open_system(database_url(tmp_path / "x.db"))
        try:
            await system.install_module("shipping_ups")
            record = await system.integration("shipping_ups")
            record.ups_client_id = DEFAULT_CLIENT_ID
            record.ups_client_secret = DEFAULT_SECRET
            record.ups_account_number = DEFAULT_ACCOUNT
            record.sandbox_mode = True
            await record.save()
            assert await actions.enable(record) == "Enabled"
            service = RecordsService(system)
            made = await service.create(
                "Shipment",
                {"tracking_number": "1z 999 aa1 01 2345 6784"},
                integration="shipping_ups",
            )
            listing = service.listing("Shipment", integration="shipping_ups")
            assert (await listing.page())[0].values["status"] == "Unknown"
            outcome = await run_sync(record)
            assert outcome.succeeded, outcome.error
            [row] = await listing.page()
            assert (row.values["tracking_number"], row.values["status"]) == (number, "In Transit")
            ups.scan(number, "out_for_delivery")
            await service.resync("Shipment", made.id, "shipping_ups")
            detail = await service.detail("Shipment", made.id)
            assert {f.name: f.text for f in detail.fields}["status"] == "Out for Delivery"
            assert detail.title == f"Shipment {number}"
            [mapping] = detail.mappings
            assert mapping.dashboard_url == (
                f"https://www.ups.com/track?loc=en_US&tracknum={number}"
            )
        finally:
            await system.close()

    asyncio.run(scenario())


def test_a_tracking_number_ups_does_not_know_shows_its_error_until_it_syncs(
    tmp_path: Path, ups: FakeUps
) -> None:
    number = "1Z999AA10123456784"

    async def scenario() -> None:
        system = await open_system(database_url(tmp_path / "x.db"))
        try:
            await system.install_module("shipping_ups")
            record = await system.integration("shipping_ups")
            record.ups_client_id = DEFAULT_CLIENT_ID
            record.ups_client_secret = DEFAULT_SECRET
            record.ups_account_number = DEFAULT_ACCOUNT
            await record.save()
            assert await actions.enable(record) == "Enabled"
            service = RecordsService(system)
            made = await service.create(
                "Shipment", {"tracking_number": number}, integration="shipping_ups"
            )
            outcome = await run_sync(record)
            assert outcome.failed == 1
            [mapping] = await service.mappings("Shipment", made.id)
            # UPS's own words for the number, as the run's log has them.
            assert mapping.last_error == "Tracking Information Not Found"
            assert f"shipment {number}: Tracking Information Not Found" in outcome_log(system)
            ups.add_package(number, ["label", "pickup"])
            assert (await run_sync(record)).failed == 0
            [mapping] = await service.mappings("Shipment", made.id)
            assert mapping.last_error is None
        finally:
            await system.close()

    asyncio.run(scenario())


def outcome_log(system: Any) -> str:
    """The log lines of every run, as one text."""
    runs = system.registry["SyncRun"]._table
    with system.db.connect() as conn:
        return "\n".join(str(row.log) for row in conn.execute(runs.select()))


def test_stripe_records_link_to_the_stripe_dashboard(tmp_path: Path) -> None:
    async def scenario() -> None:
        system = await open_system(database_url(tmp_path / "x.db"))
        try:
            await system.install_module("payment_stripe")
            stripe = await system.integration("payment_stripe")
            service = RecordsService(system)
            contact = await service.create("Contact", {"name": "Ann"})
            Mapper = system.registry["IntegrationMapper"]
            await Mapper.create(
                integration=stripe.id, model="Contact", local_id=str(contact.id), remote_id="cus_1"
            )
            stripe.sandbox_mode = True
            await stripe.save()
            [mapping] = await service.mappings("Contact", contact.id)
            assert mapping.dashboard_url == "https://dashboard.stripe.com/test/customers/cus_1"
            stripe.sandbox_mode = False
            await stripe.save()
            [mapping] = await service.mappings("Contact", contact.id)
            assert mapping.dashboard_url == "https://dashboard.stripe.com/customers/cus_1"
        finally:
            await system.close()

    asyncio.run(scenario())


def test_a_contact_stripe_refused_shows_why_until_it_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refusal = {"error": {"type": "invalid_request_error", "message": "Invalid email address"}}
    with FakeStripe(secret_key=DEFAULT_SECRET_KEY, seed=3) as stripe_server:
        for name, value in stripe_vars(stripe_server.url).items():
            monkeypatch.setenv(name, value)

        async def scenario() -> None:
            system = await open_system(database_url(tmp_path / "x.db"))
            try:
                await system.install_module("payment_stripe")
                stripe = await system.integration("payment_stripe")
                stripe.secret_key = DEFAULT_SECRET_KEY
                stripe.sandbox_mode = True
                await stripe.save()
                assert await actions.enable(stripe) == "Enabled"
                service = RecordsService(system)
                ann = await service.create("Contact", {"name": "Ann", "email": "ann@example.org"})
                stripe_server.fail_next(
                    1, 400, body=refusal, path_prefix="/v1/customers", method="POST"
                )
                assert (await run_sync(stripe)).failed == 1
                [mapping] = await service.mappings("Contact", ann.id)
                assert (mapping.integration, mapping.remote_id) == ("payment_stripe", None)
                assert mapping.last_error is not None
                assert "Invalid email address" in mapping.last_error
                assert (await service.resync("Contact", ann.id, "payment_stripe")).failed == 0
                [mapping] = await service.mappings("Contact", ann.id)
                assert mapping.last_error is None and mapping.remote_id.startswith("cus_")
                assert mapping.dashboard_url == (
                    f"https://dashboard.stripe.com/test/customers/{mapping.remote_id}"
                )
            finally:
                await system.close()

        asyncio.run(scenario())


def test_a_run_remembers_only_the_records_whose_open_problem_it_fixed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A run of 100,000 good records must not keep a key for each: only a record with an open
    # problem when the run began can have it cleared.
    from ffdesk.sync.runner import SyncJob

    refusal = {"error": {"type": "invalid_request_error", "message": "Invalid email address"}}
    with FakeStripe(secret_key=DEFAULT_SECRET_KEY, seed=3) as stripe_server:
        for name, value in stripe_vars(stripe_server.url).items():
            monkeypatch.setenv(name, value)

        async def scenario() -> None:
            system = await open_system(database_url(tmp_path / "x.db"))
            try:
                await system.install_module("payment_stripe")
                stripe = await system.integration("payment_stripe")
                stripe.secret_key = DEFAULT_SECRET_KEY
                stripe.sandbox_mode = True
                await stripe.save()
                assert await actions.enable(stripe) == "Enabled"
                service = RecordsService(system)
                ann = await service.create("Contact", {"name": "Ann", "email": "ann@example.org"})
                stripe_server.fail_next(
                    1, 400, body=refusal, path_prefix="/v1/customers", method="POST"
                )
                assert (await run_sync(stripe)).failed == 1
                for name in ("Dan", "Eve"):
                    await service.create("Contact", {"name": name, "email": f"{name}@example.org"})
                job = SyncJob(stripe)
                outcome = await run_sync(stripe, job=job)
                assert (outcome.failed, outcome.created) == (0, 3)
                assert job.records_fixed == {("Contact", str(ann.id))}
                [mapping] = await service.mappings("Contact", ann.id)
                assert mapping.last_error is None
            finally:
                await system.close()

        asyncio.run(scenario())
