"""Where each integration's sync has got to, kept per direction ("pull", "push").

A pull asks for what changed since its cursor. The cursor moves to the start of a run once
that run's pull has read everything it asked for, whatever happened to single records: one
permanently bad record is that record's failure, and no longer pins every later pull to the
window of an old run.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ffdesk.engine.env import current_env

if TYPE_CHECKING:
    from ffdesk.engine.model import Model
    from ffdesk.sync.runner import SyncJob

PULL = "pull"
PUSH = "push"
#: Pulls reach a little before the cursor: an object written while the last run was listing
#: (or with a clock a little off ours) is not missed. Re-reading it is harmless.
OVERLAP = timedelta(minutes=5)


async def cursor_position(integration: Model, direction: str) -> datetime | None:
    """The saved position of `direction` for `integration`, or None if it never completed."""
    Cursor = current_env().registry["SyncCursor"]
    row = await Cursor.filter(integration=integration.id, direction=direction).first()
    return row.position if row is not None else None


async def save_cursor(integration: Model, direction: str, position: datetime) -> None:
    """Move the cursor of `direction` to `position` (never backwards)."""
    env = current_env()
    Cursor = env.registry["SyncCursor"]
    async with env.db.transaction():
        row = await Cursor.filter(integration=integration.id, direction=direction).first()
        if row is None:
            await Cursor.create(integration=integration.id, direction=direction, position=position)
        elif row.position is None or row.position < position:
            row.position = position
            await row.save()


async def pull_since(run: SyncJob, overlap: timedelta = OVERLAP) -> datetime | None:
    """Where this run's pull starts: the pull cursor less `overlap` (None: pull everything).

    A database from before cursors existed starts from its last run without failures.
    """
    from ffdesk.sync.runner import last_successful_run

    integration = run.integration
    position = await cursor_position(integration, PULL)
    if position is None:
        previous = await last_successful_run(integration)
        position = previous.started if previous is not None else None
    since = position - overlap if position is not None else None
    if run.dry_run:
        run.would(
            f"pull: ask {integration.name} for what changed since {since:%Y-%m-%d %H:%M}"
            if since is not None
            else f"pull: ask {integration.name} for everything (first pull)"
        )
    return since


async def pull_completed(run: SyncJob, direction: str = PULL) -> None:
    """Call once a pull has read everything it asked for: later pulls start from this run.

    A preview and a one-record resync move nothing.
    """
    if run.dry_run or run.only is not None or run.started is None:
        return
    await save_cursor(run.integration, direction, run.started)
