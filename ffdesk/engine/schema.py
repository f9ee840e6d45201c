"""Bring the database schema up to the registry with Alembic operations, keeping every row."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from ffdesk.engine.fields import ExactDecimal
from ffdesk.engine.registry import Registry


@dataclass
class SchemaChanges:
    """What an upgrade did: tables, columns and indexes it added."""

    tables: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    indexes: list[str] = field(default_factory=list)
    retyped: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.tables or self.columns or self.indexes or self.retyped)


def _float_to_decimal(table: sa.Table, found: list[dict]) -> list[sa.Column]:
    """Columns the registry wants exact (Monetary) that the database still has as floats."""
    types = {c["name"]: c["type"] for c in found}
    return [
        column
        for column in table.columns
        if isinstance(column.type, ExactDecimal) and isinstance(types.get(column.name), sa.Float)
    ]


def _retype(ops: object, conn: sa.Connection, table: sa.Table, columns: list[sa.Column]) -> None:
    """FLOAT -> NUMERIC keeping every value: PostgreSQL casts in place (a double becomes the
    numeric of its 15 significant digits); SQLite, which cannot alter a column, gets the table
    rebuilt by Alembic's batch mode with the rows copied over."""
    if conn.dialect.name == "sqlite":
        with ops.batch_alter_table(table.name, recreate="always") as batch:  # type: ignore[attr-defined]
            for column in columns:
                batch.alter_column(column.name, type_=column.type, existing_type=sa.Float())
        return
    for column in columns:
        ops.alter_column(  # type: ignore[attr-defined]
            table.name,
            column.name,
            type_=column.type,
            existing_type=sa.Float(),
            postgresql_using=f'"{column.name}"::numeric',
        )


def _fill_default(conn: sa.Connection, registry: Registry, table: sa.Table, column: str) -> None:
    """Existing rows get a new field's default, as if they had been created with it."""
    for model in registry.models.values():
        if model._table is not table:
            continue
        for declared in model._fields.values():
            if declared.stored and declared.column_name == column and declared.has_default:
                if callable(declared._default):
                    return  # per-record defaults (timestamps, lists) cannot be back-filled
                value = declared.to_column(declared.get_default())
                if value is not None:
                    conn.execute(
                        sa.update(table).where(table.c[column].is_(None)).values({column: value})
                    )
                return


@dataclass
class _Present:
    """Tables, columns and index names found in the database (read in one pass)."""

    columns: dict[str, set[str]]
    indexes: dict[str, set[str]]
    described: dict[str, list[dict]]  # the inspector's column descriptions (types included)

    @classmethod
    def read(cls, inspector: sa.Inspector) -> _Present:
        # One catalogue query for every table (PostgreSQL), not three per table.
        described = {key[1]: list(found) for key, found in inspector.get_multi_columns().items()}
        columns = {name: {c["name"] for c in found} for name, found in described.items()}
        indexes = {
            key[1]: {i["name"] for i in found if i["name"]}
            for key, found in inspector.get_multi_indexes().items()
        }
        return cls(columns, indexes, described)


def _up_to_date(registry: Registry, present: _Present) -> bool:
    for table in registry.metadata.sorted_tables:
        columns = present.columns.get(table.name)
        if columns is None or any(c.name not in columns for c in table.columns):
            return False
        if _float_to_decimal(table, present.described[table.name]):
            return False
        indexes = present.indexes.get(table.name, set())
        if any(i.name not in indexes for i in table.indexes):
            return False
    return True


def schema_is_current(registry: Registry) -> bool:
    """Whether every table, column and index the registry needs exists in the database."""
    with registry.db.connect() as conn:
        return _up_to_date(registry, _Present.read(sa.inspect(conn)))


def upgrade_schema(registry: Registry) -> SchemaChanges:
    """Create missing tables, columns and indexes, and turn float columns that became Monetary
    into NUMERIC (values kept); never drops anything."""
    changes = SchemaChanges()
    with registry.db.connect() as conn:
        if _up_to_date(registry, _Present.read(sa.inspect(conn))):
            return changes  # the usual start: read only, no Alembic, never waits for a writer
    with registry.db.connect(write=True) as conn:
        if registry.db.dialect_name == "postgresql":
            from ffdesk.engine.postgresql import lock_schema

            lock_schema(conn)  # a second process starting now waits, then finds it done
        present = _Present.read(sa.inspect(conn))
        if _up_to_date(registry, present):
            return changes
        from alembic.migration import MigrationContext
        from alembic.operations import Operations

        ops = Operations(MigrationContext.configure(conn))
        for table in registry.metadata.sorted_tables:
            if table.name not in present.columns:
                ops.create_table(table.name, *[column._copy() for column in table.columns])
                changes.tables.append(table.name)
                present_indexes: set[str] = set()
            else:
                present_columns = present.columns[table.name]
                present_indexes = present.indexes.get(table.name, set())
                retype = _float_to_decimal(table, present.described[table.name])
                if retype:
                    _retype(ops, conn, table, retype)
                    changes.retyped += [f"{table.name}.{c.name}" for c in retype]
                    # a SQLite rebuild recreates the table: read its indexes again
                    present_indexes = {
                        i["name"] for i in sa.inspect(conn).get_indexes(table.name) if i["name"]
                    }
                for column in table.columns:
                    if column.name not in present_columns:
                        ops.add_column(table.name, column._copy())
                        changes.columns.append(f"{table.name}.{column.name}")
                        _fill_default(conn, registry, table, column.name)
            for index in table.indexes:
                if index.name not in present_indexes:
                    ops.create_index(
                        str(index.name),
                        table.name,
                        [c.name for c in index.columns],
                        unique=bool(index.unique),
                    )
                    changes.indexes.append(str(index.name))
    return changes
