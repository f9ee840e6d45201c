"""`slow_sync`: an integration module whose sync the test (or the bench) controls: it records
which company's run started and finished, how many ran at once, and holds the companies in
`slow_companies` until `release` is set. Used by the scheduler tests and bench_scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import ffdesk
from tests.helpers.env import ModuleSpec, integration_manifest, write_module

IDENTIFIER = "slow_sync"
HOOK = "ffdesk_test_slow_sync_control"  # where the module's code finds the control

MODELS = """
    import sys

    from ffdesk.engine.base import *
    from ffdesk.sync import SyncCapability, sync_enabled


    class CLASSIntegration(Model):
        __inherit__ = "Integration"

        async def _is_IDENT(self):
            await self.fetch_related("module")
            return bool(self.module and self.module.identifier == "IDENT")

        async def sync_capability(self):
            if await self._is_IDENT():
                return SyncCapability(True, "")
            return await super().sync_capability()

        async def sync_IDENT(cls):
            return await sync_enabled("IDENT")

        async def sync_integration(self, run):
            if not await self._is_IDENT():
                return await super().sync_integration(run)
            await sys.modules["ffdesk_test_slow_sync_control"].sync(self, run)
"""


def _cron(identifier: str) -> list[dict[str, Any]]:
    return [
        {
            "data_type": "CronJob",
            "identifier": f"{identifier}_sync",
            "name": f"Sync {identifier}",
            "model": "Integration",
            "method": f"sync_{identifier}",
            "frequency": 1,
            "frequency_unit": "Hours",
            "active": True,
        }
    ]


class SlowControl:
    """What the module's sync reports to, and what holds it."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.finished: list[str] = []
        self.started_at: dict[str, float] = {}
        self.slow_companies: set[str] = set()
        self.failing_companies: set[str] = set()  # their runs fail with the provider's words
        self.seconds = 0.0  # every run takes this long (the bench's provider latency)
        self.release = asyncio.Event()
        self.running = 0
        self.max_at_once = 0
        self.changed = asyncio.Event()

    async def sync(self, integration: Any, run: Any) -> None:
        await integration.fetch_related("company")
        name = integration.company.name
        self.started.append(name)
        self.started_at[name] = time.monotonic()
        self.running += 1
        self.max_at_once = max(self.max_at_once, self.running)
        self.changed.set()
        try:
            if self.seconds:
                await asyncio.sleep(self.seconds)
            if name in self.slow_companies:
                await self.release.wait()
            if name in self.failing_companies:
                from ffdesk.engine.errors import UserError

                raise UserError("Slow Sync refused the request: account suspended.")
            run.count("skipped")
        finally:
            self.running -= 1
        self.finished.append(name)
        self.changed.set()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            assert left > 0, f"timed out: started {self.started}, finished {self.finished}"
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)


def write_slow_module(root: Path, identifier: str = IDENTIFIER) -> Path:
    """The module (or a copy under another identifier: the bench has eight providers)."""
    cls = "".join(part.title() for part in identifier.split("_"))
    return write_module(
        root,
        ModuleSpec(
            identifier,
            ("online_payment",),
            manifest={**integration_manifest(), "cron_sync_method": f"sync_{identifier}"},
            models=MODELS.replace("CLASS", cls).replace("IDENT", identifier),
            files={"data/cron.yaml": _cron(identifier)},
        ),
    )


@contextlib.asynccontextmanager
async def open_slow_env(
    folder: Path, companies: int, database_url: str | None = None
) -> AsyncIterator[tuple[Any, SlowControl]]:
    """A database with `slow_sync` installed and enabled in `companies` companies named
    "Company 1", "Company 2", ...; the module's runs report to the returned control."""
    control = SlowControl()
    sys.modules[HOOK] = control  # type: ignore[assignment]
    modules = folder / "modules"
    write_slow_module(modules)
    url = database_url or f"sqlite:///{folder / 'slow.db'}"
    try:
        async with ffdesk.open_env(url, [modules]) as system:
            await system.install_module(IDENTIFIER)
            first = (await system.companies())[0]
            await system.rename_company(first.id, "Company 1")
            for i in range(2, companies + 1):
                await system.add_company(f"Company {i}")
            await system.sync_integration_records()
            Integration = system.get_model("Integration")
            for record in await Integration.filter(module__identifier=IDENTIFIER).all():
                record.enabled = True
                await record.save()
            yield system, control
    finally:
        sys.modules.pop(HOOK, None)
