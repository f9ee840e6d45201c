"""The `ffdesk` command line: modules, companies and integrations, text and --json, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.database import ON_POSTGRESQL, database_url
from tests.helpers.env import (
    FIXTURE_MODULES,
    CliResult,
    CliRunner,
    Subprocess,
    cli_fixture,  # noqa: F401
    ffdesk_process_fixture,  # noqa: F401
    write_probe_module,
)
from tests.helpers.memory_keyring import MemoryKeyring

FORM_KEYS = ["name", "label", "widget", "value", "visible", "required", "readonly"]


@pytest.fixture
def ff(cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    """The command line with my_service and probe_service discoverable."""
    extra = tmp_path / "extra"
    write_probe_module(extra)
    monkeypatch.setenv("FFDESK_MODULES_PATH", f"{FIXTURE_MODULES}:{extra}")
    return cli


def ok(result: CliResult) -> CliResult:
    assert result.code == 0, result.err
    assert result.err == ""
    return result


def refused(result: CliResult, message: str) -> None:
    """Exit 1 with exactly one plain sentence on standard error."""
    assert result.code == 1, result.out
    assert result.err == message + "\n"
    assert result.out == ""


# -- modules ---------------------------------------------------------------------------------


def test_modules_list_install_uninstall(ff: CliRunner) -> None:
    listed = ok(ff("modules", "list"))
    lines = listed.out.splitlines()
    assert lines[0].split() == ["IDENTIFIER", "NAME", "STATE", "PROBLEM"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert "Installed" in rows["integrations"] and "Not Installed" in rows["my_service"]

    installed = ok(ff("modules", "install", "my_service"))
    assert installed.out == "Installed contacts, online_payment, my_service.\n"
    assert ok(ff("modules", "install", "my_service")).out == "my_service is already installed.\n"
    as_json = ok(ff("modules", "install", "probe_service", "--json")).json()
    assert as_json == {"installed": ["probe_service"]}

    modules = ok(ff("--json", "modules", "list")).json()["modules"]
    assert all(list(m) == ["identifier", "name", "state", "problem"] for m in modules)
    states = {m["identifier"]: m["state"] for m in modules}
    assert states["my_service"] == states["probe_service"] == states["contacts"] == "Installed"

    uninstalled = ok(ff("modules", "uninstall", "online_payment", "--json")).json()
    assert uninstalled["uninstalled"][-1] == "online_payment"
    assert sorted(uninstalled["uninstalled"]) == ["my_service", "online_payment", "probe_service"]
    states = {
        m["identifier"]: m["state"] for m in ok(ff("modules", "list", "--json")).json()["modules"]
    }
    assert states["my_service"] == "Not Installed" and states["contacts"] == "Installed"
    assert ok(ff("modules", "uninstall", "contacts")).out == "Uninstalled contacts.\n"

    refused(
        ff("modules", "uninstall", "integrations"),
        "integrations is installed automatically and cannot be uninstalled.",
    )
    refused(ff("modules", "uninstall", "my_service"), "my_service is not installed.")
    refused(ff("modules", "install", "nope"), "There is no module 'nope'.")


# -- companies -------------------------------------------------------------------------------


def test_companies_list_add_rename(ff: CliRunner) -> None:
    assert ok(ff("companies", "list", "--json")).json() == {
        "companies": [{"id": 1, "name": "My Company", "active": True}]
    }
    assert ok(ff("companies", "add", "Acme")).out == "Added company 'Acme'.\n"
    assert ok(ff("--json", "companies", "add", "Globex")).json() == {"id": 3, "name": "Globex"}
    refused(ff("companies", "add", "Acme"), "A company named 'Acme' already exists.")
    assert ok(ff("companies", "rename", "Acme", "Acme Ltd")).out == "Renamed to 'Acme Ltd'.\n"
    refused(
        ff("companies", "rename", "Globex", "Acme Ltd"),
        "A company named 'Acme Ltd' already exists.",
    )
    refused(ff("companies", "rename", "Nobody", "X"), "There is no company 'Nobody'.")
    table = ok(ff("companies", "list", "--company", "Acme Ltd")).out.splitlines()
    assert table[0].split() == ["ID", "NAME", "ACTIVE"]
    assert [line.split() for line in table[1:]] == [
        ["1", "My", "Company", "False"],
        ["2", "Acme", "Ltd", "True"],
        ["3", "Globex", "False"],
    ]


# -- integrations ----------------------------------------------------------------------------


def test_integrations_list_for_the_chosen_company_before_or_after_the_subcommand(
    ff: CliRunner,
) -> None:
    ok(ff("modules", "install", "my_service"))
    ok(ff("companies", "add", "Acme"))
    ok(
        ff(
            "integrations",
            "set",
            "my_service",
            "api_key=-",
            "--company",
            "Acme",
            stdin="acme-key\n",
        )
    )
    ok(ff("integrations", "enable", "my_service", "--company", "Acme"))

    before = ok(ff("--company", "Acme", "--json", "integrations", "list")).json()["integrations"]
    after = ok(ff("integrations", "list", "--company", "Acme", "--json")).json()["integrations"]
    assert before == after
    rows = {r["id"]: r for r in before}
    assert list(rows["my_service"]) == [
        "id",
        "name",
        "category",
        "state",
        "last_synced",
        "problem",
        "schedule",
    ]
    assert rows["my_service"] == {
        "id": "my_service",
        "name": "My Service",
        "category": "Online Payment",
        "state": "Enabled",
        "last_synced": None,
        "problem": None,
        "schedule": None,
    }
    assert rows["probe_service"]["state"] == "Not Installed"
    # The first company is the default, and its record is not enabled.
    default = {r["id"]: r for r in ok(ff("integrations", "list", "--json")).json()["integrations"]}
    assert default["my_service"]["state"] == "Installed"
    text = ok(ff("integrations", "list")).out.splitlines()
    assert text[0].split() == ["ID", "NAME", "CATEGORY", "STATE", "LAST_SYNCED"]
    refused(
        ff("integrations", "list", "--company", "Nope"),
        "There is no company 'Nope' (companies: 'My Company', 'Acme').",
    )
    refused(
        ff("integrations", "form", "nope"),
        "There is no integration 'nope' (integrations: "
        + ", ".join(sorted(r["id"] for r in before))
        + ").",
    )


def test_integrations_form_set_enable_disable(ff: CliRunner, memory_keyring: MemoryKeyring) -> None:
    ok(ff("modules", "install", "my_service"))
    form = ok(ff("integrations", "form", "my_service", "--json")).json()
    assert (form["integration"], form["state"]) == ("my_service", "Installed")
    fields = {f["name"]: f for f in form["fields"]}
    assert all(list(f) == FORM_KEYS for f in form["fields"])
    assert [f["name"] for f in form["fields"]][3:6] == ["enabled", "api_key", "api_secret"]
    assert fields["api_key"] == {
        "name": "api_key",
        "label": "API Key",
        "widget": "Text",
        "value": "",
        "visible": True,
        "required": False,
        "readonly": False,
    }
    assert fields["api_secret"]["widget"] == "Password"
    assert fields["name"]["value"] == "My Service" and fields["name"]["readonly"] is True

    refused(
        ff("integrations", "enable", "my_service"), "Please enter your API Key before enabling."
    )
    saved = ff(
        "integrations",
        "set",
        "my_service",
        "api_key=-",
        "api_secret=my-secret-8",
        stdin="key-from-stdin\n",
    )
    # A secret typed in clear is saved, with one warning about the shell history.
    assert (saved.code, saved.out) == (0, "Saved api_key, api_secret.\n")
    assert saved.err == (
        "Warning: secret values on the command line end up in shell history; use api_secret=-\n"
    )
    assert "my-secret-8" in memory_keyring.store.values()
    assert "key-from-stdin" in memory_keyring.store.values()
    fields = {
        f["name"]: f
        for f in ok(ff("integrations", "form", "my_service", "--json")).json()["fields"]
    }
    assert (fields["api_key"]["value"], fields["api_secret"]["value"]) == ("set", "set")
    table = ok(ff("integrations", "form", "my_service")).out
    assert "key-from-stdin" not in table
    assert table.splitlines()[0].split() == [k.upper() for k in FORM_KEYS]

    assert ok(ff("integrations", "enable", "my_service")).out == "My Service: Enabled.\n"
    assert ok(ff("integrations", "disable", "my_service", "--json")).json() == {
        "integration": "my_service",
        "state": "Installed",
    }
    refused(
        ff("integrations", "set", "my_service", "name=Other"),
        "Integration Name cannot be changed here.",
    )
    result = ff("integrations", "set", "my_service", "nope=1")
    assert result.code == 1
    assert result.err.startswith("My Service has no field 'nope' in its form (fields: ")
    assert len(result.err.splitlines()) == 1
    # An integration of a module that is not installed: enabling is refused.
    refused(
        ff("integrations", "enable", "probe_service"), "Install Probe Service before enabling it."
    )


def test_integrations_test_and_enable_outcomes(ff: CliRunner) -> None:
    ok(ff("modules", "install", "probe_service"))
    assert ok(ff("integrations", "test", "probe_service")).out == "ok: Probe says hello.\n"
    ok(
        ff(
            "integrations",
            "set",
            "probe_service",
            "probe_service_token=-",
            stdin="probe-rejected-3\n",
        )
    )
    result = ff("integrations", "test", "probe_service", "--json")
    assert result.code == 1
    assert result.json() == {
        "integration": "probe_service",
        "outcome": "rejected",
        "message": "The token was revoked.",
    }
    refused(ff("integrations", "enable", "probe_service"), "The token was revoked.")
    ok(
        ff(
            "integrations",
            "set",
            "probe_service",
            "probe_service_token=-",
            stdin="probe-offline-3\n",
        )
    )
    result = ff("integrations", "test", "probe_service")
    assert (result.code, result.out) == (3, "unreachable: Probe is offline.\n")  # could not reach
    result = ff("integrations", "enable", "probe_service")
    assert (result.code, result.out) == (3, "")
    assert result.err == "Probe is offline. Use --anyway to enable it all the same.\n"
    assert (
        ok(ff("integrations", "enable", "probe_service", "--anyway")).out
        == "Probe Service: Enabled.\n"
    )
    ok(
        ff(
            "integrations",
            "set",
            "probe_service",
            "probe_service_token=-",
            stdin="probe-raise-down-3\n",
        )
    )
    result = ff("integrations", "test", "probe_service", "--json")
    assert result.code == 3
    assert result.json()["outcome"] == "unreachable"


def test_database_option_before_or_after_and_the_environment_default(
    ff: CliRunner, tmp_path: Path
) -> None:
    other = database_url(tmp_path / "other.sqlite")
    ok(ff("--database", other, "companies", "add", "Elsewhere"))
    names = [
        c["name"]
        for c in ok(ff("companies", "list", "--database", other, "--json")).json()["companies"]
    ]
    assert names == ["My Company", "Elsewhere"]
    default = [c["name"] for c in ok(ff("companies", "list", "--json")).json()["companies"]]
    assert default == ["My Company"]  # FFDESK_DATABASE_URL (set by the fixture) was untouched
    if not ON_POSTGRESQL:
        assert (tmp_path / "other.sqlite").is_file() and (tmp_path / "cli.sqlite").is_file()


@pytest.mark.parametrize(
    ("argv", "start"),
    [
        (["bogus"], "ffdesk: argument command: invalid choice: 'bogus'"),
        (["modules"], "ffdesk modules: the following arguments are required: action"),
        (
            ["modules", "install"],
            "ffdesk modules install: the following arguments are required: id",
        ),
        (["integrations", "set", "my_service"], "ffdesk integrations set: the following arguments"),
        (
            ["integrations", "set", "my_service", "novalue"],
            "ffdesk integrations set: expected field=value",
        ),
        (["companies", "list", "--bogus"], "ffdesk: unrecognized arguments: --bogus"),
        (["runs", "--limit", "many"], "ffdesk runs: argument --limit: invalid int value"),
    ],
)
def test_bad_usage_exits_2(ff: CliRunner, argv: list[str], start: str) -> None:
    result = ff(*argv)
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith(start), result.err
    assert len(result.err.splitlines()) == 1


def test_two_fields_cannot_both_read_standard_input(ff: CliRunner) -> None:
    ok(ff("modules", "install", "my_service"))
    result = ff("integrations", "set", "my_service", "api_key=-", "api_secret=-", stdin="a\nb\n")
    assert result.code == 2
    assert result.err == "ffdesk integrations set: only one field can read standard input\n"


def test_no_subcommand_prints_help_and_exits_2(ff: CliRunner) -> None:
    result = ff("--json")
    assert result.code == 2
    assert result.out.startswith("usage: ffdesk")


# -- the console script in a child process ---------------------------------------------------


def test_console_script_exit_codes_and_json(ffdesk_process: Subprocess) -> None:
    env = {"FFDESK_MODULES_PATH": str(FIXTURE_MODULES)}
    done = ffdesk_process("--json", "modules", "install", "my_service", **env)
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout) == {"installed": ["contacts", "online_payment", "my_service"]}

    done = ffdesk_process("integrations", "enable", "my_service", **env)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "Please enter your API Key before enabling.\n"

    done = ffdesk_process(
        "integrations", "set", "my_service", "api_key=-", stdin="sub-key\n", **env
    )
    assert done.returncode == 0, done.stderr
    assert "sub-key" in ffdesk_process.keyring().values()
    done = ffdesk_process("integrations", "enable", "my_service", "--json", module=True, **env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"integration": "my_service", "state": "Enabled"}

    done = ffdesk_process("companies", "add", "My Company", module=True)
    assert (done.returncode, done.stderr) == (1, "A company named 'My Company' already exists.\n")
    done = ffdesk_process("companies", "frobnicate")
    assert done.returncode == 2
    assert done.stderr.startswith("ffdesk companies: argument action: invalid choice")
    assert "Traceback" not in done.stderr
