"""`ffdesk schedules list|set|pause|resume` and `ffdesk scheduler status` (in this process)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from ffdesk.sync.lease import Lease
from tests.helpers.database import database_url
from tests.helpers.env import CliRunner, cli_fixture  # noqa: F401


@pytest.fixture
def ff(cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    """Stripe installed; two companies, so two Stripe schedules."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no service installed
    assert cli("modules", "install", "payment_stripe").code == 0
    assert cli("companies", "add", "Branch Office").code == 0
    return cli


def test_list_shows_every_schedule_with_its_interval_and_next_due(ff: CliRunner) -> None:
    listed = ff("schedules", "list", "--json")
    assert listed.code == 0, listed.err
    rows = listed.json()["schedules"]
    assert [(r["id"], r["integration"], r["company"]) for r in rows] == [
        (1, "payment_stripe", "My Company"),
        (2, "payment_stripe", "Branch Office"),
    ]
    assert all(r["every"] == "every 1 hour" and r["active"] for r in rows)
    assert all(r["last_run"] is None for r in rows)
    due = datetime.fromisoformat(rows[0]["next_due"])
    assert abs(due - datetime.now()) < timedelta(minutes=1)  # never run: due at once
    text = ff("schedules", "list").out.splitlines()
    assert text[0].split() == [
        "ID",
        "INTEGRATION",
        "COMPANY",
        "EVERY",
        "ACTIVE",
        "ENABLED",
        "LAST_RUN",
        "NEXT_DUE",
    ]
    only = ff("schedules", "list", "--company", "Branch Office", "--json").json()["schedules"]
    assert [r["company"] for r in only] == ["Branch Office"]


def test_set_pause_and_resume(ff: CliRunner) -> None:
    done = ff("schedules", "set", "1", "--every", "15m")
    assert done.code == 0, done.err
    assert re.fullmatch(
        r"Schedule 1 now runs every 15 minutes; next at \d{4}-\d\d-\d\d \d\d:\d\d\.\n", done.out
    )
    by_name = ff(
        "schedules", "set", "payment_stripe", "--company", "Branch Office", "--every", "1mo"
    )
    assert by_name.code == 0 and by_name.out.startswith("Schedule 2 now runs every 1 month;")
    assert ff("schedules", "pause", "2").out == "Schedule 2 paused.\n"
    rows = {r["id"]: r for r in ff("schedules", "list", "--json").json()["schedules"]}
    assert rows[1]["every"] == "every 15 minutes" and rows[1]["active"]
    assert rows[2]["every"] == "every 1 month"
    assert (rows[2]["active"], rows[2]["next_due"]) == (False, None)
    assert ff("schedules", "resume", "2").out == "Schedule 2 resumed.\n"
    assert ff("schedules", "list", "--json").json()["schedules"][1]["active"] is True


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["schedules", "set", "1", "--every", "fortnightly"],
            "Cannot read the interval 'fortnightly': write a number and a unit,"
            " such as 15m, 2h, 1d, 1mo or 1y.",
        ),
        (
            ["schedules", "pause", "99"],
            "There is no schedule '99'; 'ffdesk schedules list' shows the schedules.",
        ),
        (
            ["schedules", "resume", "payment_paypal"],
            "There is no schedule 'payment_paypal'; 'ffdesk schedules list' shows the schedules.",
        ),
    ],
)
def test_bad_input_is_one_sentence_and_changes_nothing(
    ff: CliRunner, argv: list[str], message: str
) -> None:
    before = ff("schedules", "list", "--json").json()
    refused = ff(*argv)
    assert (refused.code, refused.err, refused.out) == (1, message + "\n", "")
    assert ff("schedules", "list", "--json").json() == before


def test_status_names_the_active_scheduler_and_the_next_due_runs(
    ff: CliRunner, tmp_path: Path
) -> None:
    idle = ff("scheduler", "status")
    assert idle.out.splitlines()[:2] == [
        "No scheduler is active on this database: schedules do not run.",
        "No service is installed.",
    ]
    engine = sa.create_engine(database_url(tmp_path / "cli.sqlite"))
    try:
        lease = Lease(engine, kind="service", host="server-7", pid=31337)
        assert lease.try_acquire()
        status = ff("scheduler", "status", "--json").json()
    finally:
        engine.dispose()
    assert (status["active"], status["kind"], status["host"], status["pid"]) == (
        True,
        "service",
        "server-7",
        31337,
    )
    assert status["service"] is None
    text = ff("scheduler", "status").out
    assert re.match(
        r"Scheduler active: the background scheduler on server-7 \(process 31337\), since "
        r"\d{4}-\d\d-\d\d \d\d:\d\d; last tick \d\d:\d\d:\d\d\.",
        text,
    )
