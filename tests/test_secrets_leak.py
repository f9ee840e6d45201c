"""A secret written through the command line is found in the keyring and nowhere else."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from tests.helpers.database import ON_POSTGRESQL, dump_text
from tests.helpers.env import (
    FIXTURE_MODULES,
    CliRunner,
    Subprocess,
    cli_fixture,  # noqa: F401
    ffdesk_process_fixture,  # noqa: F401
)
from tests.helpers.memory_keyring import MemoryKeyring


def files_holding(folder: Path, needle: str) -> list[str]:
    """Every file under `folder` whose bytes contain `needle` (UTF-8 or UTF-16)."""
    patterns = [needle.encode(), needle.encode("utf-16-le")]
    return sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and any(p in path.read_bytes() for p in patterns)
    )


def test_a_secret_set_from_standard_input_leaks_nowhere(
    ffdesk_process: Subprocess, tmp_path: Path
) -> None:
    secret = f"sk_live_{uuid.uuid4().hex}"
    other = f"whsec_{uuid.uuid4().hex}"
    env = {"FFDESK_MODULES_PATH": str(FIXTURE_MODULES)}
    outputs: list[str] = []

    def ffdesk(*argv: str, stdin: str | None = None, code: int = 0) -> str:
        done = ffdesk_process(*argv, stdin=stdin, **env)
        assert done.returncode == code, done.stderr
        outputs.extend([done.stdout, done.stderr])
        return done.stdout

    ffdesk("modules", "install", "my_service")
    ffdesk("companies", "add", "Company B")
    ffdesk("integrations", "set", "my_service", "api_key=-", stdin=secret + "\n")
    ffdesk("integrations", "set", "my_service", "api_secret=-", "--json", stdin=other + "\r\n")
    ffdesk("integrations", "enable", "my_service")

    # The form shows both only as "set", in JSON and as text.
    form = json.loads(ffdesk("integrations", "form", "my_service", "--json"))
    fields = {f["name"]: f for f in form["fields"]}
    assert (fields["api_key"]["value"], fields["api_secret"]["value"]) == ("set", "set")
    assert fields["api_secret"]["widget"] == "Password"
    assert form["state"] == "Enabled"
    ffdesk("integrations", "form", "my_service")
    json.loads(ffdesk("integrations", "list", "--json"))
    json.loads(ffdesk("modules", "list", "--json"))
    ffdesk("integrations", "list")
    # A failure's message and log go through the same masks.
    ffdesk("integrations", "enable", "my_service", "--company", "Company B", code=1)

    # Company B sees nothing of company A's values, not even that they are set.
    form_b = json.loads(
        ffdesk("--company", "Company B", "integrations", "form", "my_service", "--json")
    )
    fields_b = {f["name"]: f for f in form_b["fields"]}
    assert (fields_b["api_key"]["value"], fields_b["api_secret"]["value"]) == ("", "")
    assert form_b["state"] == "Installed"

    # The values are in the keyring, under this database's id and company A, and only there.
    stored = ffdesk_process.keyring()
    assert sorted(stored.values()) == sorted([secret, other])
    assert all(key.startswith("ffdesk|") and ":1:Integration:" in key for key in stored)
    for needle in (secret, other):
        assert not [o for o in outputs if needle in o]
        assert files_holding(ffdesk_process.database.parent, needle) == ["keyring.json"]
        assert needle not in dump_text(ffdesk_process.url)  # every row, on either database
    logs = list(ffdesk_process.logs.glob("*.log*"))
    assert logs and any(path.stat().st_size for path in logs)
    assert ON_POSTGRESQL or ffdesk_process.database.is_file()


def test_in_process_outputs_and_the_database_never_hold_the_secret(
    cli: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
) -> None:
    monkeypatch.setenv("FFDESK_MODULES_PATH", str(FIXTURE_MODULES))
    secret = f"key_{uuid.uuid4().hex}"
    assert cli("modules", "install", "my_service").code == 0
    assert cli("companies", "add", "B").code == 0
    seen: list[str] = []
    for argv in (
        ["integrations", "set", "my_service", "api_key=-", "--company", "B"],
        ["integrations", "form", "my_service", "--company", "B", "--json"],
        ["integrations", "form", "my_service", "--json"],
        ["integrations", "list", "--company", "B", "--json"],
        ["modules", "list", "--json"],
        ["integrations", "enable", "my_service", "--company", "B"],
        ["integrations", "test", "my_service", "--company", "B", "--json"],
    ):
        result = cli(*argv, stdin=secret + "\n")
        assert result.code == 0, result.err
        seen.extend([result.out, result.err])
    assert not [text for text in seen if secret in text]

    def api_key_shown(company: str) -> str:
        form = cli("integrations", "form", "my_service", "--company", company, "--json").json()
        return {f["name"]: f["value"] for f in form["fields"]}["api_key"]

    assert (api_key_shown("B"), api_key_shown("My Company")) == ("set", "")
    assert list(memory_keyring.store.values()) == [secret]
    assert files_holding(tmp_path, secret) == []
    assert secret not in dump_text(os.environ["FFDESK_DATABASE_URL"])
