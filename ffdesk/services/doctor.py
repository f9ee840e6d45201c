"""`ffdesk doctor`: what goes wrong on a new machine, checked one by one, each with its fix."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

Status = Literal["ok", "warning", "problem"]

# A clock before this cannot be right: ffdesk did not exist yet (TLS and tokens would fail).
EARLIEST_PLAUSIBLE = datetime(2025, 1, 1, tzinfo=UTC)
# How far the clock may lag behind the latest run this database recorded before we say so.
CLOCK_SLACK_SECONDS = 300
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, how it went, and what to do about it."""

    name: str
    status: Status
    summary: str
    fix: str | None = None


@dataclass
class DoctorReport:
    """Every check, in the order they ran."""

    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no check found a problem (warnings are allowed)."""
        return all(c.status != "problem" for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [asdict(c) for c in self.checks]}


def render_text(report: DoctorReport) -> str:
    """The report as lines for a terminal: status, name, summary, then the fix indented."""
    marks = {"ok": "ok     ", "warning": "warning", "problem": "PROBLEM"}
    lines = []
    for check in report.checks:
        lines.append(f"{marks[check.status]}  {check.name}: {check.summary}")
        if check.fix:
            lines.append(f"           fix: {check.fix}")
    verdict = "Everything looks fine." if report.ok else "Some checks found a problem (see fix)."
    lines.append(verdict)
    return "\n".join(lines)


def _safe_url(url: str) -> str:
    """The database URL without its password."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "the configured database"


def database_failure(url: str | None, exc: BaseException) -> str:
    """A sentence for a database that cannot be opened: which one, why, what to check."""
    from ffdesk.paths import default_database_url
    from ffdesk.redaction import redact

    target = _safe_url(url or default_database_url())
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return redact(
        f"The database {target} could not be opened ({reason}). Check that the server is "
        "running and reachable, or that the folder of the SQLite file exists and is writable "
        "(--database or FFDESK_DATABASE_URL chooses another)."
    )


# -- the checks ---------------------------------------------------------------------------


def check_keyring() -> Check:
    """A keyring backend is found and answers (unlocked); names it either way."""
    from ffdesk.secrets import KeyringSecretStore

    store = KeyringSecretStore("doctor")
    backend = store.backend_name()
    reason = store.unavailable_reason()
    if reason is None:
        return Check("keyring", "ok", f"{backend} answers; secrets can be saved.")
    return Check("keyring", "problem", f"{backend}: {reason.split('. ')[0]}.", reason)


def check_data_folder(folder: Path | None = None) -> Check:
    """The user data folder (database, settings) exists and a file can be written in it."""
    from ffdesk.paths import data_dir

    try:
        target = folder if folder is not None else data_dir()
        target.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target, prefix=".ffdesk-doctor-"):
            pass
    except OSError as exc:
        where = folder if folder is not None else "the data folder"
        return Check(
            "data folder",
            "problem",
            f"{where} is not writable ({exc.strerror or exc}).",
            "Make the folder writable for your user, or set XDG_DATA_HOME (or "
            "FFDESK_DATABASE_URL) to a folder that is.",
        )
    return Check("data folder", "ok", f"{target} is writable.")


async def check_database(url: str | None) -> tuple[Check, Any]:
    """The database opens and its schema is current; returns the open System (or None)."""
    import sqlalchemy as sa

    from ffdesk.api import open_system
    from ffdesk.engine.db_errors import DatabaseProblem
    from ffdesk.paths import default_database_url

    target = _safe_url(url or default_database_url())
    try:
        system = await open_system(url)
    except DatabaseProblem as exc:  # already one sentence that says what to do
        fix = f"{exc} (--database or FFDESK_DATABASE_URL chooses another.)"
        return Check("database", "problem", f"{target} could not be opened.", fix), None
    except sa.exc.SQLAlchemyError as exc:
        fix = database_failure(url, exc)
        return Check("database", "problem", f"{target} could not be opened.", fix), None
    return check_open_database(system), system


def check_open_database(system: Any) -> Check:
    """The schema of an open System's database is current."""
    from ffdesk.engine.schema import schema_is_current

    target = _safe_url(system.db.url)
    if not schema_is_current(system.registry):
        return Check(
            "database",
            "warning",
            f"{target} opened, but its tables are older than the installed modules.",
            "Run any ffdesk command (it brings the schema up to date) and check the log.",
        )
    dialect = system.db.dialect_name
    return Check("database", "ok", f"{target} ({dialect}) opened; schema is current.")


def check_network(environ: dict[str, str] | None = None) -> Check:
    """Which proxy and CA bundle settings provider requests will use."""
    from ffdesk.sync.network import ca_bundle_problem, ca_bundle_setting

    env = os.environ if environ is None else environ
    seen = []
    for name in PROXY_VARIABLES:
        value = env.get(name) or env.get(name.lower())
        if value:
            seen.append(f"{name}={_hide_userinfo(value)}")
    setting = ca_bundle_setting(env)
    if setting is not None:
        seen.append(f"{setting[0]}={setting[1]}")
        problem = ca_bundle_problem(setting)
        if problem is not None:
            return Check("network", "problem", problem, f"Point {setting[0]} at a PEM file.")
    if not seen:
        return Check("network", "ok", "no proxy or CA bundle set; providers are reached directly.")
    return Check("network", "ok", "provider requests use " + ", ".join(seen) + ".")


def _hide_userinfo(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest:
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


async def check_modules(system: Any) -> Check:
    """Modules with problems (bad manifests, missing dependencies, import errors)."""
    modules = await system.list_modules()
    problems = [f"{m.identifier}: {m.problem}" for m in modules if m.problem]
    if not problems:
        return Check("modules", "ok", f"{len(modules)} modules found, none broken.")
    return Check(
        "modules",
        "warning",
        f"{len(problems)} of {len(modules)} modules cannot be used: " + "; ".join(problems),
        "Fix or remove the module folders named (ffdesk modules list shows each reason).",
    )


async def check_clock(system: Any, now: Callable[[], float] = time.time) -> Check:
    """The clock is not before ffdesk existed, nor behind the latest run this database saw."""
    current = datetime.fromtimestamp(now(), UTC)
    fix = "Set the system clock (enable NTP time synchronisation)."
    if current < EARLIEST_PLAUSIBLE:
        return Check("clock", "problem", f"the clock says {current:%Y-%m-%d}.", fix)
    if system is not None:
        latest = await system.registry["SyncRun"].filter().order_by("-started").first()
        started = getattr(latest, "started", None)
        if started is not None:
            local_now = datetime.fromtimestamp(now())
            if (started - local_now).total_seconds() > CLOCK_SLACK_SECONDS:
                return Check(
                    "clock",
                    "problem",
                    f"the clock says {local_now:%Y-%m-%d %H:%M}, before a sync run that "
                    f"started at {started:%Y-%m-%d %H:%M}.",
                    fix,
                )
    return Check("clock", "ok", f"{current:%Y-%m-%d %H:%M} UTC.")


async def run_checks(*, database_url: str | None = None, system: Any = None) -> DoctorReport:
    """Run every check; a failing one never stops the others.

    The window passes its open `system`; the command line lets the doctor open the database.
    """
    report = DoctorReport()
    report.checks.append(check_keyring())
    report.checks.append(check_data_folder())
    owned = system is None
    if owned:
        database, system = await check_database(database_url)
    else:
        database = check_open_database(system)
    report.checks.append(database)
    report.checks.append(check_network())
    try:
        if system is not None:
            report.checks.append(await check_modules(system))
        report.checks.append(await check_clock(system))
    finally:
        if owned and system is not None:
            await system.close()
    return report
