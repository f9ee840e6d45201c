"""The last sync error of each record per integration (`SyncRecordProblem` rows): written
when a run ends, cleared when a later run syncs the record; shown beside its mapping."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from ffdesk.engine.env import current_env

if TYPE_CHECKING:
    from ffdesk.sync.runner import SyncJob

log = logging.getLogger(__name__)
MODEL = "SyncRecordProblem"


async def open_keys(job: SyncJob) -> set[tuple[str, str]] | None:
    """The (model, local id) of the integration's records with an open problem (few: they
    failed), or None when they cannot be read (then every synced record is remembered)."""
    registry = current_env().registry
    if MODEL not in registry:
        return set()
    try:
        rows = await registry[MODEL].filter(integration=job.integration.id).all()
    except Exception:  # a courtesy, like save(): the sync itself goes on
        log.exception("could not read the records' open sync errors")
        return None
    return {(row.model, row.local_id) for row in rows}


async def save(job: SyncJob) -> None:
    """Store the run's per-record errors and clear those of records it synced."""
    if not job.record_problems and not job.records_fixed:
        return
    registry = current_env().registry
    if MODEL not in registry:
        return
    Problem = registry[MODEL]
    integration_id = job.integration.id
    try:
        async with registry.db.transaction():
            # The integration's open problems are few (failures), the records a run synced may
            # be 100,000: read the former and match in Python, never an IN of every id.
            models = {model for model, _ in job.record_problems} | {
                model for model, _ in job.records_fixed
            }
            existing = {
                (p.model, p.local_id): p
                for p in await Problem.filter(
                    integration=integration_id, model__in=sorted(models)
                ).all()
            }
            for key in job.records_fixed:
                found = existing.get(key)
                if found is not None:
                    await found.delete()
            now = datetime.now()
            for (model, local_id), error in job.record_problems.items():
                found = existing.get((model, local_id))
                if found is None:
                    await Problem.create(
                        integration=integration_id,
                        model=model,
                        local_id=local_id,
                        error=error,
                        when=now,
                    )
                else:
                    found.error, found.when = error, now
                    await found.save()
    except Exception:  # the run's outcome is saved already; this is a courtesy
        log.exception("could not keep the records' sync errors")
