"""Open a System on a SQLite file in tmp_path (no Qt), and write small modules for tests.

The engine's database layer is synchronous under its async API, so one System can be driven
by several `asyncio.run` calls in a row; `Opened.run` sets the System's environment in the
context of each call (as `open_env` does), so `get_model` and company-scoped values work.
"""

from __future__ import annotations

import asyncio
import contextvars
import io
import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from ffdesk import api, secrets
from ffdesk.engine import loader
from ffdesk.engine.env import SecretStore, env_ctx
from ffdesk.engine.model import Model
from ffdesk.engine.system import System
from tests.helpers import database
from tests.helpers.database import database_url

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[2]
SHIPPED_MODULES = REPO / "ffdesk" / "modules"
FIXTURE_MODULES = REPO / "tests" / "fixtures" / "modules"
BROKEN_MODULES = REPO / "tests" / "fixtures" / "broken_modules"
FORM_VIEW = "integration_form_view"
# A 1x1 SVG: integration modules need an image under one of their static_paths.
LOGO_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>\n'


def run(awaitable: Awaitable[T]) -> T:
    """Run a coroutine (or await a Query) to its end in a fresh event loop."""

    async def wait() -> T:
        return await awaitable

    return asyncio.run(wait())


@dataclass
class Opened:
    """A started System on the SQLite file `path`; `run(coro)` runs code in its environment."""

    system: System
    path: Path
    url: str

    def run(self, awaitable: Awaitable[T]) -> T:
        system = self.system

        async def activated() -> T:
            env_ctx.set(system.env)
            return await awaitable

        # A fresh context per call: what the coroutine sets does not leak into the test.
        return contextvars.Context().run(asyncio.run, activated())

    # Shortcuts for the calls most tests make.
    def install(self, identifier: str) -> list[str]:
        return self.run(self.system.install_module(identifier))

    def uninstall(self, identifier: str) -> list[str]:
        return self.run(self.system.uninstall_module(identifier))

    def integration(self, identifier: str, company_id: int | None = None) -> Model:
        return self.run(self.system.integration(identifier, company_id))

    def model(self, name: str) -> type[Model]:
        return self.system.registry[name]

    def module(self, identifier: str) -> Model:
        return self.run(self.model("Module").filter(identifier=identifier).get())

    def form(self, record: Model, view: str = FORM_VIEW) -> list[Any]:
        return self.run(_form(self.system, record, view))

    def write(self, record: Model, **values: Any) -> None:
        """Set fields as code in this System would (company-scoped ones for its company)."""

        async def set_all() -> None:
            for name, value in values.items():
                setattr(record, name, value)

        self.run(set_all())

    def save(self, record: Model, **values: Any) -> Model:
        """Set fields and save the record in this System's environment."""

        async def set_and_save() -> None:
            for name, value in values.items():
                setattr(record, name, value)
            await record.save()

        self.run(set_and_save())
        return record

    def read(self, record: Model, name: str) -> Any:
        """A field's value as code in this System sees it (company-scoped ones included)."""

        async def get() -> Any:
            return getattr(record, name)

        return self.run(get())

    def shown(self, record: Model, view: str = FORM_VIEW) -> dict[str, Any]:
        """What the form shows for each field (secrets as "set" or ""), by field name."""

        async def values() -> dict[str, Any]:
            return {f.name: f.display_value(record) for f in self.system.env.form(record, view)}

        return self.run(values())

    def state(self, record: Model) -> str:
        return self.run(record.get_state())

    def close(self) -> None:
        self.run(self.system.close())


async def _form(system: System, record: Model, view: str) -> list[Any]:
    return system.env.form(record, view)


def open_test_system(
    path: Path,
    modules_path: Sequence[str | PathLike[str]] = (),
    *,
    company: str | None = None,
    entry_points: bool = False,
    secrets_store: SecretStore | None = None,
) -> Opened:
    """Open (create) the database file `path` with the shipped modules plus `modules_path`.

    Company-scoped values go to the process keyring (the autouse in-memory one in tests) unless
    `secrets_store` is given. Entry points are off unless asked for, so that whatever else is
    installed in the virtualenv cannot change what a test discovers.
    """
    url = database.database_url(path)
    system = contextvars.Context().run(
        asyncio.run,
        api.open_system(
            url, modules_path, company, secrets=secrets_store, entry_points=entry_points
        ),
    )
    return Opened(system, path, url)


