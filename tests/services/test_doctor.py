"""`ffdesk doctor`: each check that fails says what is wrong and how to fix it."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import pytest
from keyring.backends import fail
from keyring.errors import KeyringLocked

from ffdesk.services.doctor import check_clock, check_network
from tests.helpers.database import ON_POSTGRESQL
from tests.helpers.env import (
    BROKEN_MODULES,
    CliRunner,
    OpenSystem,
    cli_fixture,  # noqa: F401
    open_system_fixture,  # noqa: F401
)


class LockedKeyring(keyring.backend.KeyringBackend):
    """A Secret Service whose collection stays locked: every read is refused."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("the collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("the collection is locked")


def doctor(cli: CliRunner, *argv: str) -> tuple[int, dict[str, dict[str, Any]]]:
    result = cli("doctor", "--json", *argv)
    report = json.loads(result.out)
    assert report["ok"] is (result.code == 0)
    return result.code, {c["name"]: c for c in report["checks"]}


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make `folder` unwritable, even for root (CI runs as root): the immutable attribute."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            yield
        finally:
            folder.chmod(0o700)
        return
    subprocess.run(["chattr", "+i", str(folder)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "data-home"
    home.mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.delenv("FFDESK_CA_BUNDLE", raising=False)
    return home


def test_a_healthy_machine_passes_every_check(cli: CliRunner, data_home: Path) -> None:
    code, checks = doctor(cli)
    assert code == 0
    assert list(checks) == ["keyring", "data folder", "database", "network", "modules", "clock"]
    assert {c["status"] for c in checks.values()} == {"ok"}
    assert "MemoryKeyring answers" in checks["keyring"]["summary"]
    dialect = "postgresql" if ON_POSTGRESQL else "sqlite"
    assert checks["database"]["summary"].endswith(f"({dialect}) opened; schema is current.")
    assert str(data_home / "ffdesk") in checks["data folder"]["summary"]
    text = cli("doctor")
    assert text.code == 0 and text.out.splitlines()[-1] == "Everything looks fine."


def test_no_keyring_backend_is_a_problem_with_its_fix(cli: CliRunner, data_home: Path) -> None:
    keyring.set_keyring(fail.Keyring())
    code, checks = doctor(cli)
    assert code == 1
    keyring_check = checks["keyring"]
    assert keyring_check["status"] == "problem"
    assert keyring_check["summary"].startswith("keyring.backends.fail.Keyring: No usable keyring")
    assert "PYTHON_KEYRING_BACKEND" in keyring_check["fix"]
    assert checks["database"]["status"] == "ok"  # the other checks still ran
    text = cli("doctor").out
    assert "PROBLEM  keyring: keyring.backends.fail.Keyring: No usable keyring" in text


def test_a_locked_keyring_says_unlock_it(cli: CliRunner, data_home: Path) -> None:
    keyring.set_keyring(LockedKeyring())
    code, checks = doctor(cli)
    assert code == 1
    assert checks["keyring"]["status"] == "problem"
    assert "locked" in checks["keyring"]["summary"]
    assert checks["keyring"]["fix"].startswith("The keyring is locked")
    assert "Unlock your desktop keyring" in checks["keyring"]["fix"]


def test_a_read_only_data_folder_is_a_problem(cli: CliRunner, data_home: Path) -> None:
    with read_only(data_home):
        code, checks = doctor(cli)
    assert code == 1
    folder = checks["data folder"]
    assert folder["status"] == "problem"
    assert folder["summary"].startswith("the data folder is not writable (")
    assert "XDG_DATA_HOME" in folder["fix"]


def test_an_unreachable_database_is_a_problem_and_the_rest_still_runs(
    cli: CliRunner, data_home: Path, tmp_path: Path
) -> None:
    missing = f"sqlite:///{tmp_path / 'no-such-folder' / 'ffdesk.db'}"
    code, checks = doctor(cli, "--database", missing)
    assert code == 1
    database = checks["database"]
    assert database["status"] == "problem"
    assert database["summary"] == f"{missing} could not be opened."
    folder = tmp_path / "no-such-folder"
    assert database["fix"].startswith(
        f"ffdesk's database cannot be opened ({folder / 'ffdesk.db'})"
    )
    assert "its folder does not exist" in database["fix"]
    assert "FFDESK_DATABASE_URL" in database["fix"]
    assert "OperationalError" not in json.dumps(database)
    assert checks["keyring"]["status"] == "ok" and checks["clock"]["status"] == "ok"
    assert "modules" not in checks  # they are read from the database


def test_broken_modules_are_listed_as_a_warning(
    cli: CliRunner, data_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FFDESK_MODULES_PATH", str(BROKEN_MODULES))
    code, checks = doctor(cli)
    assert code == 0  # a broken module is the module's problem, not the machine's
    modules = checks["modules"]
    assert modules["status"] == "warning"
    assert "bad_yaml: " in modules["summary"] and "cycle_a: " in modules["summary"]


def test_proxy_settings_are_reported_without_credentials() -> None:
    check = check_network(
        {"HTTPS_PROXY": "http://alice:s3cret@proxy.corp:3128", "no_proxy": "localhost"}
    )
    assert check.status == "ok"
    assert check.summary == (
        "provider requests use HTTPS_PROXY=http://***@proxy.corp:3128, NO_PROXY=localhost."
    )


def test_a_missing_ca_bundle_is_a_problem(tmp_path: Path) -> None:
    check = check_network({"FFDESK_CA_BUNDLE": str(tmp_path / "corp-ca.pem")})
    assert check.status == "problem"
    assert (
        check.summary == f"FFDESK_CA_BUNDLE names {tmp_path / 'corp-ca.pem'}, which does not exist."
    )


def test_a_clock_from_before_ffdesk_is_a_problem(arun: Any) -> None:
    check = arun(check_clock(None, now=lambda: 86400.0 * 365))  # 1971
    assert (check.status, check.summary) == ("problem", "the clock says 1971-01-01.")
    assert "NTP" in (check.fix or "")


def test_a_clock_behind_the_last_recorded_run_is_a_problem(open_system: OpenSystem) -> None:
    opened = open_system()
    SyncRun = opened.model("SyncRun")
    started = datetime(2026, 6, 1, 12, 0)
    opened.run(SyncRun.create(company=1, state="done", started=started, finished=started))
    an_hour_before = (started - timedelta(hours=1)).timestamp()
    check = opened.run(check_clock(opened.system, now=lambda: an_hour_before))
    assert check.status == "problem"
    assert check.summary == (
        "the clock says 2026-06-01 11:00, before a sync run that started at 2026-06-01 12:00."
    )
    a_minute_after = (started + timedelta(minutes=1)).timestamp()
    assert opened.run(check_clock(opened.system, now=lambda: a_minute_after)).status == "ok"
