"""Links between local records and remote objects (IntegrationMapper rows), made safely.

One remote object maps to one local record per integration. A provider that answers with an
object already linked to another record (a duplicate at the provider, an object it merged) is
that record's failure, with a sentence; never a database error and never a failed run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ffdesk.engine.env import current_env
from ffdesk.engine.errors import ValidationError
from ffdesk.engine.model import Model

__all__ = ["MappingConflict", "conflict", "link_remote", "linked_contact", "owner_of"]

# Model name -> how a person calls its records in a sentence.
_NOUNS = {"Contact": "contact", "Message": "message", "Shipment": "shipment"}


class MappingConflict(ValidationError):
    """A remote object is already linked to another local record of the same integration."""


def _noun(model: str) -> str:
    return _NOUNS.get(model, model)


async def owner_of(integration: Model, model: str, remote_id: str) -> Model | None:
    """The mapper row that links `remote_id` of `model` for this integration, if any."""
    Mapper = current_env().registry["IntegrationMapper"]
    return await Mapper.filter(integration=integration.id, model=model, remote_id=remote_id).first()


def conflict(
    provider: str, model: str, local_id: Any, remote_id: str, other: Any, what: str
) -> MappingConflict:
    """The error for `remote_id` answered for record `local_id` but linked to `other`."""
    noun = _noun(model)
    return MappingConflict(
        f"{provider} answered with {what} {remote_id} for {noun} #{local_id}, but {remote_id} is "
        f"already linked to {noun} #{other}; {noun} #{local_id} was not linked (look for a "
        f"duplicate at {provider})"
    )


async def link_remote(
    integration: Model,
    model: str,
    local_id: Any,
    remote_id: str,
    *,
    provider: str,
    what: str,
    synced_at: datetime | None = None,
) -> Model:
    """Create the link of record `local_id` to `remote_id` (in the caller's transaction, if any).

    MappingConflict when `remote_id` is already linked to another record. The row is inserted
    first and the owner of `remote_id` looked up only when the insert is refused: a sync links
    thousands of new remote objects, and a look-up before each insert cost more than the insert.
    """
    Mapper = current_env().registry["IntegrationMapper"]
    try:
        return await Mapper.create(
            integration=integration.id,
            model=model,
            local_id=str(local_id),
            remote_id=remote_id,
            synced_at=synced_at or datetime.now(),
        )
    except ValidationError:
        # Refused (its savepoint or transaction rolled back): if `remote_id` is linked
        # already, say to which record; otherwise the refusal stands as it is.
        taken = await owner_of(integration, model, remote_id)
        if taken is None:
            raise
    if taken.local_id != str(local_id):
        raise conflict(provider, model, local_id, remote_id, taken.local_id, what)
    return taken


async def linked_contact(
    integration: Model, customer: str | None, cache: dict[str, int | None]
) -> int | None:
    """The id of the local contact linked to remote `customer`, if it still exists."""
    if not customer:
        return None
    if customer not in cache:
        link = await owner_of(integration, "Contact", customer)
        contact = None
        if link is not None and link.local_id.isdigit():
            Contact = current_env().registry["Contact"]
            found = await Contact.filter(id=int(link.local_id)).first()
            contact = found.id if found is not None else None
        cache[customer] = contact
    return cache[customer]