OpenSystem = Callable[..., Opened]


@pytest.fixture(name="open_system")
def open_system_fixture(tmp_path: Path) -> Iterator[OpenSystem]:
    """`open_system(*module_folders, name="ffdesk", company=None, entry_points=False)`.

    Import it into a test module as `open_system_fixture` (with `# noqa: F401`); tests ask for
    `open_system`.

    Opening the same `name` again reopens the same database file (a restart). Every System is
    closed at the end of the test.
    """
    opened: list[Opened] = []
    secrets.clear_cache()

    def open_(
        *modules_path: str | PathLike[str],
        name: str = "ffdesk",
        company: str | None = None,
        entry_points: bool = False,
        secrets_store: SecretStore | None = None,
    ) -> Opened:
        handle = open_test_system(
            tmp_path / f"{name}.sqlite",
            modules_path,
            company=company,
            entry_points=entry_points,
            secrets_store=secrets_store,
        )
        opened.append(handle)
        return handle

    yield open_
    for handle in opened:
        handle.close()
    secrets.clear_cache()


# -- inspecting the database file -----------------------------------------------------------


def table_columns(path: Path, table: str) -> list[str]:
    """Column names of `table` in the test database of `path` (empty when there is none)."""
    return database.table_columns(database.database_url(path), table)


def table_names(path: Path) -> set[str]:
    return database.table_names(database.database_url(path))


# -- modules written by tests -----------------------------------------------------------------


@dataclass
class ModuleSpec:
    """What `write_module` puts in a module folder."""

    identifier: str
    dependencies: Sequence[str] = ()
    name: str | None = None
    manifest: Mapping[str, Any] = field(default_factory=dict)
    #: Python source of models/__init__.py (dedented); None: no Python code at all.
    models: str | None = None
    #: relative path (e.g. "views/form.yaml", "data/jobs.yaml") -> YAML text or a data value.
    files: Mapping[str, Any] = field(default_factory=dict)


def write_module(root: Path, spec: ModuleSpec) -> Path:
    """Write a module folder `root/<identifier>`; returns the folder."""
    folder = root / spec.identifier
    folder.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "name": spec.name or spec.identifier.replace("_", " ").title(),
        "identifier": spec.identifier,
        "version": "1.0",
        "dependencies": list(spec.dependencies),
        **spec.manifest,
    }
    if "image" in manifest:
        logo = folder / "static" / "img" / Path(manifest["image"]).name
        logo.parent.mkdir(parents=True, exist_ok=True)
        logo.write_text(LOGO_SVG)
        manifest.setdefault("static_paths", ["img"])
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    if spec.models is not None:
        (folder / "__init__.py").write_text("from . import models  # noqa: F401\n")
        (folder / "models").mkdir(exist_ok=True)
        (folder / "models" / "__init__.py").write_text(textwrap.dedent(spec.models))
    for rel, content in spec.files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        path.write_text(textwrap.dedent(text) if isinstance(content, str) else text)
    return folder


def integration_manifest(category: str = "Online Payment", **extra: Any) -> dict[str, Any]:
    return {
        "category": "module_category_integrations",
        "integration_category": category,
        "description": f"Test integration ({category})",
        "icon": "CreditCard",
        "image": "/static/img/logo.svg",
        **extra,
    }


def field_view(identifier: str, fields: Iterable[tuple[str, Mapping[str, Any]]]) -> list[Any]:
    """A reference-page style extension of the Integration form: each field after the last."""
    arch = []
    previous = "enabled"
    for name, properties in fields:
        element: dict[str, Any] = {"type": "field", "name": name, "position": f"after:{previous}"}
        element["properties"] = {
            "visible": f"Q(module__identifier__eq='{identifier}')",
            **properties,
        }
        arch.append(element)
        previous = name
    return [
        {
            "data_type": "UiView",
            "identifier": FORM_VIEW,
            "__inherit__": FORM_VIEW,
            "arch": arch,
        }
    ]


