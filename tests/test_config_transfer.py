"""Configuration export and import (issue 11.4): YAML without secrets, a dry run by default,
and a round trip into an empty database that gives the same configuration."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import yaml

from tests.helpers.database import database_url
from tests.helpers.env import Subprocess, ffdesk_process_fixture  # noqa: F401

STRIPE = "payment_stripe"


def test_round_trip_into_an_empty_database_gives_the_same_configuration(
    ffdesk_process: Subprocess, tmp_path: Path
) -> None:
    secret = f"sk_test_{uuid.uuid4().hex}"
    outputs: list[str] = []

    def ffdesk(*argv: str, stdin: str | None = None, database: str | None = None) -> str:
        extra = ("--database", database) if database else ()
        done = ffdesk_process(*extra, *argv, stdin=stdin)
        assert done.returncode == 0, done.stderr
        outputs.extend([done.stdout, done.stderr])
        return done.stdout

    ffdesk("modules", "install", STRIPE)
    ffdesk("companies", "add", "Acme")
    ffdesk("integrations", "set", STRIPE, "secret_key=-", "sandbox_mode=false", stdin=secret)
    ffdesk("--company", "Acme", "integrations", "set", STRIPE, "sandbox_mode=false")
    exported = tmp_path / "config.yaml"
    ffdesk("config", "export", str(exported))
    data = yaml.safe_load(exported.read_text())
    stripe = data["companies"][0]["integrations"][STRIPE]
    assert stripe["values"]["sandbox_mode"] is False and "secret_key" in stripe["secrets"]
    assert data["modules"] == sorted(["contacts", "online_payment", STRIPE])

    empty = database_url(tmp_path / "empty.sqlite")
    dry = ffdesk("config", "import", str(exported), database=empty)
    assert f"Would change: install module {STRIPE}" in dry
    assert "Would change: add company 'Acme'" in dry
    assert dry.strip().endswith("Dry run: nothing was written (--apply writes it).")
    listed = json.loads(ffdesk("companies", "list", "--json", database=empty))["companies"]
    assert [c["name"] for c in listed] == ["My Company"]  # the dry run added nothing

    applied = ffdesk(
        "config", "import", str(exported), "secret_key=-", "--apply", stdin=secret, database=empty
    )
    assert "Changed: My Company / payment_stripe: secret_key set" in applied
    again = tmp_path / "again.yaml"
    ffdesk("config", "export", str(again), database=empty)
    assert yaml.safe_load(again.read_text()) == data
    second = ffdesk("config", "import", str(exported), database=empty)
    assert "Nothing to change." in second

    # The secret went keyring to keyring; never into a file or an output.
    for needle in (secret.encode(), base64.b64encode(secret.encode())):
        assert needle not in exported.read_bytes() and needle not in again.read_bytes()
        assert not any(needle in out.encode() for out in outputs)


def test_an_import_names_the_secrets_it_still_needs(
    ffdesk_process: Subprocess, tmp_path: Path
) -> None:
    assert ffdesk_process("modules", "install", STRIPE).returncode == 0
    exported = tmp_path / "config.yaml"
    assert ffdesk_process("config", "export", str(exported)).returncode == 0
    empty = database_url(tmp_path / "empty.sqlite")
    done = ffdesk_process("--database", empty, "config", "import", str(exported), "--apply")
    assert done.returncode == 0, done.stderr
    assert "Secret needed: My Company / payment_stripe: secret_key" in done.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text("modules: [\n")
    refused = ffdesk_process("config", "import", str(broken))
    assert refused.returncode == 1
    assert refused.stderr.strip() == f"{broken} is not a valid configuration file (line 2)."
