"""The database file's health: a quick check at start, a full check and an online backup.

A damaged SQLite file (random bytes in the middle) still opens and half works; writing into
it spreads the damage. So every start runs `PRAGMA quick_check`, bounded in time, and a file
that fails it is opened for reading only (copy out what can be read, check it in full).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

import sqlalchemy as sa

from ffdesk.engine.db_errors import sqlite_file

log = logging.getLogger(__name__)

#: The quick check at start gives up (and trusts the file) after this long: a large database
#: must not make every start slow.
QUICK_CHECK_SECONDS = 1.5
_PROGRESS_STEPS = 10_000  # SQLite virtual machine steps between two looks at the clock


def damaged_sentence(path: str, findings: list[str]) -> str:
    first = findings[0] if findings else "it cannot be read"
    return (
        f"ffdesk's database file is damaged ({path}): it is opened for reading only, so "
        f"nothing more is written into it. Run `ffdesk db check` for details and `ffdesk db "
        f"backup FILE` to copy out what can be read. (First finding: {first})"
    )


def _sqlite_path(engine: sa.Engine) -> str:
    return sqlite_file(engine.url)


def _is_file(engine: sa.Engine) -> bool:
    path = _sqlite_path(engine) if engine.dialect.name == "sqlite" else ""
    return bool(path) and path != ":memory:" and "mode=memory" not in str(engine.url)


def _run_check(path: str, pragma: str, budget: float | None) -> list[str] | None:
    """The findings of `PRAGMA quick_check`/`integrity_check`; None when out of time."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        if budget is not None:
            deadline = time.monotonic() + budget
            conn.set_progress_handler(lambda: int(time.monotonic() > deadline), _PROGRESS_STEPS)
        try:
            rows = [str(row[0]) for row in conn.execute(f"PRAGMA {pragma}")]
        except sqlite3.DatabaseError as exc:
            text = str(exc)
            if "malformed" in text or "not a database" in text:
                return [text]
            # Interrupted (out of time), locked, cannot open: not a finding about the file;
            # opening it for real says what is wrong, in a sentence of its own.
            log.info("integrity check of %s not done: %s", path, text)
            return None
        return [] if rows == ["ok"] else rows
    finally:
        conn.close()


def quick_check(engine: sa.Engine, budget: float = QUICK_CHECK_SECONDS) -> str | None:
    """The sentence saying the file is damaged, or None (healthy, new, or check timed out)."""
    if not _is_file(engine):
        return None
    path = _sqlite_path(engine)
    if not Path(path).is_file() or Path(path).stat().st_size == 0:
        return None
    findings = _run_check(path, "quick_check", budget)
    if findings is None:
        log.info("quick check of %s stopped after %.1f s; file trusted", path, budget)
        return None
    if not findings:
        return None
    log.error("database %s failed its quick check: %s", path, findings[:5])
    return damaged_sentence(path, findings)


def full_check(engine: sa.Engine) -> list[str]:
    """Every finding of a full integrity check ([] when the database is healthy)."""
    if engine.dialect.name != "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")  # the server checks its own files
        return []
    if not _is_file(engine):
        return []
    return _run_check(_sqlite_path(engine), "integrity_check", None) or []


def backup(engine: sa.Engine, target: Path) -> int:
    """Copy the database into the new SQLite file `target` while others keep using it.

    SQLite's online backup API gives a consistent copy even while another process writes.
    Returns the number of pages copied.
    """
    from ffdesk.engine.errors import UserError

    if not _is_file(engine):
        raise UserError(
            "`ffdesk db backup` copies a SQLite database file; back up a PostgreSQL database "
            "with the server's own tools (pg_dump)."
        )
    if target.exists():
        raise UserError(f"{target} already exists: choose a new file name for the backup.")
    if not target.parent.is_dir():
        raise UserError(f"The folder {target.parent} does not exist: create it first.")
    source = sqlite3.connect(f"file:{_sqlite_path(engine)}?mode=ro", uri=True, timeout=10)
    copy = sqlite3.connect(target)
    pages = 0

    def progress(_status: int, remaining: int, total: int) -> None:
        nonlocal pages
        pages = total - remaining

    try:
        source.backup(copy, pages=1024, progress=progress)
    except sqlite3.DatabaseError:
        copy.close()
        target.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    copy.close()
    return pages