def write_integration_module(
    root: Path,
    identifier: str,
    *,
    category: str = "Online Payment",
    dependencies: Sequence[str] = ("online_payment",),
    models: str | None = None,
    files: Mapping[str, Any] | None = None,
    manifest: Mapping[str, Any] | None = None,
) -> Path:
    """An integration module like the reference page's, with one company-scoped token.

    By default it extends Integration with `<identifier>_token` (company-scoped, Password,
    required in its form) and `<identifier>_region` (a plain column), both visible only on
    its own integration record.
    """
    token, region = f"{identifier}_token", f"{identifier}_region"
    cls = "".join(part.title() for part in identifier.split("_"))
    if models is None:
        models = f"""
            from ffdesk.engine.base import *


            class {cls}Integration(Model):
                __inherit__ = "Integration"

                {token} = Char(max_length=255, description="Token", company_scoped=True)
                {region} = Char(max_length=20, description="Region", default="eu")
            """
    if files is None:
        files = {
            "views/integration_form_view.yaml": field_view(
                identifier, [(token, {"widget": "Password", "required": True}), (region, {})]
            )
        }
    return write_module(
        root,
        ModuleSpec(
            identifier,
            dependencies,
            manifest={**integration_manifest(category), **(manifest or {})},
            models=models,
            files=files,
        ),
    )


def forget_module_code(identifier: str) -> None:
    """Drop the imported code of a module, as a new process would not have it."""
    loader._forget(identifier)
    loader._loaded.pop(identifier, None)


PROBE_MODELS = """
from ffdesk.engine.base import *
from ffdesk.sync import ConnectionResult, CredentialsRejected, ProviderUnavailable

CALLS = []  # (method, record id): what the chain ran, for the tests to look at


class ProbeServiceIntegration(Model):
    __inherit__ = "Integration"

    probe_service_token = Char(max_length=255, description="Token", company_scoped=True)
    probe_service_region = Char(max_length=20, description="Region", default="eu")

    async def _is_probe_service(self):
        await self.fetch_related("module")
        return self.module and self.module.identifier == "probe_service"

    async def enable_integration(self):
        if await self._is_probe_service():
            CALLS.append(("enable", self.id))
            if self.probe_service_region == "mars":
                raise UserError("Probe Service does not serve mars.")
        await super().enable_integration()

    async def disable_integration(self):
        if await self._is_probe_service():
            CALLS.append(("disable", self.id))
        await super().disable_integration()

    async def check_connection(self):
        if not await self._is_probe_service():
            return await super().check_connection()
        token = self.probe_service_token or ""
        if token.startswith("probe-raise-rejected"):
            raise CredentialsRejected("Probe refused the token.", provider="probe", status=401)
        if token.startswith("probe-raise-down"):
            raise ProviderUnavailable("Probe did not answer.", provider="probe", status=503)
        if token.startswith("probe-rejected"):
            return ConnectionResult("rejected", "The token was revoked.")
        if token.startswith("probe-offline"):
            return ConnectionResult("unreachable", "Probe is offline.")
        return ConnectionResult("ok", "Probe says hello.")
"""


def write_probe_module(root: Path, identifier: str = "probe_service") -> Path:
    """`probe_service`: a second Online Payment integration whose enable, disable and check
    chains are visible (`CALLS`) and whose connection outcome follows the start of its token:
    "probe-rejected", "probe-offline" (returned), "probe-raise-rejected", "probe-raise-down"
    (raised); anything else is ok. (Tokens are secrets: every log and error masks them, so
    they must not be words that messages use.)"""
    assert identifier == "probe_service", "the model code is written for probe_service"
    return write_integration_module(root, identifier, models=PROBE_MODELS)


def probe_calls() -> list[tuple[str, int]]:
    """The CALLS list of the installed probe_service code."""
    return sys.modules["ffdesk.addons.probe_service.models"].CALLS


# -- the command line ---------------------------------------------------------------------------


