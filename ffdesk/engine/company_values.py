"""Company-scoped values that are not secrets (`secret=False`): kept per company in the
database (the CompanyValue table), and moved there from the keyring where an older version
kept them."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

log = logging.getLogger(__name__)

MODEL = "CompanyValue"


def _table(registry: Any) -> sa.Table:
    return registry[MODEL]._table


def _company(table: sa.Table) -> sa.Column[Any]:
    # The many-to-one's column ("company_id"); read from the table so a rename follows.
    return next(c for c in table.c if c.name.startswith("company"))


def _key(table: sa.Table, cid: int, model: str, record_id: int, field: str) -> Any:
    return sa.and_(
        _company(table) == cid,
        table.c.model == model,
        table.c.record_id == record_id,
        table.c.field == field,
    )


def read(registry: Any, cid: int, model: str, record_id: int, field: str) -> str | None:
    """The stored value, or None when the company has none."""
    table = _table(registry)
    stmt = sa.select(table.c.value).where(_key(table, cid, model, record_id, field))
    with registry.db.connect() as conn:
        return conn.execute(stmt).scalar()


def write(
    conn: sa.Connection,
    registry: Any,
    cid: int,
    model: str,
    record_id: int,
    field: str,
    value: str | None,
) -> None:
    """Store (or with None / "" remove) the value, in the caller's transaction."""
    table = _table(registry)
    where = _key(table, cid, model, record_id, field)
    if value is None or value == "":
        conn.execute(sa.delete(table).where(where))
        return
    changed = conn.execute(sa.update(table).where(where).values(value=str(value))).rowcount
    if not changed:
        conn.execute(
            sa.insert(table).values(
                {
                    _company(table).name: cid,
                    "model": model,
                    "record_id": record_id,
                    "field": field,
                    "value": str(value),
                }
            )
        )


def delete_record(conn: sa.Connection, registry: Any, model: str, record_id: int) -> None:
    """Remove every company's values of one deleted record."""
    table = _table(registry)
    conn.execute(sa.delete(table).where(table.c.model == model, table.c.record_id == record_id))


# -- moving values out of the keyring ------------------------------------------------------


def _marker(model: str, field: str) -> str:
    key = f"readable:{model}.{field}"
    if len(key) > 64:  # the meta table's key column
        key = "readable:" + hashlib.sha1(key.encode()).hexdigest()
    return key


def _record_companies(model: Any, cids: list[int]) -> Iterable[tuple[int, int]]:
    """(company id, record id) pairs that may hold a value: a record with a `company`
    field holds values for its own company only; any other for every company."""
    table = model._table
    company = model._fields.get("company")
    with model._registry.db.connect() as conn:
        if company is not None and getattr(company, "comodel_name", None) == "Company":
            rows = conn.execute(sa.select(table.c.id, table.c[company.column_name])).all()
            return [(int(c), int(i)) for i, c in rows if c is not None]
        ids = [int(i) for i in conn.execute(sa.select(table.c.id)).scalars()]
    return [(c, i) for c in cids for i in ids]


def move_from_keyring(registry: Any, secrets: Any, cids: list[int]) -> list[str]:
    """Move the values of every readable company-scoped field out of the keyring, once.

    An older ffdesk (or the module before it said `secret=False`) kept them in the keyring.
    Each value is committed to the database before its keyring entry is deleted, so nothing
    is lost whatever fails in between; a field is marked done only when the keyring could be
    read, so a locked keyring is simply tried again at the next start. Returns the
    "Model.field" names moved now.
    """
    from ffdesk.engine.db import META

    pending = [
        (model, name)
        for model in registry.models.values()
        for name in model._company_scoped
        if not model._fields[name].secret
    ]
    if not pending:
        return []
    db = registry.db
    with db.connect() as conn:
        done = set(conn.execute(sa.select(META.c.key)).scalars())
    moved: list[str] = []
    usable: bool | None = None
    for model, name in pending:
        marker = _marker(model._name, name)
        if marker in done:
            continue
        if usable is None:
            usable = _keyring_usable(secrets)
        if not usable:
            log.info("keyring not readable: readable values stay where they are for now")
            return moved
        for cid, record_id in _record_companies(model, cids):
            value = secrets.get(cid, model._name, record_id, name)
            if not value:
                continue
            with db.connect(write=True) as conn:
                if read(registry, cid, model._name, record_id, name) is None:
                    write(conn, registry, cid, model._name, record_id, name, value)
            try:
                secrets.delete(cid, model._name, record_id, name)
            except Exception as exc:  # kept in both places; the database copy is the one read
                log.warning("could not remove a moved value from the keyring (%s)", exc)
        try:
            with db.connect(write=True) as conn:
                conn.execute(sa.insert(META).values(key=marker, value="moved"))
        except sa.exc.IntegrityError:
            pass  # another process moved it at the same time
        moved.append(f"{model._name}.{name}")
    return moved


def _keyring_usable(secrets: Any) -> bool:
    available = getattr(secrets, "available", None)
    if available is None:
        return True  # a store without the question (tests' in-memory stores) always answers
    try:
        return bool(available())
    except Exception:
        return False
