"""Helpers for engine tests: an in-memory secret store, a database builder and `run`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from ffdesk.engine.core_models import core_declarations
from ffdesk.engine.db import Database
from ffdesk.engine.env import Environment, env_ctx
from ffdesk.engine.model import Model
from ffdesk.engine.registry import Registry
from ffdesk.engine.schema import upgrade_schema
from tests.helpers.database import database_url

T = TypeVar("T")
SecretKey = tuple[int, str, int, str]


def run(awaitable: Awaitable[T]) -> T:
    """Run a coroutine (or await a Query) to its end; the engine needs no Qt loop."""
    if isinstance(awaitable, Coroutine):
        return asyncio.run(awaitable)

    async def wait() -> T:
        return await awaitable

    return asyncio.run(wait())


class MemorySecrets:
    """A secret store in a dict: (company, model, record, field) -> value."""

    def __init__(self) -> None:
        self.data: dict[SecretKey, str] = {}

    def get(self, company_id: int, model: str, record_id: int, field: str) -> str | None:
        return self.data.get((company_id, model, record_id, field))

    def set(
        self, company_id: int, model: str, record_id: int, field: str, value: str | None
    ) -> None:
        key = (company_id, model, record_id, field)
        if value is None:
            self.data.pop(key, None)
        else:
            self.data[key] = value

    def delete(self, company_id: int, model: str, record_id: int, field: str) -> None:
        self.data.pop((company_id, model, record_id, field), None)


def build_env(
    path: Path,
    declarations: Sequence[type[Model]] = (),
    *,
    secrets: MemorySecrets | None = None,
    core: bool = True,
) -> Environment:
    """Database file at `path`, a registry of core + `declarations`, schema upgraded.

    The environment is returned, not activated: `activate(env)` (or the `make_env` fixture)
    sets `env_ctx`.
    """
    db = Database(database_url(path))
    decls = [*(core_declarations() if core else []), *declarations]
    registry = Registry(db, decls)
    upgrade_schema(registry)
    return Environment(registry, secrets=secrets if secrets is not None else MemorySecrets())


def to_mapping(record: Model, depth: int = 3) -> dict[str, Any]:
    """A record as the nested mapping form of `Q.matches` (related records nested).

    A many-to-one whose record is gone (a dangling id) becomes `{"id": <id>}` (a record with
    no values); below `depth`, a many-to-one is only its id and one-to-many are left out.
    """
    from ffdesk.engine.fields import ManyToOne, OneToMany

    out: dict[str, Any] = {"id": record.id}
    for name, field in type(record)._fields.items():
        if field.company_scoped:
            continue
        if isinstance(field, ManyToOne):
            related_id = record._values.get(name)
            if related_id is None:
                out[name] = None
            elif depth > 0:
                related = getattr(record, name)
                out[name] = (
                    {"id": related_id} if related is None else to_mapping(related, depth - 1)
                )
            else:
                out[name] = {"id": related_id}  # deep enough: compares by id only
        elif isinstance(field, OneToMany):
            if depth > 0:
                out[name] = [to_mapping(r, depth - 1) for r in getattr(record, name)]
        else:
            out[name] = getattr(record, name)
    return out


def row_counts(env: Environment) -> dict[str, int]:
    """Rows per table, read straight from the database (not through the ORM)."""
    counts: dict[str, int] = {}
    with env.db.engine.connect() as conn:
        for table in env.registry.metadata.sorted_tables:
            counts[table.name] = conn.execute(
                sa.select(sa.func.count()).select_from(table)
            ).scalar_one()
    return counts


def table_rows(env: Environment, model: str) -> list[dict[str, Any]]:
    """Every row of a model's table as a dict, by id."""
    table = env.registry[model]._table
    with env.db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(table.c.id))]


__all__ = [
    "MemorySecrets",
    "build_env",
    "env_ctx",
    "row_counts",
    "run",
    "table_rows",
    "to_mapping",
]
