"""The sync lock across processes: two programs starting the same sync at once, 20 times.

Runs on SQLite (the write lock of BEGIN IMMEDIATE) and, in the PostgreSQL pass of the suite,
on PostgreSQL (an advisory lock per integration). Each round both processes start together;
the run that wins holds until the other has had its answer, so a second run can only happen
if the lock let both through.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ffdesk.sync.runner import HOST
from tests.sync.test_runner import PROBE, Probe, db, probe_path, with_probe  # noqa: F401

ROUNDS = 20
CHILD = textwrap.dedent(
    """
    import asyncio, json, os, sys, time
    from pathlib import Path

    import ffdesk
    from ffdesk.sync.runner import AlreadySyncing, run_sync

    url, modules, folder, rounds = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
    me = str(os.getpid())


    def wait_for(predicate, timeout):
        end = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > end:
                return False
            time.sleep(0.002)
        return True


    def other_answered(n):
        return any(p.name != f"answered.{n}.{me}" for p in folder.glob(f"answered.{n}.*"))


    async def main():
        async with ffdesk.open_env(url, modules_path=[modules]) as system:
            record = await system.integration("sync_probe")
            hooks = sys.modules["ffdesk.addons.sync_probe.models"].HOOKS
            results = []
            for n in range(rounds):
                (folder / f"ready.{n}.{me}").touch()
                assert wait_for(lambda: len(list(folder.glob(f"ready.{n}.*"))) == 2, 60)

                async def hold(integration, run, n=n):
                    # Keep running until the other process has been answered (or a while).
                    await asyncio.to_thread(wait_for, lambda: other_answered(n), 5)

                hooks["sync"] = hold
                try:
                    outcome = await run_sync(record, trigger="command line")
                    results.append({"round": n, "ran": outcome.state.value})
                except AlreadySyncing as exc:
                    results.append({"round": n, "refused": str(exc)})
                (folder / f"answered.{n}.{me}").touch()
            print(json.dumps(results))


    asyncio.run(main())
    """
)


@pytest.mark.timeout(300)
def test_two_processes_starting_together_give_exactly_one_run(
    db: str,  # noqa: F811
    probe_path: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    async def prepare(p: Probe) -> int:
        return int(p.record.id)

    integration_id = with_probe(db, probe_path, prepare)
    folder = tmp_path / "rounds"
    folder.mkdir()
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    command = [sys.executable, str(script), db, str(probe_path), str(folder), str(ROUNDS)]
    children = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = []
    for child in children:
        out, err = child.communicate(timeout=280)
        assert child.returncode == 0, err
        outputs.append(json.loads(out.strip().splitlines()[-1]))

    refused = re.compile(rf"^Sync Probe is already syncing since \d\d:\d\d on {re.escape(HOST)}\.$")
    for n in range(ROUNDS):
        answers = [results[n] for results in outputs]
        ran = [a for a in answers if "ran" in a]
        assert len(ran) == 1, f"round {n}: {answers}"
        assert ran[0]["ran"] == "done"
        [other] = [a for a in answers if "refused" in a]
        assert refused.match(other["refused"]), other

    async def runs(p: Probe) -> list[str]:
        return [r.state for r in await p.runs()]

    states = with_probe(db, probe_path, runs)
    assert states == ["done"] * ROUNDS and integration_id > 0
