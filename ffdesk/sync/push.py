"""Push local records to a provider: changed ones only, a few at a time, stoppable (no Qt).

A provider module gives `push_changed` the records to consider and a coroutine that sends one
of them; the paging, the "unchanged since sent" check, the workers, per-record failures, fatal
errors and cancellation are handled here, once, for every provider:

    async def push_one(contact, mapping):
        if mapping is None:
            ...  # create it at the provider, then its IntegrationMapper row
            return "created"
        ...  # update it, then mapping.synced_at
        return "updated"

    await push_changed(run, integration, Contact.filter(company=cid), push_one)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from ffdesk.engine.env import get_model
from ffdesk.engine.errors import ValidationError
from ffdesk.sync.errors import (
    CredentialsRejected,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
)

if TYPE_CHECKING:
    from ffdesk.engine.model import Model
    from ffdesk.engine.query import Query
    from ffdesk.sync.runner import SyncJob

__all__ = ["COUNTS", "PushOne", "is_fatal", "is_unchanged", "mappings_for", "push_changed"]

#: What `push_one` may answer: the counter of the run it goes to.
COUNTS = frozenset({"created", "updated", "skipped"})
#: Errors after which no other record can succeed either: the run stops and fails with them.
#: RateLimited comes only once the 429s outlasted the client's patience: the whole client is
#: too fast, not this record wrong.
FATAL = (CredentialsRejected, RateLimited)


def is_fatal(exc: BaseException) -> bool:
    """True when no other record can succeed after `exc`: stop the run with it.

    A ProviderUnavailable is the record's own failure (a 5xx that outlived its retries),
    unless the client's circuit breaker marked it an outage (several calls in a row failed).
    """
    if isinstance(exc, ProviderUnavailable):
        return exc.outage
    return isinstance(exc, FATAL) or not isinstance(exc, ProviderError | ValidationError)


PushOne = Callable[["Model", "Model | None"], Awaitable[str]]


async def mappings_for(
    integration: Model, model: str, local_ids: Iterable[str]
) -> dict[str, Model]:
    """The IntegrationMapper rows of `integration` for these local ids of `model`, by local id."""
    Mapper = get_model("IntegrationMapper")
    found = await Mapper.filter(
        integration=integration.id, model=model, local_id__in=list(local_ids)
    ).all()
    return {m.local_id: m for m in found}


def is_unchanged(record: Model, mapping: Model | None) -> bool:
    """True when `record` was sent (mapped, with a `synced_at`) and has not changed since.

    A record without a write date (written without the model, e.g. a bulk load) counts as
    unchanged since it was sent, rather than as changed on every run.
    """
    if mapping is None or mapping.synced_at is None:
        return False
    written: datetime | None = record.write_date
    return written is None or written <= mapping.synced_at


def _default_describe(model: str) -> Callable[[Model], str]:
    label = model.lower()

    def describe(record: Model) -> str:
        name = getattr(record, "name", None)
        return f"{label} {name!r}" if name is not None else f"{label} #{record.id}"

    return describe


async def push_changed(
    run: SyncJob,
    integration: Model,
    query: Query,
    push_one: PushOne,
    *,
    model: str = "Contact",
    concurrency: int = 8,
    batch: int = 500,
    describe: Callable[[Model], str] | None = None,
) -> None:
    """Send every record of `query` changed since it was sent, `concurrency` at a time.

    The records are read by id, `batch` at a time, each batch with its mapper rows
    (`mappings_for`). Unchanged ones (`is_unchanged`) are counted `skipped`; the others go to
    `await push_one(record, mapping)` (mapping None: never sent), which sends one record,
    writes its mapper row and answers the counter to add to: "created" or "updated"
    ("skipped" if it found nothing to send). The total of the run is the number of records.

    - A ProviderError other than the fatal ones (`is_fatal`), or a ValidationError, from
      `push_one` is that record's failure (`run.record_failure(describe(record), exc)`); the
      push goes on. A 5xx that outlived its retries is such a failure.
    - CredentialsRejected, RateLimited (the 429s outlasted the patience) and an outage (the
      client's circuit breaker opened) are fatal, and so is any other exception (a bug):
      nothing more is sent, the requests in flight finish, then the first one is raised.
    - Cancel (`run.cancel_requested`) stops at a record boundary: the requests in flight finish
      and are kept, then SyncCancelled is raised (`run.checkpoint()`).
    - Cancelling the task cancels the run, so no worker starts another record; the requests in
      flight finish, then CancelledError goes on. Cancelling it again stops them too.
    """
    describe = describe or _default_describe(model)
    if not run.wants(model):
        return  # a one-record resync of another model
    forced: set[int] = set()
    if run.only is not None:
        # Resync one record: send it even if unchanged since it was sent.
        local_id = run.only.local_id
        query = query.filter(id=int(local_id)) if local_id.isdigit() else query.filter(id=-1)
        forced = {int(r.id) for r in await query.all() if run.is_target(model, r.id)}
    run.set_total(await query.count())
    queue: asyncio.Queue[tuple[Model, Model | None] | None] = asyncio.Queue(maxsize=concurrency * 4)
    fatal: list[BaseException] = []
    stop = False  # the producer failed: nothing more is sent

    def stopping() -> bool:
        return stop or bool(fatal) or run.cancel_requested

    async def worker() -> None:
        # A worker never ends before its None: the producer may be waiting for room in the
        # queue, so after a fatal error or Cancel it goes on taking items, without sending them.
        while (item := await queue.get()) is not None:
            if stopping():
                continue
            record, mapping = item
            try:
                kind = await push_one(record, mapping)
                if kind not in COUNTS:
                    raise TypeError(f"push_one answered {kind!r}, not one of {sorted(COUNTS)}")
            except Exception as exc:
                if is_fatal(exc):
                    fatal.append(exc)
                else:
                    run.record_failure(describe(record), exc, record=(model, record.id))
            else:
                run.count(kind)
                run.record_synced(model, record.id)

    workers = [asyncio.ensure_future(worker()) for _ in range(concurrency)]
    try:
        last_id = 0
        while not stopping():
            records = await query.filter(id__gt=last_id).order_by("id").limit(batch).all()
            if not records:
                break
            last_id = records[-1].id
            mappings = await mappings_for(integration, model, [str(r.id) for r in records])
            for record in records:
                if stopping():
                    break
                mapping = mappings.get(str(record.id))
                if is_unchanged(record, mapping) and record.id not in forced:
                    run.count("skipped")
                elif run.dry_run:
                    # A preview: say what would be sent, send nothing.
                    kind = "created" if mapping is None else "updated"
                    verb = "create" if mapping is None else "update"
                    run.would(f"push: would {verb} {describe(record)} at {integration.name}")
                    run.count(kind)
                else:
                    await queue.put((record, mapping))
    except asyncio.CancelledError:
        # The task itself was cancelled (window closing, Ctrl+C): the workers are separate
        # tasks, so tell them too, or they would send every record already queued.
        run.cancel()
        raise
    except BaseException:
        stop = True
        raise
    finally:
        try:
            for _ in workers:
                await queue.put(None)
            results = await asyncio.gather(*workers, return_exceptions=True)
        except BaseException:
            # Cancelled again while waiting for the requests in flight: stop those too.
            for task in workers:
                task.cancel()
            raise
    for result in results:
        if isinstance(result, BaseException):
            raise result
    if fatal:
        raise fatal[0]
    run.checkpoint()
