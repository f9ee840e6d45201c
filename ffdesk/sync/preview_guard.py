"""A preview writes nothing locally: any write statement during one is refused, not run.

The sync helpers (`push_changed`, `store_pulled`, `refresh_open`) and the provider modules
skip their writes in a preview. This guard is the net under them: should a module forget one,
the preview stops with a sentence instead of changing the database.

It sees every statement SQLAlchemy runs, and the inserts of the engine's prepared-insert fast
path on SQLite, which runs the same `before_cursor_execute` listeners (`Database.insert_row`).
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa

from ffdesk.engine.errors import UserError

_previewing: ContextVar[str | None] = ContextVar("ffdesk_previewing", default=None)
_guarded: weakref.WeakSet[sa.engine.Engine] = weakref.WeakSet()
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")


class PreviewWouldWrite(UserError):
    """A preview tried to change the database; it was stopped before it did."""


def _refuse_writes(
    _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
) -> None:
    who = _previewing.get()
    if who is not None and statement.lstrip().upper().startswith(_WRITES):
        raise PreviewWouldWrite(
            f"The preview of {who} stopped before saving anything: {who} tried to change "
            "local records during a preview (a defect of its module; Sync now is not affected)."
        )


@contextlib.contextmanager
def previewing(engine: sa.engine.Engine, name: str) -> Iterator[None]:
    """Inside this block (this task and the ones it starts) `engine` refuses every write."""
    if engine not in _guarded:
        sa.event.listen(engine, "before_cursor_execute", _refuse_writes)
        _guarded.add(engine)
    token = _previewing.set(name)
    try:
        yield
    finally:
        _previewing.reset(token)
