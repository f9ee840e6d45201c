"""The audit trail: who changed which configuration, when, from which computer, old and new.

Models opt in with `_audit = True` (Company, Module, CronJob, Integration); fields the program
maintains itself (manifest facts, timestamps) are listed in `_audit_ignore` and never make an
entry. The entry is written in the same transaction as the change, so one never exists
without the other. Secrets are recorded as "changed", never with a value.
"""

from __future__ import annotations

import getpass
import socket
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from ffdesk.engine.env import env_ctx

# Records are `ffdesk.engine.model.Model` instances; typed loosely here because the model
# module calls into this one (layers: audit sits below records).
Model = Any

SECRET_CHANGED = "changed"
AUDIT_MODEL = "AuditEntry"


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment or the password database
        return "unknown"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return (
            value.isoformat(sep=" ", timespec="seconds")
            if isinstance(value, datetime)
            else (value.isoformat())
        )
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def audited_fields(record: Model, names: list[str]) -> list[str]:
    cls = type(record)
    ignore = cls._audit_ignore
    return [n for n in names if n in cls._fields and n not in ignore and n != "id"]


def old_values(conn: sa.Connection, record: Model, names: list[str]) -> dict[str, Any]:
    """The stored values of `names` before an update (read in the same transaction)."""
    cls = type(record)
    stored = [n for n in names if cls._fields[n].stored]
    if record.id is None or not stored:
        return {}
    columns = [cls._table.c[cls._fields[n].column_name] for n in stored]
    row = conn.execute(sa.select(*columns).where(cls._table.c.id == record.id)).first()
    if row is None:
        return {}
    return {n: cls._fields[n].from_column(v) for n, v in zip(stored, row, strict=True)}


def changes_of(
    record: Model, names: list[str], before: dict[str, Any], created: bool
) -> list[dict[str, Any]]:
    """[{field, label, old, new}], secrets as "changed"; unchanged values left out."""
    cls = type(record)
    out = []
    for name in names:
        field = cls._fields[name]
        if field.secret:
            out.append({"field": name, "label": field.label, "old": None, "new": SECRET_CHANGED})
            continue
        if field.company_scoped:  # readable (secret=False): its new value, as typed
            out.append(
                {"field": name, "label": field.label, "old": None, "new": getattr(record, name)}
            )
            continue
        if not field.stored:
            continue
        new = record._values.get(name)
        old = None if created else before.get(name)
        if old == new:
            continue
        out.append({"field": name, "label": field.label, "old": _plain(old), "new": _plain(new)})
    return out


def subject_of(record: Model) -> str:
    for name in ("name", "identifier"):
        value = record._values.get(name)
        if value:
            return str(value)
    return f"{type(record)._name} #{record.id}"


def write_entry(
    conn: sa.Connection,
    record: Model,
    action: str,
    changes: list[dict[str, Any]],
    company_id: int | None,
) -> None:
    """One audit row, in the transaction of the change."""
    registry = type(record)._registry
    if AUDIT_MODEL not in registry:
        return
    table = registry[AUDIT_MODEL]._table
    conn.execute(
        sa.insert(table).values(
            when=datetime.now().replace(microsecond=0),
            os_user=os_user()[:100],
            host=socket.gethostname()[:255],
            company_id=company_id,
            model=type(record)._name,
            record_id=record.id,
            subject=subject_of(record)[:255],
            action=action,
            changes=changes,
        )
    )


def company_of(record: Model) -> int | None:
    """The company a record belongs to (its own id for a Company), else the active one."""
    if type(record)._name == "Company":
        return record.id
    value = record._values.get("company")
    if isinstance(value, int):
        return value
    env = env_ctx.get(None)
    return env.cid if env is not None else None


def refuse_lost_update(conn: sa.Connection, record: Model, before: dict[str, Any]) -> None:
    """Refuse a save whose fields were changed by someone else since this copy was read.

    Another administrator (or the command line) saved the same field meanwhile: writing now
    would silently undo their change, so the save is refused, naming who changed it and when.
    """
    from ffdesk.engine.errors import UserError

    loaded = getattr(record, "_loaded", None)
    if loaded is None:
        return
    changed = [n for n in before if n in record._dirty and n in loaded and before[n] != loaded[n]]
    if not changed:
        return
    cls = type(record)
    registry = cls._registry
    who, when = "someone else", None
    if AUDIT_MODEL in registry:
        table = registry[AUDIT_MODEL]._table
        row = conn.execute(
            sa.select(table.c.os_user, table.c.host, table.c.when)
            .where(table.c.model == cls._name, table.c.record_id == record.id)
            .order_by(table.c.id.desc())
            .limit(1)
        ).first()
        if row is not None:
            who, when = f"{row.os_user} on {row.host}", row.when
    labels = ", ".join(cls._fields[n].label for n in changed)
    at = f" at {when:%H:%M}" if when is not None else ""
    raise UserError(
        f"{subject_of(record)}: {labels} was changed by {who}{at} while you were editing; "
        "nothing was saved. Reload to see their change, then make yours again."
    )
