"""The engine's environment for window code that Qt calls outside any asyncio task."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ffdesk.engine.env import env_ctx

if TYPE_CHECKING:
    from ffdesk.engine.system import System


@contextmanager
def system_env(system: System) -> Iterator[None]:
    """Make `system.env` current for a synchronous slot (forms read secrets through it).

    Qt runs slots in the thread's base context, which never saw the environment set inside
    the start-up coroutine; async slots set it in their own task instead.
    """
    token = env_ctx.set(system.env)
    try:
        yield
    finally:
        env_ctx.reset(token)
