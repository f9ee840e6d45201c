"""Storing what a pull brings in: one local record per remote object, with its mapper row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ffdesk.engine.env import current_env
from ffdesk.engine.model import Model
from ffdesk.sync.runner import SyncJob


async def store_pulled(
    run: SyncJob,
    integration: Model,
    remote_id: str,
    values: dict[str, Any],
    *,
    model: str = "PaymentTransaction",
) -> str:
    """Create or refresh the `model` record mapped to `remote_id`; returns the count it added.

    The record and its IntegrationMapper row are committed in one transaction. A mapped
    record that was deleted locally is created again; an unchanged one is only counted.
    """
    env = current_env()
    Mapper = env.registry["IntegrationMapper"]
    Target = env.registry[model]
    mapping = await Mapper.filter(
        integration=integration.id, model=model, remote_id=remote_id
    ).first()
    record = None
    if mapping is not None:
        record = await Target.filter(id=int(mapping.local_id)).first()
    if record is not None:
        stored = record.read_values()
        changed = {k: v for k, v in values.items() if stored.get(k) != v}
        if not changed:
            run.count("skipped")
            return "skipped"
        async with env.db.transaction():
            for name, value in changed.items():
                setattr(record, name, value)
            await record.save()
            mapping.synced_at = datetime.now()
            await mapping.save()
        run.count("updated")
        return "updated"
    async with env.db.transaction():
        record = await Target.create(**values)
        if mapping is None:
            await Mapper.create(
                integration=integration.id,
                model=model,
                local_id=str(record.id),
                remote_id=remote_id,
                synced_at=datetime.now(),
            )
        else:  # its local record was deleted: bring it back under the same mapping
            mapping.local_id = str(record.id)
            mapping.synced_at = datetime.now()
            await mapping.save()
    run.count("created")
    return "created"
