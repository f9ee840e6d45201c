"""The background scheduler as an operating-system service: systemd user unit (Linux), launchd
agent (macOS) or Task Scheduler entry (Windows); written, removed and described here."""

from __future__ import annotations

import os
import plistlib
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

UNIT_NAME = "ffdesk-scheduler.service"
LAUNCHD_LABEL = "io.fullfinity.ffdesk.scheduler"
TASK_NAME = "ffdesk scheduler"


def scheduler_command(database_url: str | None = None) -> list[str]:
    """How the service starts the scheduler: this Python, this ffdesk."""
    command = [sys.executable, "-m", "ffdesk", "scheduler", "run"]
    if database_url and sys.platform == "win32":
        command += ["--database", database_url]  # Task Scheduler has no environment file
    return command


def _systemd_quote(arg: str) -> str:
    if arg and all(c.isalnum() or c in "-_./:=@+," for c in arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_unit(command: Sequence[str], env_file: Path | None) -> str:
    """The user unit: restarted when it fails, stopped with SIGTERM (it exits within 10 s)."""
    lines = [
        "[Unit]",
        "Description=ffdesk scheduled syncs",
        "Documentation=https://github.com/fullfinity/ffdesk#scheduled-syncs",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=simple",
        f"ExecStart={' '.join(_systemd_quote(a) for a in command)}",
    ]
    if env_file is not None:
        lines.append(f"EnvironmentFile=-{env_file}")
    lines += [
        "Environment=PYTHONUNBUFFERED=1",
        "Restart=on-failure",
        "RestartSec=10",
        "KillSignal=SIGTERM",
        "TimeoutStopSec=15",
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
    ]
    return "\n".join(lines)


def launchd_plist(command: Sequence[str], environment: Mapping[str, str], log_dir: Path) -> str:
    """The launchd agent: started at login, kept alive, SIGTERM to stop."""
    data = {
        "Label": LAUNCHD_LABEL,
        "ProgramArguments": list(command),
        "EnvironmentVariables": {"PYTHONUNBUFFERED": "1", **environment},
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "ExitTimeOut": 15,
        "StandardOutPath": str(log_dir / "scheduler.out.log"),
        "StandardErrorPath": str(log_dir / "scheduler.err.log"),
    }
    return plistlib.dumps(data).decode("utf-8")


def schtasks_create(command: Sequence[str]) -> list[str]:
    """The Task Scheduler entry: at log-on, restarted on failure by the scheduler itself."""
    return [
        "schtasks",
        "/Create",
        "/TN",
        TASK_NAME,
        "/SC",
        "ONLOGON",
        "/RL",
        "LIMITED",
        "/F",
        "/TR",
        subprocess.list2cmdline(list(command)),
    ]


def schtasks_delete() -> list[str]:
    return ["schtasks", "/Delete", "/TN", TASK_NAME, "/F"]


def masked_url(url: str) -> str:
    """A database URL fit to print: the password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(the configured database)"


@dataclass
class ServicePlan:
    """What installing writes and runs on this platform (printed with --dry-run)."""

    platform: str
    path: Path | None
    text: str | None
    commands: list[list[str]] = field(default_factory=list)
    env_file: Path | None = None
    env_text: str | None = None


def _config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def plan_install(database_url: str | None, platform: str = sys.platform) -> ServicePlan:
    command = scheduler_command(database_url)
    environment = {"FFDESK_DATABASE_URL": database_url} if database_url else {}
    if platform.startswith("linux"):
        unit_dir = _config_home() / "systemd" / "user"
        env_file = _config_home() / "ffdesk" / "scheduler.env"
        env_text = "".join(f"{k}={v}\n" for k, v in environment.items())
        return ServicePlan(
            platform="systemd",
            path=unit_dir / UNIT_NAME,
            text=systemd_unit(command, env_file),
            commands=[
                ["systemctl", "--user", "daemon-reload"],
                ["systemctl", "--user", "enable", "--now", UNIT_NAME],
            ],
            env_file=env_file,
            env_text=env_text,
        )
    if platform == "darwin":
        from ffdesk.logs import log_file

        path = Path.home() / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"
        return ServicePlan(
            platform="launchd",
            path=path,
            text=launchd_plist(command, environment, log_file().parent),
            commands=[["launchctl", "load", "-w", str(path)]],
        )
    return ServicePlan(
        platform="Task Scheduler", path=None, text=None, commands=[schtasks_create(command)]
    )


def plan_uninstall(platform: str = sys.platform) -> ServicePlan:
    if platform.startswith("linux"):
        return ServicePlan(
            platform="systemd",
            path=_config_home() / "systemd" / "user" / UNIT_NAME,
            text=None,
            commands=[
                ["systemctl", "--user", "disable", "--now", UNIT_NAME],
                ["systemctl", "--user", "daemon-reload"],
            ],
            env_file=_config_home() / "ffdesk" / "scheduler.env",
        )
    if platform == "darwin":
        path = Path.home() / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"
        return ServicePlan(
            platform="launchd",
            path=path,
            text=None,
            commands=[["launchctl", "unload", "-w", str(path)]],
        )
    return ServicePlan(
        platform="Task Scheduler", path=None, text=None, commands=[schtasks_delete()]
    )


@dataclass
class ServiceReport:
    """What install / uninstall did, in sentences."""

    lines: list[str] = field(default_factory=list)
    started: bool = False


def _run(commands: Sequence[Sequence[str]], report: ServiceReport) -> bool:
    for command in commands:
        if shutil.which(command[0]) is None:
            report.lines.append(
                f"{command[0]} is not available here; run it yourself: {shlex.join(command)}"
            )
            return False
        try:
            done = subprocess.run(list(command), capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as exc:
            report.lines.append(f"Could not run {shlex.join(command)}: {exc}")
            return False
        if done.returncode != 0:
            reason = (done.stderr or done.stdout).strip().splitlines()
            report.lines.append(
                f"{shlex.join(command)} failed"
                + (f": {reason[-1]}" if reason else "")
                + "; run it yourself once the problem is fixed."
            )
            return False
    return True


def install(database_url: str | None, *, start: bool = True) -> ServiceReport:
    """Write the service definition (and start it unless `start` is False)."""
    plan = plan_install(database_url)
    report = ServiceReport()
    if plan.env_file is not None and plan.env_text is not None:
        plan.env_file.parent.mkdir(parents=True, exist_ok=True)
        # The database URL may hold a password: readable by this user only.
        plan.env_file.touch(mode=0o600, exist_ok=True)
        os.chmod(plan.env_file, 0o600)
        plan.env_file.write_text(plan.env_text, "utf-8")
    if plan.path is not None and plan.text is not None:
        plan.path.parent.mkdir(parents=True, exist_ok=True)
        plan.path.write_text(plan.text, "utf-8")
        if plan.platform == "launchd":
            os.chmod(plan.path, 0o600)
        report.lines.append(f"Wrote the {plan.platform} service: {plan.path}")
    if start:
        report.started = _run(plan.commands, report)
        if report.started:
            report.lines.append("The background scheduler is running and starts at each log-in.")
    else:
        report.lines.append("Start it with: " + "; ".join(shlex.join(c) for c in plan.commands))
    return report


def uninstall(*, stop: bool = True) -> ServiceReport:
    plan = plan_uninstall()
    report = ServiceReport()
    if stop:
        _run(plan.commands, report)
    removed = False
    for path in (plan.path, plan.env_file):
        if path is not None and path.exists():
            path.unlink()
            removed = True
    report.lines.append(
        f"Removed the {plan.platform} service."
        if removed or plan.path is None
        else "No background scheduler service was installed."
    )
    return report


def installed_service(platform: str = sys.platform) -> Path | None:
    """The service file when one is installed (None on Windows: ask schtasks)."""
    path = plan_uninstall(platform).path
    return path if path is not None and path.exists() else None
