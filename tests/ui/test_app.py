"""The real window process: starts, shows the window, stops cleanly, survives bad set-ups."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.database import ON_POSTGRESQL, database_url

ROOT = Path(__file__).resolve().parents[2]
MEMORY_KEYRING = "tests.helpers.memory_keyring.MemoryKeyring"


def start(tmp_path: Path, *args: str, keyring: str = MEMORY_KEYRING) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "FFDESK_LOG_DIR": str(tmp_path / "logs"),
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PYTHON_KEYRING_BACKEND": keyring,
        "PYTHONPATH": str(ROOT),
    }
    env.pop("FFDESK_DATABASE_URL", None)
    code = "import sys; from ffdesk.app import run_app; sys.exit(run_app(sys.argv[1:]))"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_log(
    tmp_path: Path, text: str, process: subprocess.Popen[str], timeout: float = 30
) -> str:
    log = tmp_path / "logs" / "ffdesk.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = log.read_text() if log.exists() else ""
        if text in content:
            return content
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    output = process.communicate()[0]
    pytest.fail(f"{text!r} never logged; exit {process.returncode}; output:\n{output}")


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    try:
        output = process.communicate(timeout=20)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        output = process.communicate()[0]
        pytest.fail(f"did not stop on SIGTERM:\n{output}")
    return process.returncode, output


def test_window_starts_and_stops_cleanly(tmp_path: Path) -> None:
    process = start(
        tmp_path, "--database=" + database_url(tmp_path / "app.db"), "--company", "Acme"
    )
    log = wait_for_log(tmp_path, "main window shown", process)
    assert "Traceback" not in log
    code, output = stop(process)
    assert code == 0, output
    assert "Traceback" not in output
    assert ON_POSTGRESQL or (tmp_path / "app.db").exists()
    assert "QThread: Destroyed" not in output


def test_window_starts_without_a_keyring(tmp_path: Path) -> None:
    process = start(
        tmp_path,
        "--database=" + database_url(tmp_path / "app.db"),
        keyring="keyring.backends.fail.Keyring",
    )
    wait_for_log(tmp_path, "main window shown", process)
    code, output = stop(process)
    assert code == 0, output


def test_a_database_that_cannot_be_opened_shows_an_error_window(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "folder" / "x.db"
    process = start(tmp_path, f"--database=sqlite:///{missing}")
    log = wait_for_log(tmp_path, "start-up error window shown", process)
    # The window says what is wrong in a sentence, not with the driver's text.
    assert f"ffdesk's database cannot be opened ({missing})" in log
    code, output = stop(process)
    assert code == 1, output


def test_no_display_is_said_in_plain_words() -> None:
    from ffdesk.app import display_problem

    message = display_problem({}, "linux")
    assert message is not None and "no display" in message and "ffdesk --help" in message
    assert display_problem({"DISPLAY": ":0"}, "linux") is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({}, "darwin") is None


def test_the_console_script_without_a_display_exits_1_with_that_sentence(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    env["FFDESK_DATABASE_URL"] = f"sqlite:///{tmp_path}/x.db"
    done = subprocess.run(
        [sys.executable, "-m", "ffdesk"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "no display" in done.stderr and "Traceback" not in done.stderr
