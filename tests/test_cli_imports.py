"""The command line stays light: --version loads neither Qt nor the engine, and no command but
the window ever imports PySide6."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ffdesk import __version__
from tests.helpers.env import Subprocess, ffdesk_process_fixture  # noqa: F401

HEAVY = ("PySide6", "shiboken6", "qasync", "sqlalchemy", "ffdesk.engine", "ffdesk.cli", "httpx")

RUN_COMMANDS = r"""
import json, sys
from ffdesk.cli import main
commands = json.loads(sys.argv[1])
codes = [main(argv) for argv in commands]
qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "qasync"))
print(json.dumps({"codes": codes, "qt": qt}))
"""


def imported_modules(importtime_stderr: str) -> list[str]:
    """Module names from `python -X importtime` output."""
    names = []
    for line in importtime_stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.append(line.rsplit("|", 1)[1].strip())
    return names


def test_version_loads_neither_qt_nor_the_engine(ffdesk_process: Subprocess) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ffdesk", "--version"],
        capture_output=True,
        text=True,
        env=ffdesk_process.env,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, f"ffdesk {__version__}\n")
    loaded = imported_modules(done.stderr)
    assert "ffdesk" in loaded
    assert [m for m in loaded if m.startswith(HEAVY)] == []
    # The console script says the same.
    assert ffdesk_process("--version").stdout == f"ffdesk {__version__}\n"


def test_commands_other_than_the_window_never_import_pyside6(
    ffdesk_process: Subprocess, tmp_path: Path
) -> None:
    people = tmp_path / "people.csv"
    people.write_text("name,email,phone\nAda,ada@example.org,\n")
    commands = [
        ["modules", "list"],
        ["modules", "install", "payment_stripe"],
        ["companies", "add", "Acme"],
        ["companies", "list"],
        ["integrations", "list"],
        ["integrations", "form", "payment_stripe"],
        ["integrations", "set", "payment_stripe", "sandbox_mode=true"],
        ["contacts", "import", str(people)],
        ["contacts", "list"],
        ["sync", "--json"],
        ["runs"],
        ["doctor"],
        ["completion", "bash"],
        ["--help"],
    ]
    done = subprocess.run(
        [sys.executable, "-c", RUN_COMMANDS, json.dumps(commands)],
        capture_output=True,
        text=True,
        env={**ffdesk_process.env, "XDG_DATA_HOME": str(tmp_path / "data")},
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["qt"] == []
    assert result["codes"] == [0] * len(commands), done.stderr
