"""Command-line start-up: `ffdesk --version` and `ffdesk integrations list` against the cost of
`python -c 'import sqlalchemy'`, each a fresh process (what a shell user waits for).

Run: .venv/bin/python bench/bench_cli.py [--runs 7]

Figures: median and best wall time of `--runs` runs of each command, after one warm-up run
(a database with the shipped modules discovered and the default company, in a temporary
folder), and the median CPU time of the child (user + system), which a busy machine inflates
less than the wall time. Goal: `ffdesk --version` under a second, loading neither Qt nor the
engine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], env: dict[str, str], runs: int) -> tuple[float, float, float]:
    """(median wall, best wall, median CPU) in seconds."""
    subprocess.run(argv, env=env, check=True, capture_output=True)  # warm-up (disk cache)
    times, cpu = [], []
    for _ in range(runs):
        cpu_start, start = _children_cpu(), time.perf_counter()
        subprocess.run(argv, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
        cpu.append(_children_cpu() - cpu_start)
    return statistics.median(times), min(times), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "FFDESK_DATABASE_URL": f"sqlite:///{tmp}/bench.db",
            "FFDESK_LOG_DIR": tmp,
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        }
        env.pop("FFDESK_MODULES_PATH", None)
        cases = {
            "python -c 'import sqlalchemy'": [sys.executable, "-c", "import sqlalchemy"],
            "ffdesk --version": [str(BIN / "ffdesk"), "--version"],
            "ffdesk integrations list": [str(BIN / "ffdesk"), "integrations", "list"],
        }
        print(f"{'command':<34} {'median':>9} {'best':>9} {'CPU':>9}  ({args.runs} runs each)")
        for name, argv in cases.items():
            median, best, cpu = timed(argv, env, args.runs)
            print(f"{name:<34} {median * 1e3:>6.0f} ms {best * 1e3:>6.0f} ms {cpu * 1e3:>6.0f} ms")


if __name__ == "__main__":
    main()
