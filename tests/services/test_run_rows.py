"""The window's Sync history and the run detail (window and `ffdesk runs`) read one run type."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta
from pathlib import Path

from ffdesk.api import open_system
from ffdesk.services.runs import run_detail, summary_row
from ffdesk.services.window import sync_history
from tests.helpers.database import database_url

FAILURES = [
    {"record": "contact 'Ada'", "reason": "Invalid email address", "direction": "push"},
    {"record": "payment pi_1", "reason": "unknown currency", "direction": "pull"},
]


def test_a_history_row_is_the_runs_detail_without_its_log(tmp_path: Path) -> None:
    async def main() -> None:
        system = await open_system(database_url(tmp_path / "x.db"))
        try:
            await system.install_module("payment_stripe")
            record = await system.integration("payment_stripe")
            started = datetime(2026, 3, 1, 9, 30)
            run = await system.get_model("SyncRun").create(
                integration=record.id,
                company=record.company_id,
                module_identifier="payment_stripe",
                trigger="schedule",
                state="done",
                started=started,
                finished=started + timedelta(seconds=42),
                created=3,
                updated=1,
                skipped=4,
                failed=2,
                directions={
                    "push": {"created": 3, "updated": 0, "skipped": 4, "failed": 1},
                    "pull": {"created": 0, "updated": 1, "skipped": 0, "failed": 1},
                },
                failures=FAILURES,
                log=["contact 'Ada': Invalid email address", "payment pi_1: unknown currency"],
            )
            [row] = await sync_history(system, record)
            detail = await run_detail(system, int(run.id))
            # One type, filled by one function: every field the window shows in the history
            # is the one the run detail and `ffdesk runs` show; only the log stays out.
            assert type(row) is type(detail)
            assert row == dataclasses.replace(detail, log=())
            assert len(detail.log) == 2
            assert row.first_failure == "contact 'Ada': Invalid email address"
            assert (row.state, row.integration, row.duration) == ("partial", "Stripe", 42.0)
            assert summary_row(row) == summary_row(detail)
        finally:
            await system.close()

    asyncio.run(main())
