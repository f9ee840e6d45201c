"""Every command's --json output (and every error) matches the one documented schema."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ffdesk import cli
from tests.fakes.stripe import DEFAULT_SECRET_KEY, FakeStripe
from tests.helpers.env import (
    FIXTURE_MODULES,
    CliResult,
    CliRunner,
    Subprocess,
    cli_fixture,  # noqa: F401
    ffdesk_process_fixture,  # noqa: F401
    write_probe_module,
)
from tests.helpers.stripe_env import stripe_vars

SCHEMA: dict[str, Any] = json.loads(files("ffdesk").joinpath("cli_schema.json").read_text())


def leaf_commands(parser: argparse.ArgumentParser, prefix: str = "") -> set[str]:
    """Every runnable command of the parser, as typed ("integrations set", "sync", ...)."""
    found: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found |= leaf_commands(sub, f"{prefix} {name}".strip())
    return found or {prefix}


def valid(command: str, result: CliResult) -> dict[str, Any]:
    assert result.code == 0, result.err
    document = json.loads(result.out)
    jsonschema.validate(document, SCHEMA["commands"][command])
    return document


@pytest.fixture
def stripe(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    with FakeStripe(secret_key=DEFAULT_SECRET_KEY, seed=3) as server:
        server.add_payment_intent(amount=1250)
        for name, value in stripe_vars(server.url).items():
            monkeypatch.setenv(name, value)
        yield server


def test_schema_names_exactly_the_commands_of_the_parser() -> None:
    assert set(SCHEMA["commands"]) - {"--version"} == leaf_commands(cli.build_parser())


def test_every_command_prints_one_object_matching_its_schema(
    cli: CliRunner,
    stripe: FakeStripe,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    extra = tmp_path / "extra"
    write_probe_module(extra)
    monkeypatch.setenv("FFDESK_MODULES_PATH", f"{FIXTURE_MODULES}:{extra}")
    people = tmp_path / "people.csv"
    people.write_text("name,email,phone\nAda,ada@example.org,\nBad,not-an-email,\n")
    seen: set[str] = set()

    def run(command: str, *argv: str, stdin: str | None = None) -> dict[str, Any]:
        seen.add(command)
        return valid(command, cli(*command.split(), *argv, "--json", stdin=stdin))

    modules = run("modules list")["modules"]
    assert {m["identifier"] for m in modules} >= {"payment_stripe", "my_service"}
    assert run("modules install", "payment_stripe")["installed"][-1] == "payment_stripe"
    run("modules install", "probe_service")
    assert run("modules uninstall", "probe_service") == {"uninstalled": ["probe_service"]}
    run("companies add", "Acme")
    assert run("companies rename", "Acme", "Acme Ltd") == {"id": 2, "name": "Acme Ltd"}
    assert [c["name"] for c in run("companies list")["companies"]] == ["My Company", "Acme Ltd"]
    assert "payment_stripe" in {i["id"] for i in run("integrations list")["integrations"]}
    saved = run("integrations set", "payment_stripe", "secret_key=-", stdin=DEFAULT_SECRET_KEY)
    assert saved == {"integration": "payment_stripe", "set": ["secret_key"]}
    fields = {f["name"]: f for f in run("integrations form", "payment_stripe")["fields"]}
    assert fields["secret_key"]["value"] == "set"
    assert run("integrations test", "payment_stripe")["outcome"] == "ok"
    assert run("integrations enable", "payment_stripe")["state"] == "Enabled"
    assert run("contacts import", str(people))["created"] == 1
    assert [c["name"] for c in run("contacts list")["contacts"]] == ["Ada"]
    [synced] = run("sync")["runs"]
    assert (synced["state"], synced["failed"]) == ("done", 0)
    [listed] = run("runs")["runs"]
    assert listed["id"] == synced["run_id"]
    offered = run("records models")["models"]
    assert [m["name"] for m in offered] == ["Contact", "PaymentTransaction"]
    page = run("records list", "Contact", "--search", "ADA")
    assert (page["total"], page["rows"][0]["name"]) == (1, "Ada")
    ada = page["rows"][0]["id"]
    shown = run("records show", "Contact", str(ada))
    assert shown["mappings"][0]["integration"] == "payment_stripe"
    made = run("records create", "Contact", "name=Bea", "email=bea@example.org")
    assert {f["name"]: f["text"] for f in made["fields"]}["email"] == "bea@example.org"
    changed = run("records update", "Contact", str(made["id"]), "phone=+441632960961")
    assert {f["name"]: f["text"] for f in changed["fields"]}["phone"] == "+441632960961"
    resynced = run("records resync", "Contact", str(ada), "payment_stripe")["run"]
    assert (resynced["state"], resynced["failed"]) == ("done", 0)
    assert run("integrations disable", "payment_stripe")["state"] == "Installed"
    assert run("completion", "fish")["script"].startswith("#")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    assert run("install-desktop-entry")["installed"]
    assert run("install-desktop-entry", "--remove")["removed"]
    assert run("audit")["entries"][0]["model"] == "Integration"
    exported = tmp_path / "config.yaml"
    assert run("config export", str(exported))["exported"] == str(exported)
    assert run("config import", str(exported))["applied"] is False
    assert run("db check")["healthy"] is True
    backup = tmp_path / "backup.db"
    if "sqlite" in os.environ["FFDESK_DATABASE_URL"]:
        assert run("db backup", str(backup))["backup"] == str(backup)
    else:  # a PostgreSQL server is backed up with its own tools: said in the error shape
        seen.add("db backup")
    schedules = run("schedules list")["schedules"]
    assert [(r["id"], r["integration"], r["company"]) for r in schedules][:2] == [
        (1, "payment_stripe", "My Company"),
        (2, "payment_stripe", "Acme Ltd"),
    ]
    assert run("schedules set", "1", "--every", "2h")["every"] == "every 2 hours"
    assert run("schedules pause", "1")["active"] is False
    assert run("schedules resume", "1")["active"] is True
    # Stripe was disabled above: its schedule is due but does not run.
    assert run("scheduler run", "--once") == {"ran": [], "standby": False}
    assert run("scheduler status")["active"] is False
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))
    assert run("scheduler install", "--no-start")["started"] is False
    assert run("scheduler uninstall", "--no-stop")["done"] == ["Removed the systemd service."]
    doctor = cli("doctor", "--json")  # the test keyring is in memory: doctor may be unhappy
    jsonschema.validate(json.loads(doctor.out), SCHEMA["commands"]["doctor"])
    seen.add("doctor")

    assert seen == set(SCHEMA["commands"]) - {"--version"}


@pytest.mark.parametrize(
    ("argv", "code", "field", "start"),
    [
        (["companies", "add", "My Company"], 1, None, "A company named 'My Company' already"),
        (["integrations", "set", "payment_stripe", "nope=1"], 1, "nope", "Stripe has no field"),
        (["runs", "--limit", "many"], 2, None, "ffdesk runs: argument --limit: invalid int"),
        (["bogus"], 2, None, "ffdesk: argument command: invalid choice: 'bogus'"),
        (["records", "list", "Invoices"], 2, None, "There is no record type 'Invoices'"),
        (
            ["records", "list", "Contact", "--filter", "Q(name="],
            2,
            "filter",
            "Invalid Q-expression 'Q(name=': not valid syntax",
        ),
        (["records", "create", "Contact", "email=x@y.org"], 1, "name", "Please fill in Name."),
        (["records", "create", "Contact", "name=A", "hue=1"], 2, "hue", "Contact has no field"),
        (
            ["--database", "sqlite:////nonexistent-ffdesk-dir/x.db", "companies", "list"],
            3,
            None,
            # issue 16.4: the database's failures are sentences naming the file, no driver text
            "ffdesk's database cannot be opened (/nonexistent-ffdesk-dir/x.db): its folder",
        ),
    ],
)
def test_errors_are_one_json_object_on_standard_error(
    cli: CliRunner, argv: list[str], code: int, field: str | None, start: str
) -> None:
    assert cli("modules", "install", "payment_stripe").code == 0
    result = cli(*argv, "--json")
    assert (result.code, result.out) == (code, "")
    document = json.loads(result.err)
    jsonschema.validate(document, SCHEMA["error"])
    assert document["error"]["field"] == field
    assert document["error"]["message"].startswith(start), document
    # Without --json the same error is the plain sentence alone.
    assert cli(*argv).err == document["error"]["message"] + "\n"


def test_version_as_json_matches_its_schema(ffdesk_process: Subprocess) -> None:
    done = ffdesk_process("--version", "--json")
    assert done.returncode == 0, done.stderr
    jsonschema.validate(json.loads(done.stdout), SCHEMA["commands"]["--version"])
