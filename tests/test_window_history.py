"""The window's sync history shows a run of a process that died as interrupted at once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from ffdesk.api import open_system
from ffdesk.services.window import sync_history
from ffdesk.sync.runner import HOST
from tests.helpers.database import database_url


def test_a_dead_process_run_shows_as_interrupted(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()

    async def main() -> None:
        system = await open_system(database_url(tmp_path / "x.db"))
        try:
            await system.install_module("payment_stripe")
            record = await system.integration("payment_stripe")
            now = datetime.now()
            await system.get_model("SyncRun").create(
                integration=record.id,
                company=record.company_id,
                module_identifier="payment_stripe",
                state="running",
                started=now,
                heartbeat=now,
                owner_pid=dead.pid,
                owner_host=HOST,
            )
            [row] = await sync_history(system, record)
            assert row.state == "failed" and row.error and row.error.startswith("interrupted")
        finally:
            await system.close()

    asyncio.run(main())
