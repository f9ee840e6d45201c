"""Shared set-up for the Stripe sync tests: a database with Stripe installed, contacts, the CLI.

Also a file-backed keyring backend (`FileKeyring`) so that a secret written by one `ffdesk`
process (`integrations set payment_stripe secret_key=-`) is readable by the next one:
`PYTHON_KEYRING_BACKEND=tests.helpers.stripe_env.FileKeyring` plus `FFDESK_TEST_KEYRING_FILE`.
Heavy imports (ffdesk, the fake) happen inside functions so that keyring can load this module
cheaply in a subprocess.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import keyring.backend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError

from tests.helpers.database import database_url

REPO = Path(__file__).resolve().parents[2]
KEY = "sk_test_51FfdeskStripeEnv00000000key"
KEYRING_FILE_VAR = "FFDESK_TEST_KEYRING_FILE"


class FileKeyring(keyring.backend.KeyringBackend):
    """Passwords in a JSON file named by FFDESK_TEST_KEYRING_FILE (tests only: plain text).

    keyring instantiates every backend class it knows of while detecting the default one; this
    one declares itself not viable unless the variable is set, so it is never picked by accident.
    """

    @properties.classproperty
    def priority(cls) -> float:
        if not os.environ.get(KEYRING_FILE_VAR):
            raise RuntimeError(f"{KEYRING_FILE_VAR} is not set")
        return 0.5

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        super().__init__()
        self._path = Path(path) if path else None

    @property
    def path(self) -> Path:
        return self._path or Path(os.environ[KEYRING_FILE_VAR])

    def _load(self) -> dict[str, str]:
        try:
            return json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return {}

    def _store(self, data: dict[str, str]) -> None:
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), "utf-8")
        os.replace(tmp, self.path)

    @staticmethod
    def _key(service: str, username: str) -> str:
        return f"{service}\x1f{username}"

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(self._key(service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[self._key(service, username)] = password
        self._store(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(self._key(service, username), None) is None:
            raise PasswordDeleteError(username)
        self._store(data)


# -- environment -------------------------------------------------------------------------------


def stripe_vars(fake_url: str, *, rate_limit: str = "0") -> dict[str, str]:
    """The variables that point ffdesk's Stripe module at the fake."""
    return {
        "FFDESK_PAYMENT_STRIPE_API_BASE": fake_url,
        "FFDESK_PAYMENT_STRIPE_RATE_LIMIT": rate_limit,
    }


def cli_env(tmp_path: Path, fake_url: str) -> dict[str, str]:
    """Environment of an `ffdesk` subprocess: database, logs, file keyring, fake Stripe."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FFDESK_", "PYTHON_KEYRING", "PYTEST_", "COV_"))
    }
    env.update(stripe_vars(fake_url))
    env.update(
        {
            "FFDESK_DATABASE_URL": db_url(tmp_path),
            "FFDESK_LOG_DIR": str(tmp_path / "logs"),
            "PYTHON_KEYRING_BACKEND": f"{__name__}.FileKeyring",
            KEYRING_FILE_VAR: str(tmp_path / "keyring.json"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def db_url(tmp_path: Path) -> str:
    return database_url(tmp_path / "ffdesk.db")


def run_cli(
    args: list[str], env: dict[str, str], *, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `python -m ffdesk ARGS` to completion."""
    return subprocess.run(
        [sys.executable, "-m", "ffdesk", *args],
        env=env,
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_cli(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """Start `python -m ffdesk ARGS` in the background (the caller waits or kills it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "ffdesk", *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def fast_retries(monkeypatch: Any, **overrides: Any) -> None:
    """Make the HTTP layer's back-off delays tiny (same retry logic, no seconds of waiting)."""
    from ffdesk.sync import http

    values = {"backoff_base": 0.001, "backoff_max": 0.005, **overrides}
    monkeypatch.setattr(http, "RetryPolicy", functools.partial(http.RetryPolicy, **values))


@contextlib.contextmanager
def isolated_logging() -> Iterator[None]:
    """Undo what `ffdesk.logs.setup_logging` does to the root logger (for in-process CLI runs)."""
    import ffdesk.logs

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    httpx_level = logging.getLogger("httpx").level
    previous = ffdesk.logs._configured
    ffdesk.logs._configured = None
    try:
        yield
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)
        logging.getLogger("httpx").setLevel(httpx_level)
        ffdesk.logs._configured = previous


# -- in-process database -----------------------------------------------------------------------


def contact_values(n: int, start: int = 0) -> list[dict[str, str]]:
    return [
        {
            "name": f"Contact {i}",
            "email": f"contact{i}@example.org",
            "phone": f"+44 20 7946 {i:04d}",
        }
        for i in range(start, start + n)
    ]


async def add_contacts(system: Any, n: int, start: int = 0) -> list[Any]:
    """Create `n` contacts of the active company in one transaction."""
    Contact = system.get_model("Contact")
    async with system.db.transaction():
        return [
            await Contact.create(company=system.env.cid, **values)
            for values in contact_values(n, start)
        ]


@contextlib.asynccontextmanager
async def open_stripe(
    database_url: str,
    *,
    key: str = KEY,
    contacts: int = 0,
    enable: bool = True,
    sandbox: bool = True,
) -> AsyncIterator[tuple[Any, Any]]:
    """`(system, integration)`: Stripe installed, its secret key set, enabled, `contacts` added."""
    import ffdesk
    from ffdesk.services import integrations as actions

    async with ffdesk.open_env(database_url) as system:
        if not system.is_installed("payment_stripe"):
            await system.install_module("payment_stripe")
        record = await system.integration("payment_stripe")
        record.secret_key = key
        record.sandbox_mode = sandbox
        await record.save()
        if enable:
            await actions.enable(record)
        if contacts:
            await add_contacts(system, contacts)
        yield system, record


async def mappings(system: Any, record: Any, model: str = "Contact") -> list[Any]:
    Mapper = system.get_model("IntegrationMapper")
    return await Mapper.filter(integration=record.id, model=model).all()


async def runs(system: Any, record: Any) -> list[Any]:
    """Sync runs of `record`, oldest first."""
    SyncRun = system.get_model("SyncRun")
    return await SyncRun.filter(integration=record.id).order_by("id").all()


def remote_emails(fake: Any) -> list[str]:
    with fake.lock:
        return [c["email"] for c in fake.customers.values()]
