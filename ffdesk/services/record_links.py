"""One record's links to the company's integrations: remote id, last synced, last error and
the provider's dashboard address (for the records workspace)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ffdesk.engine.model import Model
    from ffdesk.engine.system import System
    from ffdesk.services.records import RecordMapping


def _dashboard_url(integration: Model, record: Model, remote_id: str | None) -> str | None:
    """The integration's `record_dashboard_url` hook; a failing hook shows no link."""
    hook = getattr(integration, "record_dashboard_url", None)
    if hook is None:
        return None
    try:
        url = hook(record, remote_id)
    except Exception:  # a module's bug must not stop the record from showing
        return None
    return url if isinstance(url, str) and url.startswith("https://") else None


def _own_error(record: Model) -> str | None:
    """The error the record itself carries (a message Twilio refused keeps it in `error`)."""
    if "error" in type(record)._fields:
        value = record.error
        return str(value) if value else None
    return None


async def record_mappings(system: System, record: Model) -> list[RecordMapping]:
    """Each integration of the active company that maps `record` or owns it (its
    `integration` field), with what the mapping says."""
    from ffdesk.services.records import RecordMapping

    registry = system.registry
    Integration = registry["Integration"]
    Mapper = registry["IntegrationMapper"]
    integrations = {
        i.id: i for i in await Integration.filter(company=system.env.cid).all() if i.module_id
    }
    model = type(record)._name
    rows: dict[int, Any] = {}
    if integrations:
        mapped = await Mapper.filter(
            model=model, local_id=str(record.id), integration__in=sorted(integrations)
        ).all()
        rows = {m.integration_id: m for m in mapped}
    owner = record.integration_id if "integration" in type(record)._fields else None
    # A record that failed before it was ever mapped (a contact the provider refused) is
    # linked by its error alone.
    problems = _recorded_problems(system, model, record.id, sorted(integrations))
    wanted = list(rows)
    for extra in (owner, *problems):
        if extra in integrations and extra not in wanted:
            wanted.append(extra)
    found: list[RecordMapping] = []
    for integration_id in wanted:
        integration = integrations[integration_id]
        mapping = rows.get(integration_id)
        remote_id = mapping.remote_id if mapping is not None else None
        if remote_id is None and "remote_id" in type(record)._fields:
            remote_id = record.remote_id or None
        error = problems.get(integration_id)
        if error is None and integration_id == owner:
            error = _own_error(record)
        found.append(
            RecordMapping(
                integration=integration.module.identifier,
                integration_name=integration.name,
                remote_id=remote_id,
                last_synced=getattr(mapping, "synced_at", None) if mapping is not None else None,
                last_error=error,
                dashboard_url=_dashboard_url(integration, record, remote_id),
                can_resync=bool(integration.enabled),
            )
        )
    found.sort(key=lambda m: m.integration_name.casefold())
    return found


def _recorded_problems(
    system: System, model: str, record_id: Any, integration_ids: list[int]
) -> dict[int, str]:
    """The last sync error of the record per integration (`SyncRecordProblem`), if any."""
    if not integration_ids or "SyncRecordProblem" not in system.registry:
        return {}
    Problem = system.registry["SyncRecordProblem"]
    table = Problem._table
    import sqlalchemy as sa

    integration = table.c[Problem._fields["integration"].column_name]
    stmt = sa.select(integration, table.c.error).where(
        table.c.model == model,
        table.c.local_id == str(record_id),
        integration.in_(integration_ids),
    )
    with system.db.connect() as conn:
        return {int(r[0]): str(r[1]) for r in conn.execute(stmt) if r[1]}
