"""The database connection: one SQLAlchemy engine, short transactions, the database's own id."""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from ffdesk.engine.db_errors import DatabaseProblem, as_problem, on_engine_error
from ffdesk.engine.integrity import quick_check

log = logging.getLogger(__name__)

META_TABLE = "ffdesk_meta"
META = sa.table(META_TABLE, sa.column("key"), sa.column("value"))
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


class _PreparedInsert:
    """An INSERT of some columns of a table, in the driver's own terms, with each column's
    conversion of Python values (what SQLAlchemy would apply), worked out once."""

    __slots__ = ("conversions", "sql")

    def __init__(self, dialect: sa.Dialect, table: sa.Table, columns: tuple[str, ...]) -> None:
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(name) for name in columns)
        marks = ", ".join("?" for _ in columns)
        self.sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"
        #: (position, conversion) of the columns whose values need one (most need none).
        self.conversions = tuple(
            (position, process)
            for position, name in enumerate(columns)
            if (process := _bind_processor(dialect, table.c[name])) is not None
        )

    def parameters(self, values: Iterable[Any]) -> list[Any]:
        params = list(values)
        for position, process in self.conversions:
            params[position] = process(params[position])
        return params


def _bind_processor(dialect: sa.Dialect, column: sa.Column[Any]) -> Callable[[Any], Any] | None:
    """The conversion SQLAlchemy applies to a value bound to `column` (None: taken as it is)."""
    from sqlalchemy.dialects.sqlite.base import DATETIME  # only SQLite prepares inserts

    impl = column.type.dialect_impl(dialect)
    process = impl.bind_processor(dialect)
    if (
        process is not None
        and isinstance(impl, DATETIME)
        and impl._storage_format == DATETIME._storage_format
    ):
        # SQLite's DATETIME in its default text form is what `isoformat` writes for a naive
        # datetime, in a fraction of the time of SQLAlchemy's %-formatting (a sync stores
        # a `synced_at` per record); anything else still goes to SQLAlchemy's.
        return partial(_sqlite_datetime, process)
    return process


def _sqlite_datetime(general: Callable[[Any], Any], value: Any) -> Any:
    if type(value) is dt.datetime and value.tzinfo is None:
        return value.isoformat(" ", "microseconds")
    return general(value)


def _run_undo(actions: list[Callable[[], None]]) -> None:
    for action in reversed(actions):
        try:
            action()
        except Exception:
            log.exception("could not undo a change made outside the database")


