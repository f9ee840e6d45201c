"""`ffdesk sync payment_stripe` killed with SIGKILL in the middle, then run again.

Everything goes through real `python -m ffdesk` processes sharing one SQLite file and a
file-backed keyring (the secret is written by `integrations set payment_stripe secret_key=-`);
the fake Stripe runs in this process so the test can watch it and hold its answers.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import ffdesk
from ffdesk.sync import AlreadySyncing, run_sync
from ffdesk.sync.runner import HOST
from tests.fakes.stripe import FakeStripe
from tests.helpers.database import stored_bytes
from tests.helpers.stripe_env import KEY, add_contacts, cli_env, db_url, run_cli, start_cli

CONTACTS = 160
# Each create is held this long by the fake, so several are in flight at any moment.
HOLD = 0.1
# Once the test has seen enough creates it holds every further create this long: the run cannot
# finish before it is killed however slow the machine, and the creates in flight at the kill
# still complete at the fake shortly afterwards (the window between remote create and commit).
GATE = 1.5


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    with FakeStripe(secret_key=KEY, seed=5) as server:
        yield server


async def _prepare(url: str) -> None:
    async with ffdesk.open_env(url) as system:
        await system.install_module("payment_stripe")
        await add_contacts(system, CONTACTS)


@pytest.fixture
def ready(tmp_path: Path, fake: FakeStripe) -> dict[str, str]:
    """Stripe installed with contacts; the key set through standard input and enabled by CLI."""
    env = cli_env(tmp_path, fake.url)
    asyncio.run(_prepare(db_url(tmp_path)))
    steps: list[tuple[list[str], str | None]] = [
        (["integrations", "set", "payment_stripe", "secret_key=-"], KEY + "\n"),
        # A second process reads the key the first one stored, and checks it with Stripe.
        (["integrations", "enable", "payment_stripe"], None),
    ]
    for args, stdin in steps:
        done = run_cli(args, env, stdin=stdin)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    assert KEY in (tmp_path / "keyring.json").read_text()  # the secret is in the keyring...
    assert KEY.encode() not in stored_bytes(tmp_path / "ffdesk.db")  # ...not in the database
    assert fake.count("GET", "/v1/balance") == 1
    return env


def gate(fake: FakeStripe) -> None:
    """From now on every create is held GATE seconds (those already held keep their HOLD)."""
    fake.clear_faults()
    fake.delay_next(10 * CONTACTS, GATE, path_prefix="/v1/customers", method="POST")


def kill(proc: subprocess.Popen[str]) -> None:
    try:
        assert proc.poll() is None, "the run finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)  # reaps it: a zombie would still look alive
    assert proc.returncode == -signal.SIGKILL


def settled(fake: FakeStripe) -> bool:
    """Every create that reached the fake has been handled (created or replayed)."""
    return fake.wait_for(lambda: fake.creates + fake.replays == posts(fake), timeout=GATE + 10)


async def _refused(url: str) -> str:
    async with ffdesk.open_env(url) as system:
        record = await system.integration("payment_stripe")
        with pytest.raises(AlreadySyncing) as refused:
            await run_sync(record)
        return str(refused.value)


async def _state(url: str) -> dict[str, Any]:
    async with ffdesk.open_env(url) as system:
        record = await system.integration("payment_stripe")
        Mapper = system.get_model("IntegrationMapper")
        SyncRun = system.get_model("SyncRun")
        links = await Mapper.filter(integration=record.id, model="Contact").all()
        return {
            "mappings": [(m.local_id, m.remote_id) for m in links],
            "runs": [
                (r.state, r.error, r.created)
                for r in await SyncRun.filter(integration=record.id).order_by("id").all()
            ],
            "log": [
                r.log for r in await SyncRun.filter(integration=record.id).order_by("id").all()
            ],
        }


def state(tmp_path: Path) -> dict[str, Any]:
    return asyncio.run(_state(db_url(tmp_path)))


def posts(fake: FakeStripe) -> int:
    return fake.count("POST", "/v1/customers")


def test_killed_run_then_rerun_leaves_one_customer_per_contact(
    tmp_path: Path, fake: FakeStripe, ready: dict[str, str]
) -> None:
    env = ready
    fake.delay_next(10 * CONTACTS, HOLD, path_prefix="/v1/customers", method="POST")
    proc = start_cli(["sync", "payment_stripe"], env)
    try:
        assert fake.wait_for(lambda: fake.creates >= 16, timeout=60), proc.poll()
        gate(fake)
        # This process asks meanwhile: refused, because the run's owner is alive.
        message = asyncio.run(_refused(db_url(tmp_path)))
        assert re.fullmatch(
            rf"Stripe is already syncing since \d\d:\d\d on {re.escape(HOST)}\.", message
        )
    finally:
        kill(proc)

    # Creates that had reached Stripe complete there although nobody gets their answer.
    assert settled(fake)
    created_remotely = fake.creates
    fake.clear_faults()
    before = state(tmp_path)
    kept = len(before["mappings"])
    assert before["runs"] == [("running", None, before["runs"][0][2])]
    # The window between the remote create and the local commit was hit.
    assert 0 < kept < created_remotely < CONTACTS

    # Listing the runs finds the dead owner and marks its run interrupted at once.
    listed = run_cli(["runs", "payment_stripe", "--json"], env)
    assert listed.returncode == 0, listed.stderr
    [killed] = json.loads(listed.stdout)["runs"]
    assert killed["state"] == "failed" and killed["error"].startswith("interrupted")

    rerun = run_cli(["sync", "payment_stripe", "--json"], env)
    assert rerun.returncode == 0, (rerun.stdout, rerun.stderr, state(tmp_path)["log"][-1])
    [outcome] = json.loads(rerun.stdout)["runs"]
    assert outcome["state"] == "done" and outcome["failed"] == 0
    assert outcome["created"] == CONTACTS - kept
    # Customers created before the kill but never committed locally were replayed, not
    # created again: Stripe has exactly one customer per contact.
    assert fake.replays == created_remotely - kept
    assert fake.creates == CONTACTS
    with fake.lock:
        customers = list(fake.customers.values())
    assert len(customers) == CONTACTS
    emails = [c["email"] for c in customers]
    assert len(set(emails)) == CONTACTS
    assert sorted(emails) == sorted(f"contact{i}@example.org" for i in range(CONTACTS))

    after = state(tmp_path)
    local_ids = [m[0] for m in after["mappings"]]
    remote_ids = [m[1] for m in after["mappings"]]
    assert len(after["mappings"]) == CONTACTS
    assert len(set(local_ids)) == len(set(remote_ids)) == CONTACTS
    assert set(remote_ids) == {c["id"] for c in customers}
    assert [r[0] for r in after["runs"]] == ["failed", "done"]
    assert after["runs"][0][1].startswith("interrupted")

    # And a third run has nothing to send.
    posted = posts(fake)
    third = run_cli(["sync", "payment_stripe", "--json"], env)
    assert third.returncode == 0
    [quiet] = json.loads(third.stdout)["runs"]
    assert (quiet["created"], quiet["updated"], quiet["skipped"]) == (0, 0, CONTACTS)
    assert posts(fake) == posted


def test_killed_twice_then_completed(
    tmp_path: Path, fake: FakeStripe, ready: dict[str, str]
) -> None:
    """Two kills in a row, each leaving a stale run, block nothing and duplicate nothing."""
    env = ready
    for target in (10, 40):
        fake.clear_faults()
        fake.delay_next(10 * CONTACTS, HOLD / 2, path_prefix="/v1/customers", method="POST")
        proc = start_cli(["sync", "payment_stripe"], env)
        try:
            assert fake.wait_for(lambda t=target: fake.creates >= t, timeout=60)
            gate(fake)
            if target == 10:
                # Another `ffdesk sync` meanwhile is refused, on stderr, with exit code 1.
                refused = run_cli(["sync", "payment_stripe"], env)
                assert refused.returncode == 1
                assert "Stripe is already syncing since " in refused.stderr
                assert "Stripe: Stripe" not in refused.stderr
        finally:
            kill(proc)
        assert settled(fake)
    fake.clear_faults()
    done = run_cli(["sync", "payment_stripe"], env)
    after = state(tmp_path)
    assert done.returncode == 0, (done.stdout, done.stderr, after["log"][-1])
    assert [r[0] for r in after["runs"]] == ["failed", "failed", "done"]
    assert all(r[1].startswith("interrupted") for r in after["runs"][:2])
    assert len(after["mappings"]) == CONTACTS == len(fake.customers) == fake.creates
    with fake.lock:
        assert len({c["email"] for c in fake.customers.values()}) == CONTACTS


def test_secret_key_stays_out_of_the_log_file(tmp_path: Path, fake: FakeStripe) -> None:
    """A real process, a 401 whose body echoes the key: the log file never holds the key."""
    env = cli_env(tmp_path, fake.url)
    secret = "sk_test_51FfdeskKillTestLogSecret9876"
    echo = {"error": {"message": f"Invalid API Key provided: {secret}", "type": "invalid"}}
    asyncio.run(_install(db_url(tmp_path)))
    done = run_cli(["integrations", "set", "payment_stripe", "secret_key=-"], env, stdin=secret)
    assert done.returncode == 0, done.stderr
    fake.fail_next(1, 401, body=echo, path_prefix="/v1/balance")
    enable = run_cli(["integrations", "enable", "payment_stripe"], env)
    assert enable.returncode == 1 and "rejected the credentials" in enable.stderr
    assert secret not in enable.stdout + enable.stderr
    asyncio.run(_enable_with_contacts(db_url(tmp_path)))
    fake.fail_next(100, 401, body=echo)
    sync = run_cli(["sync", "payment_stripe"], env)
    assert sync.returncode == 1
    assert secret not in sync.stdout + sync.stderr
    log_text = (tmp_path / "logs" / "ffdesk.log").read_text()
    assert "rejected the credentials" in log_text
    assert secret not in log_text
    assert secret[8:] not in log_text  # not even the part after the prefix


async def _install(url: str) -> None:
    async with ffdesk.open_env(url) as system:
        await system.install_module("payment_stripe")


async def _enable_with_contacts(url: str) -> None:
    async with ffdesk.open_env(url) as system:
        record = await system.integration("payment_stripe")
        record.enabled = True  # the key itself stays in the file keyring, unread here
        await record.save()
        Contact = system.get_model("Contact")
        for i in range(3):
            await Contact.create(name=f"L{i}", email=f"l{i}@example.org", company=system.env.cid)


def test_a_request_cut_off_by_the_kill_is_not_handled(fake: FakeStripe) -> None:
    """SIGKILL between the headers and the body: like Stripe, the fake must drop the request.

    (It used to handle the empty body, save it under the idempotency key, and refuse the
    rerun's full request as "same key, different parameters".)
    """
    body = b"name=Cut&email=cut%40example.org"
    head = (
        f"POST /v1/customers HTTP/1.1\r\nHost: {fake.host}\r\n"
        f"Authorization: Bearer {KEY}\r\nIdempotency-Key: cut-1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection((fake.host, fake.port), timeout=5) as sock:
        sock.sendall(head + body[:5])
    assert not fake.wait_for(lambda: fake.creates > 0, timeout=0.5)
    full = httpx.post(
        f"{fake.url}/v1/customers",
        data={"name": "Cut", "email": "cut@example.org"},
        headers={"Authorization": f"Bearer {KEY}", "Idempotency-Key": "cut-1"},
    )
    assert full.status_code == 200 and full.json()["name"] == "Cut"
    assert fake.creates == 1 and fake.replays == 0
