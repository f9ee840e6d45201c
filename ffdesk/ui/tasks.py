"""Fire-and-forget coroutines started by dialog answers, kept alive until they finish."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

_running: set[asyncio.Task[Any]] = set()


def spawn(coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
    """Schedule `coro` on the running loop; an unexpected error is logged, never lost."""
    import asyncio  # here, not at import: the window paints before asyncio is loaded

    task = asyncio.ensure_future(coro)
    _running.add(task)
    task.add_done_callback(_finished)
    return task


def _finished(task: asyncio.Task[Any]) -> None:
    _running.discard(task)
    if not task.cancelled() and task.exception() is not None:
        from ffdesk.ui.errors import report_error

        report_error(task.exception())  # type: ignore[arg-type]
