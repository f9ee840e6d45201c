"""The scheduler as a service: the systemd unit (checked by systemd-analyze where it exists, and
by a parser of its keys), the launchd agent, the Task Scheduler command; install / uninstall."""

from __future__ import annotations

import configparser
import os
import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ffdesk.services import background

URL = "postgresql+psycopg://ffdesk:s3cret-pw@db.example.org/ffdesk"
SYSTEMD_KEYS = {
    "Unit": {"Description", "Documentation", "After"},
    "Service": {
        "Type",
        "ExecStart",
        "EnvironmentFile",
        "Environment",
        "Restart",
        "RestartSec",
        "KillSignal",
        "TimeoutStopSec",
    },
    "Install": {"WantedBy"},
}


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def _unit(config_home: Path) -> str:
    plan = background.plan_install(URL, platform="linux")
    assert plan.path == config_home / "systemd" / "user" / "ffdesk-scheduler.service"
    assert plan.text is not None
    return plan.text


def test_systemd_unit_has_only_known_keys_and_runs_this_ffdesk(config_home: Path) -> None:
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string(_unit(config_home))
    assert set(parser.sections()) == set(SYSTEMD_KEYS)
    for section, keys in SYSTEMD_KEYS.items():
        assert set(parser[section]) <= keys, section
    service = parser["Service"]
    assert service["ExecStart"].split() == [sys.executable, "-m", "ffdesk", "scheduler", "run"]
    assert service["KillSignal"] == "SIGTERM" and service["Restart"] == "on-failure"
    # The scheduler exits within 10 s of SIGTERM: systemd waits longer before SIGKILL.
    assert int(service["TimeoutStopSec"]) > 10
    assert service["EnvironmentFile"] == f"-{config_home / 'ffdesk' / 'scheduler.env'}"
    assert parser["Install"]["WantedBy"] == "default.target"
    # The database URL (it may hold a password) is not in the unit, which anyone may read.
    assert "s3cret" not in _unit(config_home)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_analyze_verify_accepts_the_unit(config_home: Path, tmp_path: Path) -> None:
    unit = tmp_path / "ffdesk-scheduler.service"
    unit.write_text(_unit(config_home))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"},
    )
    # verify exits 0 even for unknown keys: any line about our file is a finding.
    findings = [line for line in (done.stdout + done.stderr).splitlines() if str(unit) in line]
    assert done.returncode == 0 and findings == [], done.stdout + done.stderr


def test_install_writes_the_unit_and_a_private_environment_file_then_uninstall_removes_them(
    config_home: Path,
) -> None:
    report = background.install(URL, start=False)
    unit = config_home / "systemd" / "user" / "ffdesk-scheduler.service"
    env_file = config_home / "ffdesk" / "scheduler.env"
    if not sys.platform.startswith("linux"):
        pytest.skip("the systemd unit is written on Linux only")
    assert unit.read_text() == _unit(config_home)
    assert env_file.read_text() == f"FFDESK_DATABASE_URL={URL}\n"
    assert env_file.stat().st_mode & 0o777 == 0o600
    assert report.lines == [
        f"Wrote the systemd service: {unit}",
        "Start it with: systemctl --user daemon-reload; "
        "systemctl --user enable --now ffdesk-scheduler.service",
    ]
    assert background.installed_service() == unit
    removed = background.uninstall(stop=False)
    assert removed.lines == ["Removed the systemd service."]
    assert not unit.exists() and not env_file.exists()
    assert background.installed_service() is None
    assert background.uninstall(stop=False).lines == [
        "No background scheduler service was installed."
    ]


def test_install_says_what_to_run_when_systemctl_is_missing(
    config_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("the systemd unit is written on Linux only")
    monkeypatch.setenv("PATH", str(config_home))  # no systemctl on this PATH
    report = background.install(URL, start=True)
    assert not report.started
    assert report.lines[-1] == (
        "systemctl is not available here; run it yourself: systemctl --user daemon-reload"
    )


def test_launchd_agent_runs_the_scheduler_at_login_and_keeps_it_alive(tmp_path: Path) -> None:
    text = background.launchd_plist(
        background.scheduler_command(), {"FFDESK_DATABASE_URL": URL}, tmp_path
    )
    agent = plistlib.loads(text.encode())
    assert agent["Label"] == "io.fullfinity.ffdesk.scheduler"
    assert agent["ProgramArguments"] == [sys.executable, "-m", "ffdesk", "scheduler", "run"]
    assert agent["RunAtLoad"] is True
    assert agent["KeepAlive"] == {"SuccessfulExit": False}
    assert agent["EnvironmentVariables"]["FFDESK_DATABASE_URL"] == URL
    assert agent["StandardOutPath"] == str(tmp_path / "scheduler.out.log")


def test_task_scheduler_entry_runs_at_log_on() -> None:
    command = [r"C:\Program Files\Python311\python.exe", "-m", "ffdesk", "scheduler", "run"]
    create = background.schtasks_create(command)
    assert create == [
        "schtasks",
        "/Create",
        "/TN",
        "ffdesk scheduler",
        "/SC",
        "ONLOGON",
        "/RL",
        "LIMITED",
        "/F",
        "/TR",
        '"C:\\Program Files\\Python311\\python.exe" -m ffdesk scheduler run',
    ]
    assert background.schtasks_delete() == ["schtasks", "/Delete", "/TN", "ffdesk scheduler", "/F"]
    plan = background.plan_install(None, platform="win32")
    assert plan.platform == "Task Scheduler" and plan.path is None
    assert plan.commands[0][:2] == ["schtasks", "/Create"]


def test_printed_database_urls_hide_the_password() -> None:
    assert background.masked_url(URL) == "postgresql+psycopg://ffdesk:***@db.example.org/ffdesk"
