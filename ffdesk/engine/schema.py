"""Bring the database schema up to the registry with Alembic operations, keeping every row."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from ffdesk.engine.registry import Registry


@dataclass
class SchemaChanges:
    """What an upgrade did: tables, columns and indexes it added."""

    tables: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    indexes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.tables or self.columns or self.indexes)


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


def _up_to_date(registry: Registry, inspector: sa.Inspector) -> bool:
    existing = set(inspector.get_table_names())
    for table in registry.metadata.sorted_tables:
        if table.name not in existing:
            return False
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        if any(c.name not in columns for c in table.columns):
            return False
        indexes = {i["name"] for i in inspector.get_indexes(table.name)}
        if any(i.name not in indexes for i in table.indexes):
            return False
    return True


def schema_is_current(registry: Registry) -> bool:
    """Whether every table, column and index the registry needs exists in the database."""
    with registry.db.engine.connect() as conn:
        return _up_to_date(registry, sa.inspect(conn))


def upgrade_schema(registry: Registry) -> SchemaChanges:
    """Create missing tables, columns and indexes; never drops or alters existing ones."""
    changes = SchemaChanges()
    with registry.db.engine.begin() as conn:
        inspector = sa.inspect(conn)
        if _up_to_date(registry, inspector):
            return changes  # the usual start: no need to load Alembic at all
        from alembic.migration import MigrationContext
        from alembic.operations import Operations

        ops = Operations(MigrationContext.configure(conn))
        existing = set(inspector.get_table_names())
        for table in registry.metadata.sorted_tables:
            if table.name not in existing:
                ops.create_table(table.name, *[column._copy() for column in table.columns])
                changes.tables.append(table.name)
                present_columns: set[str] = {c.name for c in table.columns}
                present_indexes: set[str] = set()
            else:
                present_columns = {c["name"] for c in inspector.get_columns(table.name)}
                present_indexes = {
                    i["name"] for i in inspector.get_indexes(table.name) if i["name"]
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
