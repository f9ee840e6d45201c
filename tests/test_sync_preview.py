"""Preview (dry run), resync of one record, and the schedule that pauses after repeated
hopeless failures, through `ffdesk sync` / `ffdesk integrations list` against fake Stripe."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ffdesk import cli
from ffdesk.sync import run_sync
from tests.fakes.stripe import FakeStripe
from tests.helpers.stripe_env import (
    KEY,
    add_contacts,
    db_url,
    isolated_logging,
    mappings,
    open_stripe,
    runs,
    stripe_vars,
)

SCHEMA: dict[str, Any] = json.loads(files("ffdesk").joinpath("cli_schema.json").read_text())
ROTATED = "sk_test_someoneRotatedIt0000000000"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    with FakeStripe(secret_key=KEY, seed=7) as server:
        for name, value in stripe_vars(server.url).items():
            monkeypatch.setenv(name, value)
        yield server


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("FFDESK_DATABASE_URL", db_url(tmp_path))
    monkeypatch.setenv("FFDESK_LOG_DIR", str(tmp_path / "logs"))
    with isolated_logging():
        yield tmp_path


@pytest.fixture
def ffdesk(home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(""))
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def dump(path: Path) -> list[str]:
    """Every row of every table, as SQL text (to compare a database before and after)."""
    with sqlite3.connect(path / "ffdesk.db") as conn:
        return list(conn.iterdump())


def test_dry_run_lists_what_a_sync_would_do_and_sends_and_writes_nothing(
    home: Path, fake: FakeStripe, ffdesk: Any
) -> None:
    async def seed() -> int:
        async with open_stripe(db_url(home), contacts=2) as (system, record):
            await run_sync(record)  # both contacts sent
            [first, _second] = await system.get_model("Contact").all().order_by("id").all()
            first.name = "Renamed Contact"
            await first.save()
            await add_contacts(system, 1, start=7)
            return int(record.id)

    asyncio.run(seed())
    intent = fake.add_payment_intent(amount=1250)
    fake.clear_log()
    before = dump(home)

    code, out, err = ffdesk("sync", "payment_stripe", "--dry-run")

    assert code == 0, err
    assert "Stripe (preview: nothing was sent or saved):" in out
    assert "push: would create contact 'Contact 7' at Stripe" in out
    assert "push: would update contact 'Renamed Contact' at Stripe" in out
    assert f"pull: would create Payment Transaction {intent['id']}" in out
    assert "pull: ask Stripe for what changed since" in out
    with fake.lock:
        methods = {r.method for r in fake.requests}
    assert methods == {"GET"}  # reads only: no customer created or updated
    assert dump(home) == before  # no run recorded, no mapping, no payment, no cursor

    code, out, _ = ffdesk("sync", "payment_stripe", "--dry-run", "--json")
    jsonschema.validate(json.loads(out), SCHEMA["commands"]["sync"])
    [preview] = json.loads(out)["runs"]
    assert (preview["dry_run"], preview["created"], preview["updated"]) == (True, 2, 1)
    assert dump(home) == before


def test_resync_one_record_sends_just_that_one(home: Path, fake: FakeStripe, ffdesk: Any) -> None:
    async def seed() -> tuple[int, int]:
        async with open_stripe(db_url(home), contacts=3) as (system, record):
            await run_sync(record)
            contacts = await system.get_model("Contact").all().order_by("id").all()
            for contact in contacts[1:]:
                contact.phone = "+1 555 0100"  # changed, but not asked for
                await contact.save()
            return int(contacts[0].id), int(contacts[1].id)

    unchanged, _changed = asyncio.run(seed())
    fake.clear_log()

    code, out, err = ffdesk("sync", "payment_stripe", "--record", f"Contact:{unchanged}", "--json")

    assert code == 0, err
    [run] = json.loads(out)["runs"]
    assert (run["state"], run["updated"], run["skipped"]) == ("done", 1, 0)
    with fake.lock:
        sent = [(r.method, r.path) for r in fake.requests if r.method == "POST"]
    [(_, path)] = sent  # the unchanged contact, sent again; the changed others wait
    assert path.startswith("/v1/customers/cus_")

    async def check() -> None:
        async with open_stripe(db_url(home)) as (system, record):
            links = {m.local_id: m.remote_id for m in await mappings(system, record)}
            assert path == f"/v1/customers/{links[str(unchanged)]}"
            history = await runs(system, record)
            assert history[-1].state == "done" and history[-1].updated == 1

    asyncio.run(check())


def test_resync_one_payment_reads_it_again(home: Path, fake: FakeStripe, ffdesk: Any) -> None:
    intent = fake.add_payment_intent(amount=3000)

    async def seed() -> int:
        async with open_stripe(db_url(home)) as (system, record):
            await run_sync(record)
            Transaction = system.get_model("PaymentTransaction")
            return int((await Transaction.filter(reference=intent["id"]).get()).id)

    local_id = asyncio.run(seed())
    fake.refund_payment_intent(intent["id"])
    fake.clear_log()
    code, _, err = ffdesk("sync", "payment_stripe", "--record", f"PaymentTransaction:{local_id}")
    assert code == 0, err
    with fake.lock:
        asked = [r.path for r in fake.requests]
    assert asked == [f"/v1/payment_intents/{intent['id']}"]

    async def check() -> None:
        async with open_stripe(db_url(home)) as (system, _record):
            row = await system.get_model("PaymentTransaction").filter(id=local_id).get()
            assert row.state == "refunded"

    asyncio.run(check())


@pytest.mark.parametrize(
    ("record", "code", "message"),
    [
        ("Contact", 1, "--record takes MODEL:LOCAL_ID (for example Contact:12), not 'Contact'."),
        ("Contact:999", 1, "Stripe cannot resync Contact #999: it syncs no such record."),
        ("Shipment:1", 1, "Stripe cannot resync Shipment #1: it syncs no such record."),
    ],
)
def test_resync_of_a_record_it_does_not_have_says_so(
    home: Path, fake: FakeStripe, ffdesk: Any, record: str, code: int, message: str
) -> None:
    async def seed() -> None:
        async with open_stripe(db_url(home), contacts=1):
            pass

    asyncio.run(seed())
    got, out, err = ffdesk("sync", "payment_stripe", "--record", record)
    assert got == code
    assert message in out + err
    assert "Error" not in out + err and "Traceback" not in out + err
    with fake.lock:
        assert not [r for r in fake.requests if r.method == "POST"]


def test_schedule_pauses_after_five_rejected_runs_and_sync_now_resumes_it(
    home: Path, fake: FakeStripe, ffdesk: Any
) -> None:
    async def scheduled_runs(times: int) -> list[Any]:
        async with open_stripe(db_url(home), enable=False) as (system, _record):
            Integration = system.get_model("Integration")
            outcomes = []
            for _ in range(times):
                outcomes.extend(await Integration.sync_payment_stripe())
            return outcomes

    async def enable() -> None:
        async with open_stripe(db_url(home), contacts=1):
            pass

    asyncio.run(enable())
    fake.secret_key = ROTATED  # Stripe now rejects the stored key
    assert len(asyncio.run(scheduled_runs(4))) == 4
    code, out, _ = ffdesk("integrations", "list")
    assert "paused" not in out  # four in a row: not yet

    assert len(asyncio.run(scheduled_runs(1))) == 1
    fake.clear_log()
    assert asyncio.run(scheduled_runs(3)) == []  # paused: the provider is not asked
    assert fake.count() == 0

    async def background_run() -> list[str]:
        from ffdesk.sync.scheduler import Scheduler

        async with open_stripe(db_url(home), enable=False) as (system, _record):
            return await Scheduler(system.env, tick=0.01).run_due(wait=True)

    # Nor does the background scheduler, whose schedule is due at once.
    assert not [ran for ran in asyncio.run(background_run()) if "payment_stripe" in ran]
    assert fake.count() == 0
    reason = "scheduled sync paused after 5 failed runs: Stripe rejected the credentials"
    code, out, _ = ffdesk("integrations", "list")
    assert code == 0 and reason in out
    code, out, _ = ffdesk("integrations", "list", "--json")
    jsonschema.validate(json.loads(out), SCHEMA["commands"]["integrations list"])
    [stripe] = [row for row in json.loads(out)["integrations"] if row["id"] == "payment_stripe"]
    assert stripe["schedule"] == reason

    # The key is fixed at Stripe's end; a successful Sync now resumes the schedule.
    fake.secret_key = KEY
    assert ffdesk("sync", "payment_stripe")[0] == 0
    assert len(asyncio.run(scheduled_runs(1))) == 1
    code, out, _ = ffdesk("integrations", "list", "--json")
    [stripe] = [row for row in json.loads(out)["integrations"] if row["id"] == "payment_stripe"]
    assert stripe["schedule"] is None


def test_pause_after_is_configurable_per_integration(
    home: Path, fake: FakeStripe, ffdesk: Any
) -> None:
    async def scenario() -> None:
        async with open_stripe(db_url(home)) as (system, record):
            record.pause_after_failures = 2
            await record.save()
            fake.stop()  # unreachable
            Integration = system.get_model("Integration")
            assert len(await Integration.sync_payment_stripe()) == 1
            assert len(await Integration.sync_payment_stripe()) == 1
            assert await Integration.sync_payment_stripe() == []
            assert len(await runs(system, record)) == 2

    asyncio.run(scenario())
    _, out, _ = ffdesk("integrations", "list", "--json")
    [stripe] = [row for row in json.loads(out)["integrations"] if row["id"] == "payment_stripe"]
    assert stripe["schedule"] == (
        "scheduled sync paused after 2 failed runs: Stripe could not be reached"
    )


def test_pause_after_is_set_from_the_command_line(
    home: Path, fake: FakeStripe, ffdesk: Any
) -> None:
    async def seed() -> None:
        async with open_stripe(db_url(home)):
            pass

    asyncio.run(seed())
    assert ffdesk("integrations", "set", "payment_stripe", "pause_after_failures=3")[0] == 0
    code, _, err = ffdesk("integrations", "set", "payment_stripe", "pause_after_failures=-1")
    assert code == 1 and "pause_after_failures takes 0 (never pause) or a number of runs" in err
    code, _, err = ffdesk("integrations", "set", "payment_stripe", "pause_after_failures=many")
    assert code == 1 and "Traceback" not in err

    async def check() -> None:
        async with open_stripe(db_url(home), enable=False) as (_system, record):
            assert record.pause_after_failures == 3

    asyncio.run(check())
