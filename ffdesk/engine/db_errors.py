"""The database's own failures as sentences that say what to do (never a driver's text).

A read-only file, a full disk, a lock held by another program, a damaged file or an
unreachable server reach the user as one `DatabaseProblem` sentence naming the database; the
driver's message and the SQL go to the log only.
"""

from __future__ import annotations

import errno
import logging
import shutil
from pathlib import Path
from typing import Any

from ffdesk.engine.errors import UserError

log = logging.getLogger(__name__)

NOTHING_CHANGED = "nothing was changed"
# Below this much free space a SQLite "disk I/O error" is the disk being full.
FULL_BELOW_BYTES = 1 << 20


class DatabaseProblem(UserError):
    """ffdesk's database cannot be used as asked: what happened and what to do."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def sqlite_file(url: Any) -> str:
    """The file of a SQLite URL, also in its URI form (`file:PATH?mode=ro`)."""
    database = str(url.database or "")
    if database.startswith("file:"):
        database = database[len("file:") :].split("?", 1)[0]
    return database


def where(url: Any) -> str:
    """The database's file path, or server and database name (never a password)."""
    if url.get_backend_name() == "sqlite":
        return sqlite_file(url) or "in memory"
    host = url.host or "localhost"
    port = f":{url.port}" if url.port else ""
    return f"{host}{port}/{url.database or ''}"


def _disk_is_full(path: str) -> bool:
    folder = Path(path).parent
    try:
        return shutil.disk_usage(folder).free < FULL_BELOW_BYTES
    except OSError:
        return False


def _sqlite_sentence(text: str, place: str) -> tuple[str, str] | None:
    lowered = text.lower()
    if "database or disk is full" in lowered or (
        "disk i/o error" in lowered and _disk_is_full(place)
    ):
        return (
            "disk_full",
            f"The disk holding ffdesk's database is full ({place}): free some space, "
            f"{NOTHING_CHANGED}.",
        )
    if "readonly database" in lowered or "read-only" in lowered:
        return (
            "read_only",
            f"ffdesk's database cannot be written ({place}): the file or its folder is "
            f"read-only; give your user write permission there, {NOTHING_CHANGED}.",
        )
    if "unable to open database file" in lowered:
        return (
            "cannot_open",
            f"ffdesk's database cannot be opened ({place}): its folder does not exist or "
            "cannot be written; check the path and its permissions.",
        )
    if "database is locked" in lowered or "database table is locked" in lowered:
        return (
            "locked",
            f"ffdesk's database is locked by another program ({place}): wait for it to "
            f"finish or close it, then try again; {NOTHING_CHANGED}.",
        )
    if "malformed" in lowered or "file is not a database" in lowered:
        return (
            "damaged",
            f"ffdesk's database file is damaged ({place}): {NOTHING_CHANGED}. Check it with "
            "`ffdesk db check`, then restore a backup or copy what can be read with "
            "`ffdesk db backup FILE`.",
        )
    if "disk i/o error" in lowered:
        return (
            "io_error",
            f"The disk holding ffdesk's database reported a read or write error ({place}): "
            f"check the disk, {NOTHING_CHANGED}.",
        )
    return None


# SQLSTATEs of a connection that ended in the middle (the server or an administrator closed it:
# the server rolls back what was not committed) and of one that could not be made.
LOST_CONNECTION = frozenset({"57P01", "57P02", "08000", "08003", "08006", "08007"})
NO_CONNECTION = frozenset({"57P03", "08001", "08004"})


def _postgresql_sentence(exc: BaseException, place: str) -> tuple[str, str] | None:
    state = getattr(exc, "sqlstate", None) or ""
    if state == "53100":
        return (
            "disk_full",
            f"The disk of ffdesk's database server is full ({place}): free some space there, "
            f"{NOTHING_CHANGED}.",
        )
    if state == "25006":
        return (
            "read_only",
            f"ffdesk's database server accepts no changes ({place}): it is read-only (a "
            f"standby?); point ffdesk at the primary server, {NOTHING_CHANGED}.",
        )
    if state in ("28000", "28P01"):
        return (
            "login",
            f"ffdesk's database server refused the login ({place}): check the user name "
            "and the password (~/.pgpass or PGPASSWORD).",
        )
    if state == "3D000":
        return (
            "cannot_open",
            f"ffdesk's database does not exist on the server ({place}): create it "
            "(createdb) or correct the URL.",
        )
    if state in ("55P03", "40P01"):
        return (
            "locked",
            f"ffdesk's database is busy with another program's change ({place}): try again "
            f"in a moment, {NOTHING_CHANGED}.",
        )
    if state in LOST_CONNECTION:
        return (
            "unreachable",
            f"ffdesk lost its connection to its database server ({place}): check that it is "
            f"running and reachable from this computer, then try again; {NOTHING_CHANGED}.",
        )
    if state in NO_CONNECTION or (not state and type(exc).__name__ == "OperationalError"):
        return (
            "unreachable",
            f"ffdesk cannot reach its database server ({place}): check that it is running "
            f"and reachable from this computer, {NOTHING_CHANGED}.",
        )
    return None


def as_problem(exc: BaseException, url: Any) -> DatabaseProblem | None:
    """The sentence for a driver error, or None when it is not one of the known failures."""
    place = where(url)
    if url.get_backend_name() == "sqlite":
        found = _sqlite_sentence(str(exc), place)
        if found is None and isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            found = _sqlite_sentence("database or disk is full", place)
    elif url.get_backend_name() == "postgresql":
        found = _postgresql_sentence(exc, place)
    else:
        found = None
    if found is None:
        return None
    kind, message = found
    log.warning("database problem (%s): %s", kind, exc)
    return DatabaseProblem(message, kind)


def on_engine_error(context: Any) -> DatabaseProblem | None:
    """SQLAlchemy `handle_error` hook: known failures become a `DatabaseProblem`."""
    original = context.original_exception
    if type(original).__name__ == "IntegrityError":
        return None  # a model turns these into its own "must be unique" sentence
    engine = context.engine
    if engine is None:
        return None
    return as_problem(original, engine.url)
