"""`ffdesk db check` and `ffdesk db backup FILE`, shared by the window and the command line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ffdesk.engine import integrity
from ffdesk.engine.db import Database
from ffdesk.engine.db_errors import where


@dataclass(frozen=True)
class CheckResult:
    """What a full integrity check found: nothing (healthy) or the database's own findings."""

    database: str
    findings: list[str]

    @property
    def healthy(self) -> bool:
        return not self.findings

    @property
    def sentence(self) -> str:
        if self.healthy:
            return f"ffdesk's database is healthy ({self.database})."
        shown = "; ".join(self.findings[:5])
        more = f" (and {len(self.findings) - 5} more)" if len(self.findings) > 5 else ""
        return (
            f"ffdesk's database file is damaged ({self.database}): {shown}{more}. Copy out what "
            "can be read with `ffdesk db backup FILE`, then restore a backup."
        )


def check(db: Database) -> CheckResult:
    """A full integrity check (SQLite's integrity_check; a PostgreSQL server checks itself)."""
    return CheckResult(where(db.engine.url), integrity.full_check(db.engine))


def backup(db: Database, target: Path) -> str:
    """Copy the database file into `target` (online: others may keep working); a sentence."""
    pages = integrity.backup(db.engine, target)
    size = target.stat().st_size
    return f"Backed up ffdesk's database to {target} ({pages} pages, {size} bytes)."