@dataclass
class CliResult:
    """Exit code and what a command printed."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """The one JSON document on standard output."""
        return json.loads(self.out)


CliRunner = Callable[..., CliResult]


@pytest.fixture(name="cli")
def cli_fixture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[CliRunner]:
    """`cli(*argv, stdin=None)`: `ffdesk.cli.main` in this process, output captured.

    The database defaults to `tmp_path/cli.sqlite` (FFDESK_DATABASE_URL), logs go to
    `tmp_path/logs` and secrets to the autouse in-memory keyring. Import it into a test module
    as `cli_fixture` (with `# noqa: F401`).
    """
    from ffdesk import cli, logs

    monkeypatch.setenv("FFDESK_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("FFDESK_DATABASE_URL", database.database_url(tmp_path / "cli.sqlite"))
    monkeypatch.delenv("FFDESK_MODULES_PATH", raising=False)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    secrets.clear_cache()

    def call(*argv: str, stdin: str | None = None) -> CliResult:
        capsys.readouterr()
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    yield call
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    logs._configured = None
    secrets.clear_cache()


FILE_KEYRING = '''
"""A keyring backend in a JSON file (FFDESK_TEST_KEYRING_FILE), for command-line tests."""

import json
import os

import keyring.backend
from keyring.errors import PasswordDeleteError


class FileKeyring(keyring.backend.KeyringBackend):
    priority = 1

    def _path(self):
        return os.environ["FFDESK_TEST_KEYRING_FILE"]

    def _load(self):
        try:
            with open(self._path(), encoding="utf-8") as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def _dump(self, data):
        with open(self._path(), "w", encoding="utf-8") as f:
            json.dump(data, f)

    def get_password(self, service, username):
        return self._load().get(service + "|" + username)

    def set_password(self, service, username, password):
        data = self._load()
        data[service + "|" + username] = password
        self._dump(data)

    def delete_password(self, service, username):
        data = self._load()
        if data.pop(service + "|" + username, None) is None:
            raise PasswordDeleteError(username)
        self._dump(data)
'''


@dataclass
class Subprocess:
    """Runs the installed `ffdesk` console script with a file-backed keyring and tmp paths."""

    database: Path
    logs: Path
    keyring_file: Path
    env: dict[str, str]

    @property
    def url(self) -> str:
        return database.database_url(self.database)

    def keyring(self) -> dict[str, str]:
        """What the file keyring holds: "service|user name" -> value."""
        if not self.keyring_file.exists():
            return {}
        return json.loads(self.keyring_file.read_text())

    def __call__(
        self, *argv: str, stdin: str | None = None, module: bool = False, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """`ffdesk ARGV` (or `python -m ffdesk ARGV` with module=True) with the database."""
        command = [sys.executable, "-m", "ffdesk"] if module else [str(FFDESK_SCRIPT)]
        return subprocess.run(
            [*command, *argv],
            input=stdin,
            capture_output=True,
            text=True,
            env={**self.env, **env},
            cwd=self.database.parent,
            timeout=60,
        )


FFDESK_SCRIPT = Path(sys.executable).parent / "ffdesk"


@pytest.fixture(name="ffdesk_process")
def ffdesk_process_fixture(tmp_path: Path) -> Subprocess:
    """The console script in a child process: database, logs and keyring all in tmp_path.

    Import it into a test module as `ffdesk_process_fixture` (with `# noqa: F401`).
    """
    backend = tmp_path / "keyring_backend"
    backend.mkdir()
    (backend / "ffdesk_test_keyring.py").write_text(FILE_KEYRING)
    logs_dir = tmp_path / "process-logs"
    database = tmp_path / "process.sqlite"
    keyring_file = tmp_path / "keyring.json"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FFDESK_", "PYTHON_KEYRING", "PYTEST_"))
    }
    env.update(
        {
            "PYTHONPATH": str(backend),
            "PYTHON_KEYRING_BACKEND": "ffdesk_test_keyring.FileKeyring",
            "FFDESK_TEST_KEYRING_FILE": str(keyring_file),
            "FFDESK_LOG_DIR": str(logs_dir),
            "FFDESK_DATABASE_URL": database_url(database),
            "QT_QPA_PLATFORM": "offscreen",
        }
    )
    return Subprocess(database, logs_dir, keyring_file, env)
