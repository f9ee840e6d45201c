"""How long "Test connection" takes to say a provider cannot be reached, against a sync's call.

Run: .venv/bin/python bench/bench_connection_test.py [--runs 5]

Figures (each printed with its goal), for a Stripe client pointed at a local port where
nothing listens (connection refused) and at one that accepts and closes at once (dropped):
- the interactive Test path (`ffdesk.sync.probe.probing`): median and worst wall time and the
  number of attempts (goal: <= 2 s, 1 attempt);
- the same call under a sync's retry policy, for comparison (5 attempts with backoff; it is
  meant to be patient, no goal).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import socket
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ffdesk.sync.errors import ProviderError  # noqa: E402
from ffdesk.sync.http import ProviderClient  # noqa: E402
from ffdesk.sync.probe import probing  # noqa: E402

GOAL_SECONDS = 2.0


def refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextlib.contextmanager
def dropping_server() -> Iterator[str]:
    """A port that accepts each connection and closes it without an answer."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.05)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        server.close()


async def one_call(url: str, probe: bool) -> tuple[float, int, str]:
    started = time.perf_counter()
    with probing() if probe else contextlib.nullcontext():
        client = ProviderClient(provider="Stripe", base_url=url, rate_limit=None)
    message = ""
    async with client:
        try:
            await client.get("/v1/balance")
        except ProviderError as exc:
            message = str(exc)
    return time.perf_counter() - started, client.attempts, message


def measure(url: str, probe: bool, runs: int) -> tuple[list[float], int, str]:
    times, attempts, message = [], 0, ""
    for _ in range(runs):
        seconds, attempts, message = asyncio.run(one_call(url, probe))
        times.append(seconds)
    return times, attempts, message


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the sync path logs each retry
    ok = True
    with dropping_server() as dropped:
        for label, url in (("refused", refused_url()), ("dropped", dropped)):
            for probe in (True, False):
                times, attempts, message = measure(url, probe, args.runs)
                what = "Test connection" if probe else "sync policy    "
                line = (
                    f"{label:8} {what}: median {statistics.median(times):.3f} s, "
                    f"worst {max(times):.3f} s, {attempts} attempt(s)"
                )
                if probe:
                    met = max(times) <= GOAL_SECONDS and attempts == 1
                    ok = ok and met
                    line += (
                        f"  (goal <= {GOAL_SECONDS:g} s, 1 attempt: {'met' if met else 'MISSED'})"
                    )
                print(line)
            print(f"         says: {message}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
