"""The database connection: one SQLAlchemy engine, short transactions, the database's own id."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

META_TABLE = "ffdesk_meta"
# Busy timeout for SQLite: a second process (the command line beside the window) may hold the
# write lock for a short transaction; waiting a little is better than failing at once.
SQLITE_BUSY_TIMEOUT_MS = 10_000


def casefold(value: Any) -> Any:
    """Case-insensitive form of text, identical in Python and in SQL (registered on SQLite)."""
    return value.casefold() if isinstance(value, str) else value


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy's recipe for working SAVEPOINTs with pysqlite: we emit BEGIN ourselves.
    dbapi_connection.isolation_level = None
    dbapi_connection.create_function("ff_casefold", 1, casefold, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _use_wal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL stays consistent after a crash or power cut and does not fsync on
    # every commit (FULL does: ~5 ms per commit, on the loop thread, for each synced record).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    """Owns the SQLAlchemy engine and hands out the connection of the current transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        kwargs: dict[str, Any] = {}
        is_memory = url in ("sqlite://", "sqlite:///:memory:") or ":memory:" in url
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False}
            if is_memory:
                # One shared connection, or every checkout would see an empty database.
                kwargs["poolclass"] = StaticPool
        self.engine: Engine = sa.create_engine(url, **kwargs)
        self.dialect_name = self.engine.dialect.name
        if self.dialect_name == "sqlite":
            sa.event.listen(self.engine, "connect", _on_sqlite_connect)
            # IMMEDIATE: take the write lock at BEGIN, so a read-then-write transaction (the
            # sync-run lock) never fails half-way because another process wrote meanwhile.
            sa.event.listen(
                self.engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE")
            )
            if not is_memory:
                # WAL: the window keeps reading while the command line (or a sync) writes.
                sa.event.listen(self.engine, "connect", _use_wal)
        self._current: contextvars.ContextVar[Connection | None] = contextvars.ContextVar(
            f"ffdesk_db_{id(self)}", default=None
        )
        self.id = self._ensure_meta()

    # -- transactions ----------------------------------------------------------------
    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """The connection of the enclosing transaction, or a new short transaction."""
        current = self._current.get()
        if current is not None:
            yield current
            return
        with self.engine.begin() as conn:
            token = self._current.set(conn)
            try:
                yield conn
            finally:
                self._current.reset(token)

    @asynccontextmanager
    async def transaction(self) -> Any:
        """Group record operations into one transaction (commit on success, else roll back).

        Inside an enclosing transaction it is a savepoint. Do not await network I/O inside:
        the transaction holds SQLite's write lock.
        """
        nested = self._current.get() is not None
        with self.savepoint() if nested else self.connect() as conn:
            yield conn

    @contextmanager
    def savepoint(self) -> Iterator[Connection]:
        """A nested transaction so that one failed operation leaves the database unchanged."""
        if self._current.get() is None:
            # A new short transaction is all-or-nothing already: no SAVEPOINT round trips.
            with self.connect() as conn:
                yield conn
            return
        with self.connect() as conn:
            nested = conn.begin_nested()
            try:
                yield conn
            except BaseException:
                if nested.is_active:
                    nested.rollback()
                raise
            else:
                if nested.is_active:
                    nested.commit()

    def dispose(self) -> None:
        self.engine.dispose()

    # -- identity ----------------------------------------------------------------------
    def _ensure_meta(self) -> str:
        """Create the meta table if needed and return the database's UUID (made once)."""
        with self.engine.begin() as conn:
            if not sa.inspect(conn).has_table(META_TABLE):
                # Imported only to create it: Alembic costs 11 MB in every process, and the
                # background scheduler runs all day on a database that has it already.
                from alembic.migration import MigrationContext
                from alembic.operations import Operations

                ops = Operations(MigrationContext.configure(conn))
                ops.create_table(
                    META_TABLE,
                    sa.Column("key", sa.String(64), primary_key=True),
                    sa.Column("value", sa.Text(), nullable=False),
                )
            meta = sa.table(META_TABLE, sa.column("key"), sa.column("value"))
            found = conn.execute(
                sa.select(meta.c.value).where(meta.c.key == "database_id")
            ).scalar_one_or_none()
            if found is None:
                found = str(uuid.uuid4())
                conn.execute(sa.insert(meta).values(key="database_id", value=found))
            return str(found)
