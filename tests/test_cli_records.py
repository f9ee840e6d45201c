"""`ffdesk records ...`: the records service on the command line, its text output, its exit
codes, and a test SMS queued and sent through a local Twilio."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from ffdesk.sync import RetryPolicy
from tests.fakes.twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, MAGIC_FROM, FakeTwilio
from tests.helpers.env import (
    CliRunner,
    Subprocess,
    cli_fixture,  # noqa: F401
    ffdesk_process_fixture,  # noqa: F401
)


@pytest.fixture
def twilio(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTwilio]:
    monkeypatch.setattr(RetryPolicy, "backoff", lambda self, retry, rng=None: 0.0)
    with FakeTwilio(seed=3) as server:
        monkeypatch.setenv("FFDESK_SMS_TWILIO_API_BASE", server.url)
        monkeypatch.setenv("FFDESK_SMS_TWILIO_RATE_LIMIT", "0")
        yield server


def test_list_create_update_show_in_text(cli: CliRunner) -> None:
    assert cli("modules", "install", "contacts").code == 0
    for name in ("Cleo", "Ada", "Bea"):
        assert cli("records", "create", "Contact", f"name={name}").code == 0
    made = cli("records", "create", "contacts", "name=Dan", "email=dan@example.org")
    assert made.code == 0, made.err
    assert made.out.splitlines()[:3] == [
        "Created Dan",
        "  Name           Dan",
        "  Email          dan@example.org",
    ]
    listed = cli("records", "list", "Contact", "--sort", "name", "--limit", "2")
    lines = listed.out.splitlines()
    assert lines[0].split() == ["ID", "NAME", "EMAIL", "PHONE", "WRITE_DATE"]
    assert [line.split()[1] for line in lines[1:3]] == ["Ada", "Bea"]
    assert lines[-1] == "(2 of 4 shown; use --offset and --limit for more)"
    second = cli("records", "list", "Contact", "--sort=-name", "--offset", "1", "--json")
    assert [r["name"] for r in json.loads(second.out)["rows"]] == ["Cleo", "Bea", "Ada"]
    dan = json.loads(cli("records", "list", "Contact", "--search", "DAN", "--json").out)
    assert dan["total"] == 1
    dan_id = str(dan["rows"][0]["id"])
    updated = cli("records", "update", "Contact", dan_id, "phone=+44 20 7946 0958")
    assert updated.code == 0 and "  Phone          +44 20 7946 0958" in updated.out
    shown = cli("records", "show", "Contact", dan_id)
    assert shown.out.splitlines()[0] == "Dan"


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (
            ["records", "list", "Invoice"],
            2,
            "There is no record type 'Invoice' (offered: Contact).",
        ),
        (
            ["records", "list", "Contact", "--filter", "Q(nme='x')"],
            2,
            "Invalid Q-expression \"Q(nme='x')\" for Contact: Lookup 'nme__eq': Contact has no "
            "field 'nme' (its fields: company, email, name, phone, write_date).",
        ),
        (
            ["records", "list", "Contact", "--sort", "colour"],
            2,
            "Contact lists cannot be sorted by 'colour' (columns: email, name, phone, write_date).",
        ),
        (["records", "create", "Contact", "email=x@example.org"], 1, "Please fill in Name."),
        (
            ["records", "create", "Contact", "name"],
            2,
            "ffdesk records create: expected field=value, got 'name'",
        ),
        (
            ["records", "create", "Contact", "name=" + "N" * 300],
            1,
            "Contact.name allows at most 255 characters, got 300",
        ),
        (["records", "show", "Contact", "99"], 1, "There is no Contact #99 in this company."),
        (["records", "create", "PaymentTransaction", "reference=x"], 2, "There is no record type"),
        (
            ["records", "list", "Contact", "--limit", "-1"],
            2,
            "ffdesk records list: argument --limit",
        ),
    ],
)
def test_errors_are_one_sentence_with_their_exit_code(
    cli: CliRunner, argv: list[str], code: int, message: str
) -> None:
    assert cli("modules", "install", "contacts").code == 0
    result = cli(*argv)
    assert (result.code, result.out) == (code, "")
    assert result.err.startswith(message), result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "Error" not in result.err and "Traceback" not in result.err


def test_a_test_sms_from_the_command_line_is_sent_now(cli: CliRunner, twilio: FakeTwilio) -> None:
    assert cli("modules", "install", "sms_twilio").code == 0
    setting = cli(
        "integrations",
        "set",
        "sms_twilio",
        f"twilio_account_sid={DEFAULT_ACCOUNT_SID}",
        f"twilio_from_number={MAGIC_FROM}",
        "twilio_auth_token=-",
        stdin=DEFAULT_AUTH_TOKEN,
    )
    assert setting.code == 0, setting.err
    assert cli("integrations", "enable", "sms_twilio").code == 0
    bad = cli(
        "records", "create", "Message", "to=555-0100", "body=Hi", "--integration", "sms_twilio"
    )
    assert (bad.code, bad.err) == (
        1,
        "To must be a phone number in E.164 form (+ country code and number, e.g. "
        "+14155550100), not '555-0100'.\n",
    )
    made = cli(
        "records",
        "create",
        "Message",
        "to=+14155550100",
        "body=Hi",
        "--integration",
        "sms_twilio",
        "--json",
    )
    assert made.code == 0, made.err
    message = json.loads(made.out)
    fields = {f["name"]: f["text"] for f in message["fields"]}
    assert fields["status"] == "queued" and twilio.sent_to("+14155550100") == []
    sent = cli("records", "resync", "Message", str(message["id"]), "sms_twilio", "--json")
    assert sent.code == 0, sent.err
    assert json.loads(sent.out)["run"]["state"] == "done"
    assert [m["body"] for m in twilio.sent_to("+14155550100")] == ["Hi"]
    shown = json.loads(cli("records", "show", "Message", str(message["id"]), "--json").out)
    [mapping] = shown["mappings"]
    assert mapping["remote_id"].startswith("SM")


def test_the_console_script_lists_records(ffdesk_process: Subprocess) -> None:
    assert ffdesk_process("modules", "install", "contacts").returncode == 0
    assert ffdesk_process("records", "create", "Contact", "name=Ada").returncode == 0
    done = ffdesk_process("records", "list", "Contact", "--json")
    assert done.returncode == 0, done.stderr
    assert [r["name"] for r in json.loads(done.stdout)["rows"]] == ["Ada"]
