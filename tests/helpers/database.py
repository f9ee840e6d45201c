"""Test databases: a SQLite file, or a PostgreSQL schema when FFDESK_TEST_DATABASE_URL is set.

The suite runs twice in CI: once on SQLite files in tmp_path, once on a throwaway PostgreSQL
server (`.ci/run`). Every test asks `database_url(path)` for its database; on PostgreSQL the
path names a schema of its own (created on first use), so tests stay independent and opening
the same path again reopens the same database, as with a file.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

TEST_DATABASE_URL = os.environ.get("FFDESK_TEST_DATABASE_URL", "").strip()
ON_POSTGRESQL = TEST_DATABASE_URL.startswith("postgresql")
# Schema names of one test session never meet those of an earlier session on the same server.
_SESSION = uuid.uuid4().hex
_admin: sa.Engine | None = None

#: Marks a test about SQLite's own file (WAL, pragmas, damaged files): not run on PostgreSQL.
sqlite_only = pytest.mark.skipif(ON_POSTGRESQL, reason="about SQLite's database file")
#: Marks a test that needs a PostgreSQL server (the PostgreSQL pass of the suite).
postgresql_only = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="needs FFDESK_TEST_DATABASE_URL=postgresql+psycopg://..."
)


def _admin_engine() -> sa.Engine:
    global _admin
    if _admin is None:
        _admin = sa.create_engine(TEST_DATABASE_URL, poolclass=sa.pool.NullPool)
    return _admin


def schema_for(path: Path | str) -> str:
    """The PostgreSQL schema that stands for the SQLite file `path` in this session."""
    return "t_" + hashlib.sha1(f"{_SESSION}:{path}".encode()).hexdigest()[:24]


def database_url(path: Path | str) -> str:
    """The URL of the test database standing for the file `path` (created when needed)."""
    if not ON_POSTGRESQL:
        return f"sqlite:///{path}"
    schema = schema_for(path)
    with _admin_engine().begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    separator = "&" if "?" in TEST_DATABASE_URL else "?"
    return f"{TEST_DATABASE_URL}{separator}options={quote(f'-csearch_path={schema}')}"


def table_names(url: str) -> set[str]:
    """Tables of the database at `url` (SQLite file or PostgreSQL schema)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return set(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()


def table_columns(url: str, table: str) -> list[str]:
    """Column names of `table` (empty when the table does not exist)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            if not inspector.has_table(table):
                return []
            return [c["name"] for c in inspector.get_columns(table)]
    finally:
        engine.dispose()


def dump_text(url: str) -> str:
    """Every row of every table as text (SQLite: its own SQL dump), to search for a value."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                return "\n".join(conn.connection.driver_connection.iterdump())
            lines = []
            for name in sa.inspect(conn).get_table_names():
                for row in conn.execute(sa.text(f'SELECT * FROM "{name}"')):
                    # str(), not repr(): a value must read as stored, quotes and
                    # backslashes unescaped, or a byte-search for it would miss it.
                    cells = ("" if v is None else str(v) for v in row)
                    lines.append(f"{name}: " + "\t".join(cells))
            return "\n".join(lines)
    finally:
        engine.dispose()


def query_rows(url: str, sql: str, **params: object) -> list[tuple[object, ...]]:
    """Rows of a plain SQL query (`:name` parameters) on the test database at `url`."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def stored_bytes(path: Path) -> bytes:
    """What the test database standing for `path` holds, to byte-search for a value: the
    SQLite file and its WAL, or every row of the PostgreSQL schema."""
    if not ON_POSTGRESQL:
        files = [Path(path), Path(f"{path}-wal")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    return dump_text(database_url(path)).encode()
