"""The audit trail as rows for the window's Activity tabs and `ffdesk audit`."""

from __future__ import annotations

from typing import Any

from ffdesk.engine.audit import SECRET_CHANGED
from ffdesk.engine.model import Model
from ffdesk.engine.system import System


async def audit_rows(
    system: System, integration: Model | None = None, *, limit: int = 50
) -> list[dict[str, Any]]:
    """Newest first: every configuration change, or those of one integration."""
    Entry = system.registry["AuditEntry"]
    query = Entry.all()
    if integration is not None:
        query = Entry.filter(model="Integration", record_id=integration.id)
    companies = {c.id: c.name for c in await system.companies()}
    rows = []
    for entry in await query.order_by("-id").limit(limit).all():
        rows.append(
            {
                "id": entry.id,
                "when": entry.when,
                "user": entry.os_user,
                "host": entry.host,
                "company": companies.get(entry.company_id, entry.company_id),
                "model": entry.model,
                "record_id": entry.record_id,
                "subject": entry.subject,
                "action": entry.action,
                "changes": list(entry.changes or []),
            }
        )
    return rows


def describe_changes(changes: list[dict[str, Any]]) -> str:
    """`Enabled: False → True; Secret Key: changed` (a secret never with a value)."""
    parts = []
    for change in changes:
        label = change.get("label") or change.get("field")
        if change.get("new") == SECRET_CHANGED and change.get("old") is None:
            parts.append(f"{label}: {SECRET_CHANGED}")
        else:
            parts.append(f"{label}: {change.get('old')} → {change.get('new')}")
    return "; ".join(parts)


def change_marker(system: System) -> tuple[int, int]:
    """A cheap fingerprint of what others may change: the newest audit entry and how many
    sync runs have finished. The window compares it every few seconds and reads again when
    it moves (a run that starts is not a reason to redraw in the middle of a sync)."""
    import sqlalchemy as sa

    audit = system.registry["AuditEntry"]._table
    runs = system.registry["SyncRun"]._table
    with system.db.connect() as conn:
        newest_audit = conn.execute(sa.select(sa.func.max(audit.c.id))).scalar() or 0
        finished = conn.execute(
            sa.select(sa.func.count()).select_from(runs).where(runs.c.state != "running")
        ).scalar_one()
    return int(newest_audit), int(finished)
