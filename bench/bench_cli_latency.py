"""Command-line latency: `ffdesk integrations list` and `integrations set` against the import
of SQLAlchemy alone, as an administrator's script calls them in a loop (bench_cli.py measures
`ffdesk --version` and a fresh database's first `integrations list`).

Run: .venv/bin/python bench/bench_cli_latency.py [--rounds 10] [--importtime]

Each round runs, one after the other (so they share the machine's load):
- `python -c 'import sqlalchemy'` (the yardstick: ffdesk cannot start faster than its ORM);
- `python -m ffdesk integrations list` on a database with four integration modules installed;
- `python -m ffdesk integrations set payment_stripe sandbox_mode=...` (a saved field).
Figures: the median wall time and the median CPU time (user + system of the child process, so
other processes on a busy machine count less) of each, and each command's ratio to the
yardstick. `--importtime` adds the slowest imports of one `integrations list` (`-X importtime`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

INSTALLED = ("payment_stripe", "payment_paypal", "sms_twilio", "shipping_ups")


def environment(folder: Path) -> dict[str, str]:
    """An `ffdesk` process's environment: its own database, logs and file keyring."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FFDESK_", "PYTHON_KEYRING"))}
    # As installed: compiled bytecode is written once and used (as for SQLAlchemy's own).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        {
            "FFDESK_DATABASE_URL": f"sqlite:///{folder / 'ffdesk.db'}",
            "FFDESK_LOG_DIR": str(folder / "logs"),
            "PYTHON_KEYRING_BACKEND": "tests.helpers.stripe_env.FileKeyring",
            "FFDESK_TEST_KEYRING_FILE": str(folder / "keyring.json"),
            "PYTHONPATH": str(REPO),
        }
    )
    return env


async def prepare(url: str) -> None:
    """The database, with the integration modules installed (run in this process)."""
    from ffdesk.api import open_system

    system = await open_system(url)
    try:
        for identifier in INSTALLED:
            await system.install_module(identifier)
    finally:
        await system.close()


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one run of `command`, which must succeed."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.stderr is not None
    errors = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}): {errors}")
    return wall, usage.ru_utime + usage.ru_stime


def import_times(command: list[str], env: dict[str, str], top: int = 25) -> list[str]:
    """The `top` imports with the largest cumulative time (-X importtime), slowest first."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *command[1:]],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        # "import time: self [us] | cumulative | imported package"
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue
        rows.append((int(parts[1]), int(parts[0]), parts[2].rstrip()))
    rows.sort(reverse=True)
    return [f"{c / 1000:8.1f} ms cumulative {o / 1000:7.1f} ms own  {n}" for c, o, n in rows[:top]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--importtime", action="store_true")
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = environment(folder)
        os.environ.update(env)  # this process prepares the database with the same keyring
        asyncio.run(prepare(env["FFDESK_DATABASE_URL"]))
        commands = {
            "import sqlalchemy": [python, "-c", "import sqlalchemy"],
            "integrations list": [python, "-m", "ffdesk", "integrations", "list"],
            "integrations set": [],  # a different value each round: every run saves
        }
        # Once first: the database's one-time work (WAL file, keyring file) is not measured.
        timed([python, "-m", "ffdesk", "integrations", "list"], env)
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for round_ in range(args.rounds):
            commands["integrations set"] = [
                *[python, "-m", "ffdesk", "integrations", "set", "payment_stripe"],
                f"sandbox_mode={'true' if round_ % 2 else 'false'}",
            ]
            for name, command in commands.items():
                wall, cpu = timed(command, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
        print(
            f"# ffdesk command-line latency: {args.rounds} rounds, {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.1f}; {len(INSTALLED)} integrations installed"
        )
        base_wall = statistics.median(walls["import sqlalchemy"])
        base_cpu = statistics.median(cpus["import sqlalchemy"])
        for name in commands:
            wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
            print(
                f"{name:18s}: wall {wall * 1000:6.0f} ms ({wall / base_wall:4.2f}x), "
                f"CPU {cpu * 1000:6.0f} ms ({cpu / base_cpu:4.2f}x)  [median]"
            )
        if args.importtime:
            print("\n-- slowest imports of `ffdesk integrations list` (-X importtime) --")
            print("\n".join(import_times(commands["integrations list"], env)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
