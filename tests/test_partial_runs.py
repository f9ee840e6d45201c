"""A run that finished with failed records says so: `partial`, not `done`, on the command line.

The window's side (history table and run detail read "Done with failures") is tested in
tests/ui/test_run_detail.py on the same kind of run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.fakes.stripe import DEFAULT_SECRET_KEY, FakeStripe
from tests.helpers.env import CliRunner, cli_fixture  # noqa: F401
from tests.helpers.stripe_env import stripe_vars

SCHEMA: dict[str, Any] = json.loads(files("ffdesk").joinpath("cli_schema.json").read_text())
REJECTED = {"error": {"type": "invalid_request_error", "message": "Invalid email address"}}


@pytest.fixture
def stripe(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    with FakeStripe(secret_key=DEFAULT_SECRET_KEY, seed=5) as server:
        for name, value in stripe_vars(server.url).items():
            monkeypatch.setenv(name, value)
        yield server


@pytest.fixture
def enabled(cli: CliRunner, stripe: FakeStripe, tmp_path: Path) -> FakeStripe:
    """Stripe installed and enabled, with three contacts to push."""
    people = tmp_path / "people.csv"
    people.write_text(
        "name,email,phone\nAda,ada@example.org,\nBea,bea@example.org,\nCy,cy@example.org,\n"
    )
    assert cli("modules", "install", "payment_stripe").code == 0
    assert cli("integrations", "set", "payment_stripe", "secret_key=-", stdin=DEFAULT_SECRET_KEY)
    assert cli("integrations", "enable", "payment_stripe").code == 0
    assert cli("contacts", "import", str(people)).code == 0
    return stripe


def json_of(command: str, result: Any) -> dict[str, Any]:
    document = json.loads(result.out)
    jsonschema.validate(document, SCHEMA["commands"][command])
    return document


def test_a_run_with_failed_records_reads_partial_in_sync_and_runs(
    cli: CliRunner, enabled: FakeStripe
) -> None:
    enabled.fail_next(2, 400, body=REJECTED, path_prefix="/v1/customers", method="POST")
    [synced] = json_of("sync", cli("sync", "--json"))["runs"]
    assert (synced["state"], synced["created"], synced["failed"]) == ("partial", 1, 2)

    [listed] = json_of("runs", cli("runs", "--json"))["runs"]
    assert (listed["id"], listed["state"], listed["failed"]) == (synced["run_id"], "partial", 2)
    [detail] = json_of("runs", cli("runs", "--run", str(listed["id"]), "--json"))["runs"]
    assert detail["state"] == "partial"

    header, row = cli("runs").out.splitlines()
    assert row.split()[header.split().index("STATE")] == "partial"
    text = cli("runs", "--run", str(listed["id"])).out
    assert text.startswith(f"Run {listed['id']} of Stripe (command line): partial\n")


def test_a_run_without_failed_records_still_reads_done(cli: CliRunner, enabled: FakeStripe) -> None:
    [synced] = json_of("sync", cli("sync", "--json"))["runs"]
    assert (synced["state"], synced["failed"]) == ("done", 0)
    [listed] = json_of("runs", cli("runs", "--json"))["runs"]
    assert listed["state"] == "done"


def test_the_schema_names_every_state_a_run_can_be_read_as() -> None:
    from ffdesk.sync.run_states import SHOWN_RUN_STATES

    runs = SCHEMA["commands"]["runs"]["properties"]["runs"]["items"]["properties"]
    assert runs["state"]["enum"] == list(SHOWN_RUN_STATES)
