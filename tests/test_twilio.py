"""sms_twilio against the fake Twilio: form, enabling, connection test and the SMS sync."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from ffdesk.api import open_system
from ffdesk.engine.errors import UserError
from ffdesk.services import integrations as act
from ffdesk.sync import RetryPolicy, run_sync
from ffdesk.sync.results import ConnectionUnreachable
from tests.fakes.twilio import (
    DEFAULT_ACCOUNT_SID as SID,
)
from tests.fakes.twilio import (
    DEFAULT_AUTH_TOKEN as TOKEN,
)
from tests.fakes.twilio import (
    INVALID_TO,
    MAGIC_FROM,
    FakeTwilio,
)
from tests.helpers.database import database_url

MESSAGES = f"/2010-04-01/Accounts/{SID}/Messages.json"
SERVICE = "MG" + "1" * 32
TEST_SID = "AC" + "7" * 32
TEST_TOKEN = "7" * 32
OTHER_TOKEN = "e" * 32


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    # Retries wait 0 s: the tests exercise what is retried, not how long it waits.
    monkeypatch.setattr(RetryPolicy, "backoff", lambda self, retry, rng=None: 0.0)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTwilio]:
    with FakeTwilio(seed=3, messaging_services=[SERVICE]) as server:
        monkeypatch.setenv("FFDESK_SMS_TWILIO_API_BASE", server.url)
        yield server


@asynccontextmanager
async def twilio(tmp_path: Path) -> AsyncIterator[tuple[Any, Any]]:
    system = await open_system(database_url(tmp_path / "x.db"))
    try:
        await system.install_module("sms_twilio")
        yield system, await system.integration("sms_twilio")
    finally:
        await system.close()


async def configure(record: Any, *, sid: str = SID, token: str = TOKEN, sender: str = MAGIC_FROM):
    record.twilio_account_sid = sid
    record.twilio_auth_token = token
    record.twilio_from_number = sender
    await record.save()


async def enabled(record: Any, **values: str) -> None:
    await configure(record, **values)
    assert await act.enable(record) == "Enabled"


async def queue(system: Any, to: str, body: str, **values: Any) -> Any:
    Message = system.get_model("Message")
    values.setdefault("company", system.env.cid)
    return await Message.create(to=to, body=body, **values)


async def reload(system: Any, message: Any) -> Any:
    return await system.get_model("Message").get(message.id)


async def run_log(system: Any, outcome: Any) -> list[str]:
    return list((await system.get_model("SyncRun").get(outcome.run_id)).log or [])


def posts(fake: FakeTwilio) -> int:
    return fake.count("POST", MESSAGES)


# -- module, form, enabling --------------------------------------------------------------------


def test_installs_on_its_own_with_a_five_minute_cron(tmp_path: Path) -> None:
    async def main() -> None:
        system = await open_system(database_url(tmp_path / "x.db"))
        try:
            installed = await system.install_module("sms_twilio")
            assert "sms_twilio" in installed and "messaging" in installed
            assert not system.is_installed("payment_stripe")
            record = await system.integration("sms_twilio")
            assert await record.get_state() == "Installed"
            assert record.integration_category == "Messaging"
            assert record.cron_sync_method == "sync_sms_twilio"
            CronJob = system.get_model("CronJob")
            job = await CronJob.filter(identifier="sms_twilio_sync").get()
            assert (job.method, job.frequency, job.frequency_unit) == (
                "sync_sms_twilio",
                5,
                "Minutes",
            )
            assert (await record.sync_capability()).available
        finally:
            await system.close()

    asyncio.run(main())


def test_form_shows_only_twilio_fields(tmp_path: Path) -> None:
    async def main() -> None:
        async with twilio(tmp_path) as (system, record):
            await system.install_module("payment_stripe")
            visible = {f.name: f for f in system.env.form(record) if f.visible}
            assert [n for n in visible if n.startswith("twilio_")] == [
                "twilio_account_sid",
                "twilio_auth_token",
                "twilio_from_number",
            ]
            assert all(visible[n].required for n in visible if n.startswith("twilio_"))
            assert visible["twilio_auth_token"].widget == "Password"
            assert "secret_key" not in visible and "sandbox_mode" not in visible
            stripe = await system.integration("payment_stripe")
            assert not any(
                f.visible and f.name.startswith("twilio_") for f in system.env.form(stripe)
            )

    asyncio.run(main())


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"sid": ""}, "Please enter your Twilio Account SID"),
        ({"sid": "SK" + "0" * 32}, "API Key SID"),
        ({"sid": "AC123"}, "AC followed by 32 hexadecimal characters"),
        ({"token": ""}, "Please enter your Twilio Auth Token"),
        ({"token": "short"}, "32 hexadecimal characters"),
        ({"sender": ""}, "Please enter the Twilio From Number"),
        ({"sender": "015005550006"}, "E.164"),
        ({"sender": "MG123"}, "E.164"),
    ],
)
def test_enable_checks_the_credentials(
    tmp_path: Path, fake: FakeTwilio, values: dict[str, str], expected: str
) -> None:
    async def main() -> None:
        async with twilio(tmp_path) as (_system, record):
            await configure(record, **values)
            with pytest.raises(UserError, match=expected):
                await act.enable(record)
            assert await record.get_state() == "Installed"

    asyncio.run(main())
    assert fake.log == []  # refused before asking Twilio


def test_enable_accepts_a_number_with_spaces_and_a_messaging_service(
    tmp_path: Path, fake: FakeTwilio
) -> None:
    async def main() -> None:
        async with twilio(tmp_path) as (_system, record):
            await enabled(record, sender="+1 500 555-0006")
            await act.disable(record)
            await enabled(record, sender=SERVICE)

    asyncio.run(main())


# -- connection test ---------------------------------------------------------------------------


def test_check_ok_names_the_account(tmp_path: Path, fake: FakeTwilio) -> None:
    fake.account_type = "Trial"

    async def main() -> None:
        async with twilio(tmp_path) as (_system, record):
            await configure(record)
            result = await act.test_connection(record)
            assert result.outcome == "ok"
            assert "'ffdesk test account'" in result.message and "active" in result.message
            assert "verified numbers" in result.message

    asyncio.run(main())
    assert fake.log == [("GET", f"/2010-04-01/Accounts/{SID}.json")]


def test_check_rejected_without_the_token(tmp_path: Path, fake: FakeTwilio) -> None:
    async def main() -> None:
        async with twilio(tmp_path) as (_system, record):
            await configure(record, token=OTHER_TOKEN)
            result = await act.test_connection(record)
            assert result.outcome == "rejected"
            assert "Authenticate" in result.message
            assert "Account SID and Auth Token" in result.message
            assert OTHER_TOKEN not in result.message
            with pytest.raises(UserError, match="rejected the credentials"):
                await act.enable(record)
            assert not record.enabled

    asyncio.run(main())


def test_check_rejects_a_suspended_account(tmp_path: Path, fake: FakeTwilio) -> None:
    fake.account_status = "suspended"

    async def main() -> None:
        async with twilio(tmp_path) as (_system, record):
            await configure(record)
            result = await act.test_connection(record)
            assert result.outcome == "rejected" and "suspended" in result.message

    asyncio.run(main())


def test_check_unreachable(tmp_path: Path, fake: FakeTwilio) -> None:
    fake.stop()

    async def main() -> None:
        async with twilio(tmp_path) as (_system, record):
            await configure(record)
            result = await act.test_connection(record)
            assert result.outcome == "unreachable"
            assert "Twilio could not be reached" in result.message
            with pytest.raises(ConnectionUnreachable):
                await act.enable(record)
            assert await act.enable(record, anyway=True) == "Enabled"

    asyncio.run(main())


def test_check_with_test_credentials(tmp_path: Path, fake: FakeTwilio) -> None:
    fake.test_credentials = (TEST_SID, TEST_TOKEN)

    async def main() -> None:
        async with twilio(tmp_path) as (_system, record):
            await configure(record, sid=TEST_SID, token=TEST_TOKEN)
            result = await act.test_connection(record)
            assert result.outcome == "ok" and "test credentials" in result.message

    asyncio.run(main())


def test_5xx_burst_on_check_ends_ok(tmp_path: Path, fake: FakeTwilio) -> None:
    fake.fail_next(3, 503)

    async def main() -> None:
        async with twilio(tmp_path) as (_system, record):
            await configure(record)
            assert (await act.test_connection(record)).outcome == "ok"

    asyncio.run(main())
    assert fake.count("GET") == 4


# -- sync ----------------------------------------------------------------------------------------


def test_sends_queued_messages_once_and_follows_their_status(
    tmp_path: Path, fake: FakeTwilio
) -> None:
    async def main() -> None:
        async with twilio(tmp_path) as (system, record):
            await enabled(record)
            sent = [await queue(system, f"+1 415 555 {i:04d}", f"hello {i}") for i in range(3)]
            other = await system.add_company("Other Ltd")
            foreign = await queue(system, "+14155559999", "not ours", company=other.id)
            inbound = await queue(system, "+14155558888", "hi", direction="inbound")

            first = await run_sync(record)
            assert first.succeeded and first.created == 3
            assert posts(fake) == 3
            bodies = sorted(
                (dict(r.form_pairs)["To"], dict(r.form_pairs)["Body"], dict(r.form_pairs)["From"])
                for r in fake.requests
                if r.method == "POST"
            )
            assert bodies == [(f"+1415555{i:04d}", f"hello {i}", MAGIC_FROM) for i in range(3)]
            for message in sent:
                message = await reload(system, message)
                assert message.remote_id.startswith("SM")
                assert message.remote_id in fake.messages
                assert message.integration_id == record.id
                # The same run read the list back: Twilio had sent them meanwhile.
                assert message.status == "sent"
                assert message.sender == MAGIC_FROM and message.price == Decimal("0.0079")
                assert message.price_unit == "USD" and message.date_sent is not None
            assert (await reload(system, foreign)).status == "queued"
            assert (await reload(system, inbound)).remote_id is None
            Mapper = system.get_model("IntegrationMapper")
            assert await Mapper.filter(integration=record.id, model="Message").count() == 3

            second = await run_sync(record)
            assert second.succeeded
            assert (second.created, second.updated) == (0, 3)
            assert posts(fake) == 3  # nothing sent twice
            for message in sent:
                assert (await reload(system, message)).status == "delivered"
            assert record.last_synced_date is not None

            third = await run_sync(record)
            assert third.succeeded and (third.created, third.updated) == (0, 0)
            assert "no sent message is waiting for a status" in " ".join(
                await run_log(system, third)
            )
            assert posts(fake) == 3

    asyncio.run(main())


def test_invalid_number_fails_that_message_and_the_run_goes_on(
    tmp_path: Path, fake: FakeTwilio
) -> None:
    async def main() -> None:
        async with twilio(tmp_path) as (system, record):
            await enabled(record)
            good1 = await queue(system, "+14155550001", "one")
            bad = await queue(system, INVALID_TO, "two")
            good2 = await queue(system, "+14155550002", "three")
            outcome = await run_sync(record)
            assert outcome.state == "done" and outcome.failed == 1 and outcome.created == 2
            assert not outcome.succeeded
            bad = await reload(system, bad)
            assert bad.status == "failed" and bad.remote_id is None
            assert f"The 'To' number {INVALID_TO} is not a valid phone number" in bad.error
            assert bad.error_code == "21211"  # Twilio's own code, as for delivery errors
            assert any(INVALID_TO in line for line in await run_log(system, outcome))
            for message in (good1, good2):
                assert (await reload(system, message)).status == "sent"
            again = await run_sync(record)
            assert again.succeeded and posts(fake) == 3  # the failed one is not retried

    asyncio.run(main())


def test_delivery_errors_are_recorded(tmp_path: Path, fake: FakeTwilio) -> None:
    fake.set_outcome("+14155550404", "undelivered", 30003, "Unreachable destination handset")

    async def main() -> None:
        async with twilio(tmp_path) as (system, record):
            await enabled(record)
            message = await queue(system, "+14155550404", "anyone there?")
            await run_sync(record)
            await run_sync(record)
            message = await reload(system, message)
            assert message.status == "undelivered"
            assert message.error_code == "30003"
            assert "Unreachable destination handset" in message.error
            assert "https://www.twilio.com/docs/errors/30003" in message.error
            assert message.status_updated is not None

    asyncio.run(main())


def test_messaging_service_sender(tmp_path: Path, fake: FakeTwilio) -> None:
    async def main() -> None:
        async with twilio(tmp_path) as (system, record):
            await enabled(record, sender=SERVICE)
            message = await queue(system, "+14155550001", "via service")
            assert (await run_sync(record)).succeeded
            form = dict(next(r for r in fake.requests if r.method == "POST").form_pairs)
            assert form["MessagingServiceSid"] == SERVICE and "From" not in form
            message = await reload(system, message)
            # accepted -> queued on the read-back; the service picked the number.
            assert message.status == "queued"

    asyncio.run(main())


def test_interrupted_sending_is_reconciled_never_resent(tmp_path: Path, fake: FakeTwilio) -> None:
    async def main() -> None:
        async with twilio(tmp_path) as (system, record):
            await enabled(record)
            now = datetime.now()
            # A killed run left these `sending`: Twilio got the first one, not the second.
            made = fake.add_message("+14155550001", "first", MAGIC_FROM)
            got = await queue(
                system,
                "+14155550001",
                "first",
                status="sending",
                integration=record.id,
                status_updated=now,
            )
            lost = await queue(
                system,
                "+14155550002",
                "second",
                status="sending",
                integration=record.id,
                status_updated=now,
            )
            outcome = await run_sync(record)
            assert posts(fake) == 0  # nothing sent blindly
            got = await reload(system, got)
            assert got.remote_id == made["sid"] and got.status in ("sent", "delivered")
            lost = await reload(system, lost)
            assert lost.status == "failed" and lost.remote_id is None
            assert "not sent again" in lost.error and "Queue it again" in lost.error
            assert outcome.failed == 1 and outcome.updated >= 1
            again = await run_sync(record)
            assert again.succeeded and posts(fake) == 0

    asyncio.run(main())


def test_lost_answer_is_found_at_twilio_not_sent_twice(tmp_path: Path, fake: FakeTwilio) -> None:
    fake.drop_next(1, method="POST", after=True)  # Twilio creates it, the answer is lost

    async def main() -> None:
        async with twilio(tmp_path) as (system, record):
            await enabled(record)
            message = await queue(system, "+14155550001", "exactly once")
            outcome = await run_sync(record)
            assert outcome.succeeded and outcome.created == 1
            assert fake.creates == 1 and posts(fake) == 1
            message = await reload(system, message)
            assert message.remote_id in fake.messages
            assert any("answer was lost" in line for line in await run_log(system, outcome))

    asyncio.run(main())


def test_429_and_5xx_bursts_end_in_success(tmp_path: Path, fake: FakeTwilio) -> None:
    async def main() -> None:
        async with twilio(tmp_path) as (system, record):
            await enabled(record)
            first = await queue(system, "+14155550001", "through 429s")
            second = await queue(system, "+14155550002", "through 503s")
            fake.fail_next(2, 500, method="GET")  # preflight retried by the HTTP layer
            # At most 4 failures can hit one message: its 5th attempt goes through.
            fake.fail_next(2, 429, {"Retry-After": "0"}, method="POST", path_prefix=MESSAGES)
            fake.fail_next(2, 503, method="POST", path_prefix=MESSAGES)
            outcome = await run_sync(record)
            assert outcome.succeeded and outcome.created == 2, outcome
            assert fake.creates == 2 and fake.pending_faults == 0
            assert posts(fake) == 6  # 4 refused without creating anything, then one each
            for message in (first, second):
                assert (await reload(system, message)).remote_id in fake.messages

    asyncio.run(main())


def test_twilio_down_leaves_messages_for_the_next_run(tmp_path: Path, fake: FakeTwilio) -> None:
    async def main() -> None:
        async with twilio(tmp_path) as (system, record):
            await enabled(record)
            message = await queue(system, "+14155550001", "patience")
            fake.fail_next(100, 503, method="POST")
            outcome = await run_sync(record)
            assert outcome.state == "failed"
            assert "Twilio could not be reached" in outcome.error
            message = await reload(system, message)
            # Twilio was asked and has no such message: it may safely be sent later.
            assert message.status == "queued" and message.remote_id is None
            assert fake.creates == 0
            fake.clear_faults()
            assert (await run_sync(record)).succeeded
            assert fake.creates == 1

    asyncio.run(main())


def test_rejected_credentials_fail_the_run_without_the_token(
    tmp_path: Path, fake: FakeTwilio
) -> None:
    async def main() -> None:
        async with twilio(tmp_path) as (system, record):
            await enabled(record)
            message = await queue(system, "+14155550001", "never sent")
            record.twilio_auth_token = OTHER_TOKEN
            await record.save()
            outcome = await run_sync(record)
            assert outcome.state == "failed"
            assert outcome.error == (
                "Twilio rejected the credentials: Authenticate. "
                "Check the Account SID and Auth Token."
            )
            log = " ".join(await run_log(system, outcome))
            assert OTHER_TOKEN not in log and TOKEN not in log
            assert (await reload(system, message)).status == "queued"
            assert posts(fake) == 0
            assert record.last_synced_date is None

    asyncio.run(main())


def test_test_credentials_send_without_reading_statuses(tmp_path: Path, fake: FakeTwilio) -> None:
    fake.test_credentials = (TEST_SID, TEST_TOKEN)

    async def main() -> None:
        async with twilio(tmp_path) as (system, record):
            await enabled(record, sid=TEST_SID, token=TEST_TOKEN)
            message = await queue(system, "+14155550001", "pretend")
            outcome = await run_sync(record)
            assert outcome.succeeded and outcome.created == 1
            assert fake.test_creates == 1 and fake.messages == {}
            assert (await reload(system, message)).status == "queued"
            assert any("test credentials" in line for line in await run_log(system, outcome))

    asyncio.run(main())


def test_status_pull_follows_next_page_uri(tmp_path: Path, fake: FakeTwilio) -> None:
    async def main() -> None:
        async with twilio(tmp_path) as (system, record):
            await enabled(record)
            for i in range(30):
                await queue(system, f"+1415556{i:04d}", f"bulk {i}")
            for i in range(90):  # someone else's traffic on the same account: 120 in all
                fake.add_message(f"+1202555{i:04d}", "not ours", status="delivered")
            first = await run_sync(record)
            assert first.succeeded and first.created == 30
            fake.clear_log()
            second = await run_sync(record)
            assert second.succeeded and second.updated == 30
            pages = [r for r in fake.requests if r.method == "GET" and r.path == MESSAGES]
            assert len(pages) == 2
            assert pages[0].arg("PageSize") == "100" and pages[0].arg("DateSent>")
            assert pages[1].arg("PageToken", "").startswith("PA")
            Message = system.get_model("Message")
            assert await Message.filter(status="delivered").count() == 30

    asyncio.run(main())


def test_cron_method_syncs_every_enabled_twilio(tmp_path: Path, fake: FakeTwilio) -> None:
    async def main() -> None:
        async with twilio(tmp_path) as (system, record):
            await enabled(record)
            await queue(system, "+14155550001", "scheduled")
            Integration = system.get_model("Integration")
            outcomes = await Integration.sync_sms_twilio()
            assert [o.created for o in outcomes] == [1]
            runs = await system.get_model("SyncRun").filter(integration=record.id).all()
            assert [r.trigger for r in runs] == ["schedule"]

    asyncio.run(main())


# -- the fake itself -----------------------------------------------------------------------------


def test_fake_speaks_twilio_shapes(fake: FakeTwilio) -> None:
    with httpx.Client(base_url=fake.url, auth=(SID, TOKEN), timeout=5) as client:
        created = client.post(
            MESSAGES, data={"To": "+14155550001", "From": MAGIC_FROM, "Body": "x"}
        )
        assert created.status_code == 201
        assert created.json()["status"] == "queued" and created.json()["date_sent"] is None
        bad = client.post(MESSAGES, data={"To": "12", "From": MAGIC_FROM, "Body": "x"})
        assert bad.status_code == 400
        assert bad.json() == {
            "code": 21211,
            "message": "The 'To' number 12 is not a valid phone number.",
            "more_info": "https://www.twilio.com/docs/errors/21211",
            "status": 400,
        }
        for i in range(4):
            fake.add_message(f"+1415555000{i}", f"m{i}", status="delivered")
        page = client.get(MESSAGES, params={"PageSize": 2}).json()
        assert (page["page"], page["page_size"], page["start"], page["end"]) == (0, 2, 0, 1)
        assert page["previous_page_uri"] is None
        seen = [m["sid"] for m in page["messages"]]
        while page["next_page_uri"]:
            page = client.get(page["next_page_uri"]).json()
            seen += [m["sid"] for m in page["messages"]]
        assert len(seen) == len(set(seen)) == 5
        today = datetime.now(UTC).date().isoformat()
        dated = client.get(MESSAGES, params={"DateSent>": today}).json()["messages"]
        assert {m["status"] for m in dated} <= {"sent", "delivered"}
        assert created.json()["sid"] in {m["sid"] for m in dated}  # advanced by the reads
    with httpx.Client(base_url=fake.url, auth=(SID, OTHER_TOKEN), timeout=5) as client:
        denied = client.get(f"/2010-04-01/Accounts/{SID}.json")
        assert denied.status_code == 401
        assert denied.json() == {
            "code": 20003,
            "message": "Authenticate",
            "more_info": "https://www.twilio.com/docs/errors/20003",
            "status": 401,
        }


def test_cancelling_the_task_stops_sending(
    tmp_path: Path, fake: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing the window cancels the run's task: no message after that is sent."""

    async def main() -> None:
        async with twilio(tmp_path) as (system, record):
            # Small batches: the task is cancelled while it is still handing messages out.
            code = sys.modules["ffdesk.addons.sms_twilio.models.integration"]
            monkeypatch.setattr(code, "BATCH", 2)
            await enabled(record)
            for i in range(60):
                await queue(system, f"+1415555{i:04d}", f"message {i}")
            fake.delay_next(1000, 0.01, method="POST", path_prefix=MESSAGES)
            task = asyncio.ensure_future(run_sync(record))
            while fake.creates < 5:
                await asyncio.sleep(0.005)
            task.cancel()
            sent_at_cancel = posts(fake)
            with pytest.raises(asyncio.CancelledError):
                await task
            # Only what was in flight (one per worker) finishes; the queued rest waits.
            assert posts(fake) <= sent_at_cancel + 4
            Message = system.get_model("Message")
            assert await Message.filter(status="queued", remote_id__isnull=True).count() > 40

    asyncio.run(main())


def test_preview_lists_the_messages_it_would_send_and_sends_none(
    tmp_path: Path, fake: FakeTwilio
) -> None:
    async def main() -> None:
        async with twilio(tmp_path) as (system, record):
            await enabled(record)
            first = await queue(system, "+15005550009", "Your order shipped")
            second = await queue(system, "+15005550010", "Your order arrived")
            fake.log.clear()
            preview = await run_sync(record, dry_run=True)
            assert preview.dry_run and preview.created == 2, preview.error
            assert f"push: would send message #{first.id} to +15005550009" in preview.preview
            assert f"push: would send message #{second.id} to +15005550010" in preview.preview
            assert {method for method, _path in fake.log} == {"GET"}
            Message = system.get_model("Message")
            assert await Message.filter(status="queued").count() == 2
            assert await system.get_model("SyncRun").count() == 0

    asyncio.run(main())
