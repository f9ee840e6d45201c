"""Shared plumbing of the payment provider tests: a fresh system pointed at a fake server.

    def test_x(tmp_path, monkeypatch):
        async def scenario():
            async with provider_env(tmp_path, "payment_razorpay", monkeypatch, fake.url) as env:
                await env.set(razorpay_key_id="rzp_test_...")
                outcome = await env.sync()
        asyncio.run(scenario())

Nothing here sleeps: retries back off for milliseconds (`fast_retries`) and the fakes answer
`Retry-After: 0`.
"""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import ffdesk.sync.http as sync_http
from ffdesk.api import open_system
from ffdesk.engine.model import Model
from ffdesk.engine.system import System
from ffdesk.services import integrations as actions
from ffdesk.sync import RetryPolicy, RunOutcome, run_sync
from ffdesk.sync.results import ConnectionResult
from tests.helpers.database import database_url

# Fields of the base integration form every provider shares (SPEC 10.2).
BASE_FIELDS = (
    "name",
    "integration_category",
    "description",
    "enabled",
    "last_synced_date",
    "max_request_rate",
    "rate_limit_patience",
    "max_run_minutes",
)


def env_prefix(identifier: str) -> str:
    """`payment_razorpay` -> `FFDESK_PAYMENT_RAZORPAY`."""
    return "FFDESK_" + re.sub(r"[^0-9A-Za-z]+", "_", identifier).upper()


def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ProviderClient's default retry policy back off for milliseconds, not seconds."""

    def quick() -> RetryPolicy:
        return RetryPolicy(backoff_base=0.001, backoff_max=0.005, retry_after_max=0.01)

    monkeypatch.setattr(sync_http, "RetryPolicy", quick)


def point_at(monkeypatch: pytest.MonkeyPatch, identifier: str, url: str) -> None:
    """Send the module's calls to `url` and lift its client-side rate limit."""
    prefix = env_prefix(identifier)
    monkeypatch.setenv(f"{prefix}_API_BASE", url)
    monkeypatch.setenv(f"{prefix}_RATE_LIMIT", "0")


def closed_port_url() -> str:
    """A local URL nothing listens on (connection refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass
class ProviderEnv:
    """An opened system with one provider module installed, and its integration record."""

    system: System
    identifier: str
    installed: list[str]
    record: Model

    def model(self, name: str) -> type[Model]:
        return self.system.get_model(name)

    async def reload(self) -> Model:
        self.record = await self.system.integration(self.identifier)
        return self.record

    async def set(self, **values: Any) -> Model:
        for name, value in values.items():
            setattr(self.record, name, value)
        await self.record.save()
        return self.record

    def form(self) -> list[Any]:
        return self.system.env.form(self.record)

    def visible_fields(self) -> list[str]:
        return [f.name for f in self.form() if f.visible]

    async def enable(self, *, anyway: bool = False) -> str:
        return await actions.enable(self.record, anyway=anyway)

    async def test(self) -> ConnectionResult:
        return await actions.test_connection(self.record)

    async def sync(self) -> RunOutcome:
        return await run_sync(self.record)

    async def add_contacts(self, count: int, **extra: Any) -> list[Model]:
        Contact = self.model("Contact")
        cid = self.system.env.cid
        return [
            await Contact.create(
                name=f"Contact {i:03d}",
                email=f"contact{i:03d}@example.org",
                company=cid,
                **extra,
            )
            for i in range(count)
        ]

    async def mappings(self, model: str) -> dict[str, str]:
        """local_id -> remote_id of this integration's mapper rows for `model`."""
        Mapper = self.model("IntegrationMapper")
        rows = await Mapper.filter(integration=self.record.id, model=model).all()
        return {m.local_id: m.remote_id for m in rows}

    async def count(self, model: str, **lookups: Any) -> int:
        return await self.model(model).filter(**lookups).count()


@asynccontextmanager
async def provider_env(
    tmp_path: Path,
    identifier: str,
    monkeypatch: pytest.MonkeyPatch,
    url: str | None = None,
    *,
    install: bool = True,
) -> AsyncIterator[ProviderEnv]:
    """Open a system on a fresh SQLite file with `identifier` installed, calls going to `url`."""
    fast_retries(monkeypatch)
    if url is not None:
        point_at(monkeypatch, identifier, url)
    system = await open_system(database_url(tmp_path / "x.db"))
    try:
        installed = await system.install_module(identifier) if install else []
        record = await system.integration(identifier)
        yield ProviderEnv(system, identifier, installed, record)
    finally:
        await system.close()
