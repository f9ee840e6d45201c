"""The README's command-line session works as written, all on the company it names."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.stripe import DEFAULT_SECRET_KEY, FakeStripe
from tests.helpers.database import ON_POSTGRESQL
from tests.helpers.env import CliRunner, cli_fixture  # noqa: F401
from tests.helpers.stripe_env import stripe_vars

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def quick_start() -> list[list[str]]:
    """The commands of the README's first `sh` block under "## Command line"."""
    section = README[README.index("## Command line") :]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    commands = [shlex.split(line, comments=True) for line in block[1].splitlines()]
    return [argv for argv in commands if argv]


@pytest.fixture
def stripe(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    with FakeStripe(secret_key=DEFAULT_SECRET_KEY, seed=5) as server:
        server.add_payment_intent(amount=4200)
        for name, value in stripe_vars(server.url).items():
            monkeypatch.setenv(name, value)
        yield server


def test_the_readme_session_runs_and_stays_on_its_company(
    cli: CliRunner, stripe: FakeStripe, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    (tmp_path / "people.csv").write_text("name,email,phone\nAda,ada@example.org,\n")
    commands = quick_start()
    assert commands[0] == ["ffdesk"]  # the window: not run here
    outputs = {}
    for argv in commands[1:]:
        assert argv[0] == "ffdesk"
        stdin = DEFAULT_SECRET_KEY + "\n" if any(a.endswith("=-") for a in argv) else None
        result = cli(*argv[1:], stdin=stdin)
        if ON_POSTGRESQL and argv[1:3] == ["db", "backup"]:
            # The README's database is the default SQLite file; a server has its own tools.
            assert (result.code, "pg_dump" in result.err) == (1, True), result.err
            continue
        assert result.code == 0, (argv, result.err)
        assert result.err == "", (argv, result.err)
        outputs[argv[1]] = result.out
    [run] = json.loads(outputs["runs"])["runs"]
    assert (run["integration"], run["state"], run["failed"]) == ("payment_stripe", "done", 0)
    assert run["created"] >= 2  # Ada pushed, the payment pulled
    # Nothing happened in the default company: every step named "Acme Ltd".
    default = {i["id"]: i for i in cli("integrations", "list", "--json").json()["integrations"]}
    assert default["payment_stripe"]["state"] == "Installed"
    assert cli("runs", "--json").json() == {"runs": []}
