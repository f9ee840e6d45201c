"""`integrations set ID secret_key=-` on a terminal asks without echo; piped, it reads a line."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time

from tests.helpers.env import FFDESK_SCRIPT, Subprocess, ffdesk_process_fixture  # noqa: F401

KEY = "sk_test_typedAtThePrompt0000000042"
# The child makes the pseudo-terminal its controlling terminal, as a login shell would, so
# that getpass can open /dev/tty.
ON_TTY = (
    "import fcntl, os, sys, termios; os.setsid(); fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


def read_until(fd: int, wanted: bytes, seen: bytearray, timeout: float = 30.0) -> bytes:
    """Read from the terminal's master side until `wanted` appears (or EOF / timeout)."""
    deadline = time.monotonic() + timeout
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    return bytes(seen)


def run_on_terminal(ffdesk_process: Subprocess, *argv: str, answer: str) -> tuple[int, bytes]:
    master, slave = os.openpty()
    child = subprocess.Popen(
        [sys.executable, "-c", ON_TTY, str(FFDESK_SCRIPT), *argv],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=ffdesk_process.env,
        cwd=ffdesk_process.database.parent,
    )
    os.close(slave)
    seen = bytearray()
    try:
        read_until(master, b"Stripe Secret Key: ", seen)
        assert b"Stripe Secret Key: " in seen, bytes(seen)
        os.write(master, answer.encode() + b"\n")
        read_until(master, b"\x00never", seen)  # everything until the child closes the terminal
        code = child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
        os.close(master)
    return code, bytes(seen)


def test_secret_dash_on_a_terminal_prompts_and_never_echoes(ffdesk_process: Subprocess) -> None:
    assert ffdesk_process("modules", "install", "payment_stripe").returncode == 0
    code, shown = run_on_terminal(
        ffdesk_process, "integrations", "set", "payment_stripe", "secret_key=-", answer=KEY
    )
    assert code == 0, shown
    assert b"Saved secret_key." in shown
    assert KEY.encode() not in shown
    assert KEY[:12].encode() not in shown  # not even a part of it
    assert KEY in ffdesk_process.keyring().values()


def test_secret_dash_piped_reads_one_line_without_a_prompt(ffdesk_process: Subprocess) -> None:
    assert ffdesk_process("modules", "install", "payment_stripe").returncode == 0
    done = ffdesk_process(
        "integrations", "set", "payment_stripe", "secret_key=-", stdin=KEY + "\nignored\n"
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "Saved secret_key.\n", "")
    assert KEY in ffdesk_process.keyring().values()


def test_a_secret_given_in_clear_is_saved_with_one_warning(ffdesk_process: Subprocess) -> None:
    assert ffdesk_process("modules", "install", "payment_stripe").returncode == 0
    done = ffdesk_process(
        "integrations",
        "set",
        "payment_stripe",
        f"secret_key={KEY}",
        "webhook_secret=whsec_clear000000000000000",
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        "Warning: secret values on the command line end up in shell history; use secret_key=-\n"
    )
    assert KEY in ffdesk_process.keyring().values()
