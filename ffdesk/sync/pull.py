"""Storing what a pull brings in: one local record per remote object, with its mapper row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from ffdesk.engine.env import current_env
from ffdesk.engine.errors import ValidationError
from ffdesk.engine.model import Model
from ffdesk.engine.q import Q
from ffdesk.sync.errors import ProviderRequestError
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
        if run.dry_run:
            what = ", ".join(f"{k} {stored.get(k)!r} -> {v!r}" for k, v in changed.items())
            run.would(f"pull: would update {_label(model)} {remote_id} ({what})")
            run.count("updated")
            return "updated"
        async with env.db.transaction():
            for name, value in changed.items():
                setattr(record, name, value)
            await record.save()
            mapping.synced_at = datetime.now()
            await mapping.save()
        run.count("updated")
        return "updated"
    if run.dry_run:
        run.would(f"pull: would create {_label(model)} {remote_id}")
        run.count("created")
        return "created"
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


def _label(model: str) -> str:
    return current_env().registry[model]._verbose_name or model


#: States of a pulled payment that can still change at the provider. A "done" payment can
#: still be refunded, so it is re-read for `RECHECK_SETTLED_FOR` after its date.
OPEN_STATES = ("pending", "authorized")
SETTLED_STATES = ("done",)
RECHECK_SETTLED_FOR = timedelta(days=30)


async def open_records(
    run: SyncJob, integration: Model, *, model: str = "PaymentTransaction"
) -> list[Model]:
    """The pulled records of `integration` that may still change at the provider (see
    `refresh_open`); in a one-record resync, just that record (marked as found)."""
    if not run.wants(model):
        return []
    Target = current_env().registry[model]
    if run.only is not None:
        local_id = run.only.local_id
        found = await Target.filter(id=int(local_id)).all() if local_id.isdigit() else []
        found = [r for r in found if getattr(r, "integration_id", None) == integration.id]
        for record in found:
            run.is_target(model, record.id)
        return found
    recent = datetime.now() - RECHECK_SETTLED_FOR
    return await Target.filter(
        Q(state__in=list(OPEN_STATES)) | Q(state__in=list(SETTLED_STATES), date__gte=recent),
        integration=integration.id,
    ).all()


FetchOne = Callable[[str], Awaitable[Any]]
StoreOne = Callable[[Any], Awaitable[Any]]


async def refresh_open(
    run: SyncJob,
    integration: Model,
    fetch_one: FetchOne,
    store_one: StoreOne,
    *,
    model: str = "PaymentTransaction",
    seen: Iterable[str] = (),
    describe: str = "payment",
) -> int:
    """Re-read the pulled records that may still change, so a later capture, failure or
    refund at the provider reaches the local record. Returns how many were re-read.

    Records of `model` mapped to `integration` in an open state (`OPEN_STATES`), or settled
    (`SETTLED_STATES`) within `RECHECK_SETTLED_FOR`, are asked for one by one:
    `await fetch_one(remote_id)` answers the provider's object and `await store_one(obj)`
    stores it (through `store_pulled`). Remote ids in `seen` (already brought by this run's
    listing) are not asked again. A one-record resync (`run.only`) re-reads just that record,
    whatever its state. A ProviderRequestError or ValidationError is that record's failure.
    """
    records = await open_records(run, integration, model=model)
    if not records:
        return 0
    Mapper = current_env().registry["IntegrationMapper"]
    local_ids = [str(r.id) for r in records]
    mappings = await Mapper.filter(
        integration=integration.id, model=model, local_id__in=local_ids
    ).all()
    skip = set(seen)
    remote_ids = [m.remote_id for m in mappings if m.remote_id not in skip]
    if run.dry_run and remote_ids and run.only is None:
        run.would(
            f"pull: ask {integration.name} again for {len(remote_ids)} {describe}(s) "
            "that may still change"
        )
    for remote_id in remote_ids:
        run.checkpoint()
        try:
            await store_one(await fetch_one(remote_id))
        except (ProviderRequestError, ValidationError) as exc:
            run.record_failure(f"{describe} {remote_id}", exc)
    return len(remote_ids)