@contextmanager
def _begun(conn: Connection) -> Iterator[Connection]:
    """A transaction on a kept connection (committed at the end, rolled back on error)."""
    with conn.begin():
        yield conn


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
        self.is_file = self.dialect_name == "sqlite" and not is_memory
        #: Whether `insert_alone` can take its short way here (SQLite's driver).
        self.inserts_alone = self.dialect_name == "sqlite"
        # A driver's failure (full disk, read-only file, lock, damage) becomes a sentence.
        sa.event.listen(self.engine, "handle_error", on_engine_error)
        if self.dialect_name == "sqlite":
            sa.event.listen(self.engine, "connect", _on_sqlite_connect)
            sa.event.listen(self.engine, "begin", self._sqlite_begin)
            if not is_memory:
                # WAL: the window keeps reading while the command line (or a sync) writes.
                sa.event.listen(self.engine, "connect", _use_wal)
        self._current: contextvars.ContextVar[Connection | None] = contextvars.ContextVar(
            f"ffdesk_db_{id(self)}", default=None
        )
        # Whether the transaction about to begin will write (read by `_sqlite_begin`).
        self._writing: contextvars.ContextVar[bool] = contextvars.ContextVar(
            f"ffdesk_db_writing_{id(self)}", default=True
        )
        # Undo actions of what was done outside the database (secrets) in this transaction.
        self._undo: contextvars.ContextVar[list[Callable[[], None]] | None] = (
            contextvars.ContextVar(f"ffdesk_db_undo_{id(self)}", default=None)
        )
        # Each thread keeps a connection for its short transactions: a pool checkout and
        # return cost more CPU than SQLite's insert and commit (a sync commits per record).
        self._kept = threading.local()
        self._all_kept: list[Connection] = []
        self._kept_lock = threading.Lock()
        #: Why the database file must not be written (it failed its integrity check).
        self.damaged: str | None = None
        try:
            self.damaged = quick_check(self.engine)
            self.id = self._ensure_meta()
        except (sa.exc.DBAPIError, OSError, sqlite3.Error) as exc:
            problem = as_problem(getattr(exc, "orig", None) or exc, self.engine.url)
            self.engine.dispose()
            if problem is None:
                raise
            raise problem from None

    # -- transactions ----------------------------------------------------------------
    def _sqlite_begin(self, conn: Connection) -> None:
        # A writing transaction takes the write lock at BEGIN (IMMEDIATE), so a read-then-write
        # transaction (the sync-run lock) never fails half-way because another process wrote
        # meanwhile. A reading one takes no lock: in WAL mode it reads at once, even while
        # another process holds the write lock.
        # Straight to the driver: this runs for every transaction, one per synced record.
        driver = conn.connection.driver_connection
        try:
            driver.execute("BEGIN IMMEDIATE" if self._writing.get() else "BEGIN")  # type: ignore[union-attr]
        except sqlite3.Error as exc:  # raw from the driver: said as a sentence here
            problem = as_problem(exc, self.engine.url)
            if problem is None:
                raise
            raise problem from None

    @contextmanager
    def connect(self, *, write: bool = False) -> Iterator[Connection]:
        """The connection of the enclosing transaction, or a new short transaction.

        A new transaction only reads unless `write` is true (`savepoint` and `transaction`
        always write); a reading one never waits for a writer on SQLite.
        """
        current = self._current.get()
        if current is not None:
            yield current
            return
        if write and self.damaged:
            raise DatabaseProblem(self.damaged, "damaged")
        writing = self._writing.set(write)
        undo: list[Callable[[], None]] = []
        undo_token = self._undo.set(undo)
        try:
            kept = self._free_kept_connection()
            with self.engine.begin() if kept is None else _begun(kept) as conn:
                token = self._current.set(conn)
                try:
                    yield conn
                finally:
                    self._current.reset(token)
        except BaseException:
            _run_undo(undo)  # the body or the commit failed: nothing of it may remain
            raise
        finally:
            self._writing.reset(writing)
            self._undo.reset(undo_token)

    def in_transaction(self) -> bool:
        """True inside `transaction()` (or `connect()`): record operations join it."""
        return self._current.get() is not None

    def _free_kept_connection(self) -> Connection | None:
        """This thread's kept connection, or None while another task's transaction uses it."""
        conn: Connection | None = getattr(self._kept, "conn", None)
        if conn is None or conn.closed or conn.invalidated:
            conn = self.engine.connect()
            self._kept.conn = conn
            with self._kept_lock:
                self._all_kept.append(conn)
        return None if conn.in_transaction() else conn

    def on_rollback(self, action: Callable[[], None]) -> None:
        """Run `action` if the enclosing transaction (or savepoint) does not commit.

        For changes made outside the database inside a transaction (secrets in the keyring),
        so that a save is all or nothing even when the commit itself fails (a full disk).
        """
        undo = self._undo.get()
        if undo is not None:
            undo.append(action)

    @asynccontextmanager
    async def transaction(self) -> Any:
        """Group record operations into one transaction (commit on success, else roll back).

        Inside an enclosing transaction it is a savepoint. Do not await network I/O inside:
        the transaction holds SQLite's write lock.
        """
        nested = self._current.get() is not None
        with self.savepoint() if nested else self.connect(write=True) as conn:
            yield conn

    @contextmanager
    def savepoint(self) -> Iterator[Connection]:
        """A nested transaction so that one failed operation leaves the database unchanged."""
        if self._current.get() is None:
            # A new short transaction is all-or-nothing already: no SAVEPOINT round trips.
            with self.connect(write=True) as conn:
                yield conn
            return
        with self.connect() as conn:
            nested = conn.begin_nested()
            undo = self._undo.get()
            mark = len(undo) if undo is not None else 0
            try:
                yield conn
            except BaseException:
                if nested.is_active:
                    nested.rollback()
                if undo is not None:
                    _run_undo(undo[mark:])
                    del undo[mark:]
                raise
            else:
                if nested.is_active:
                    nested.commit()

    def insert_row(self, conn: Connection, table: sa.Table, row: dict[str, Any]) -> int:
        """Insert one row in `conn`'s transaction; its new id.

        On SQLite the driver runs a statement prepared once per table and set of columns:
        SQLAlchemy's execution machinery costs more CPU than SQLite's insert itself, and a
        sync inserts a mapper row per record. Values go through the column types' own
        conversions, and driver errors come out as SQLAlchemy's, as from `conn.execute`.
        """
        if self.dialect_name != "sqlite":
            result = conn.execute(table.insert(), row)
            assert result.inserted_primary_key is not None
            return int(result.inserted_primary_key[0])
        return self._insert_prepared(conn, conn.connection.driver_connection, table, row)

    def insert_alone(self, table: sa.Table, row: dict[str, Any]) -> int | None:
        """Insert one row in a short transaction of its own, committed: its new id.

        The short way for a record created outside any transaction on SQLite (a sync commits
        a mapper row per record): BEGIN IMMEDIATE, the prepared insert and COMMIT go straight
        to the driver, without SQLAlchemy's transaction bookkeeping, which cost more CPU than
        SQLite's own work. Errors are what `connect(write=True)` and `insert_row` give, and
        nothing stays written after one. None when it cannot be taken (another database, an
        enclosing transaction, this thread's connection busy): use the general way.
        """
        if not self.inserts_alone or self._current.get() is not None:
            return None
        if self.damaged:
            raise DatabaseProblem(self.damaged, "damaged")
        conn = self._free_kept_connection()
        if conn is None:
            return None
        driver = conn.connection.driver_connection
        assert driver is not None
        self._run_driver(driver, "BEGIN IMMEDIATE")
        try:
            new_id = self._insert_prepared(conn, driver, table, row)
            self._run_driver(driver, "COMMIT")
        except BaseException:
            if driver.in_transaction:
                try:
                    driver.rollback()
                except sqlite3.Error:
                    log.exception("could not roll back a refused insert")
            raise
        return new_id

    def _run_driver(self, driver: Any, sql: str) -> None:
        """A statement without parameters straight on SQLite's driver; errors as sentences."""
        try:
            driver.execute(sql)
        except sqlite3.Error as exc:
            problem = as_problem(exc, self.engine.url)
            if problem is not None:
                raise problem from None
            raise sa.exc.DBAPIError.instance(sql, (), exc, sqlite3.Error) from exc

    def _insert_prepared(
        self, conn: Connection, driver: Any, table: sa.Table, row: dict[str, Any]
    ) -> int:
        """Run `table`'s prepared INSERT of `row` on SQLite's driver (`conn`'s); the new id."""
        prepared: dict[tuple[str, ...], _PreparedInsert] = table.info.setdefault(
            "ffdesk_inserts", {}
        )
        columns = tuple(row)
        insert = prepared.get(columns)
        if insert is None:
            insert = prepared[columns] = _PreparedInsert(self.engine.dialect, table, columns)
        sql, params = insert.sql, insert.parameters(row.values())
        # The listeners SQLAlchemy runs before each statement run here too: a preview's
        # guard (which refuses every write) must see this insert like any other.
        listeners = conn.dispatch.before_cursor_execute
        if listeners:
            for listener in listeners:
                sql, params = listener(conn, None, sql, params, None, False)
        try:
            cursor = driver.execute(sql, params)
        except sqlite3.Error as exc:
            problem = as_problem(exc, self.engine.url)  # a full disk, a lock: a sentence
            if problem is not None:
                raise problem from None
            raise sa.exc.DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc
        return int(cursor.lastrowid)

    def dispose(self) -> None:
        with self._kept_lock:
            kept, self._all_kept = self._all_kept, []
        for conn in kept:
            conn.close()
        self.engine.dispose()

    # -- identity ----------------------------------------------------------------------
    def _ensure_meta(self) -> str:
        """Create the meta table if needed and return the database's UUID (made once)."""
        found = self._read_meta()
        if found is not None:
            return found  # the usual start: nothing to write, so never wait for a writer
        from alembic.migration import MigrationContext
        from alembic.operations import Operations

        with self.connect(write=True) as conn:
            if self.dialect_name == "postgresql":
                from ffdesk.engine import postgresql

                postgresql.lock_schema(conn)
            if not sa.inspect(conn).has_table(META_TABLE):
                ops = Operations(MigrationContext.configure(conn))
                ops.create_table(
                    META_TABLE,
                    sa.Column("key", sa.String(64), primary_key=True),
                    sa.Column("value", sa.Text(), nullable=False),
                )
            found = conn.execute(
                sa.select(META.c.value).where(META.c.key == "database_id")
            ).scalar_one_or_none()
            if found is None:
                found = str(uuid.uuid4())
                conn.execute(sa.insert(META).values(key="database_id", value=found))
            if self.dialect_name == "postgresql":
                postgresql.ensure_casefold(conn, META)
            return str(found)

    def _read_meta(self) -> str | None:
        """The database's UUID when the meta table is complete, read without writing."""
        with self.connect() as conn:
            if not sa.inspect(conn).has_table(META_TABLE):
                return None
            values = dict(conn.execute(sa.select(META.c.key, META.c.value)).all())
            if self.dialect_name == "postgresql":
                from ffdesk.engine import postgresql

                if not postgresql.casefold_ready(conn, values):
                    return None
            found = values.get("database_id")
            return None if found is None else str(found)
