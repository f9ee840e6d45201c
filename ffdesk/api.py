"""`open_env`: the Python entry point for scripts and tests (SPEC 8.1)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from os import PathLike
from pathlib import Path

from ffdesk.engine.db import Database
from ffdesk.engine.env import SecretStore, env_ctx
from ffdesk.engine.system import System
from ffdesk.paths import SHIPPED_MODULES, default_database_url
from ffdesk.secrets import KeyringSecretStore


async def open_system(
    database_url: str | None = None,
    modules_path: Sequence[str | PathLike[str]] = (),
    company: str | None = None,
    *,
    secrets: SecretStore | None = None,
    entry_points: bool = True,
) -> System:
    """Open the database, discover and load modules, select the company; caller closes it."""
    from ffdesk.engine.discovery import module_search_paths

    db = Database(database_url or default_database_url())
    store = secrets if secrets is not None else KeyringSecretStore(db.id)
    paths = module_search_paths(SHIPPED_MODULES, [Path(p) for p in modules_path])
    system = System(db, store, paths, entry_point_group="ffdesk.modules" if entry_points else None)
    await system.start(company)
    return system


@asynccontextmanager
async def open_env(
    database_url: str | None = None,
    modules_path: Sequence[str | PathLike[str]] = (),
    company: str | None = None,
    *,
    secrets: SecretStore | None = None,
) -> AsyncIterator[System]:
    """`async with open_env(...) as env:` — `env_ctx` is set inside the block."""
    token = env_ctx.set(env_ctx.get(None))  # type: ignore[arg-type]
    system = await open_system(database_url, modules_path, company, secrets=secrets)
    try:
        yield system
    finally:
        await system.close()
        env_ctx.reset(token)
