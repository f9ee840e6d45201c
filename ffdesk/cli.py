"""The `ffdesk` command line (SPEC 8): the same actions as the window, scriptable.

Exit codes (docs/cli.md): 0 done, 1 refused, 2 bad usage, 3 could not reach (a provider or the
database). With --json every command prints one JSON object on standard output, and an error
prints {"error": {"message": ..., "field": ...}} on standard error.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import sys
import traceback
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ffdesk import __version__
from ffdesk.engine.errors import MissingError, UserError
from ffdesk.engine.system import System
from ffdesk.redaction import redact, unexpected_error_text
from ffdesk.sync.results import ConnectionUnreachable

log = logging.getLogger("ffdesk.cli")

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad usage of the command line (exit code 2); `field` names the argument when known."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Unreachable(UserError):
    """A provider or the database could not be reached (exit code 3)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        raise UsageError(f"{self.prog}: {message}")


def _global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    default: Any = None if top else argparse.SUPPRESS
    parser.add_argument("--company", default=default, help="company name (default: the first)")
    parser.add_argument(
        "--database",
        default=default,
        help="SQLAlchemy URL (default: FFDESK_DATABASE_URL or a file)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="print one JSON document on standard output",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ffdesk", description="Set up and sync Fullfinity integrations.")
    parser.add_argument("--version", "-V", action="version", version=f"ffdesk {__version__}")
    _global_options(parser, top=True)
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    def sub(group: Any, name: str, help_text: str) -> argparse.ArgumentParser:
        p = group.add_parser(name, help=help_text)
        _global_options(p, top=False)
        return p

    modules = sub(commands, "modules", "list, install and uninstall modules")
    mod = modules.add_subparsers(dest="action", required=True, parser_class=_Parser)
    sub(mod, "list", "every discovered module")
    sub(mod, "install", "install a module and its dependencies").add_argument("id")
    sub(mod, "uninstall", "uninstall a module and what depends on it").add_argument("id")

    companies = sub(commands, "companies", "list, add and rename companies")
    comp = companies.add_subparsers(dest="action", required=True, parser_class=_Parser)
    sub(comp, "list", "every company")
    sub(comp, "add", "add a company").add_argument("name")
    rename = sub(comp, "rename", "rename a company")
    rename.add_argument("old")
    rename.add_argument("new")

    integrations = sub(commands, "integrations", "configure integrations")
    integ = integrations.add_subparsers(dest="action", required=True, parser_class=_Parser)
    sub(integ, "list", "integrations of the company")
    sub(integ, "form", "the form as the user sees it").add_argument("id")
    setter = sub(integ, "set", "write field values (field=- reads standard input)")
    setter.add_argument("id")
    setter.add_argument("assignments", nargs="+", metavar="field=value")
    enable = sub(integ, "enable", "enable an integration")
    enable.add_argument("id")
    enable.add_argument(
        "--anyway", action="store_true", help="enable even if the provider cannot be reached"
    )
    sub(integ, "disable", "disable an integration").add_argument("id")
    sub(integ, "test", "test the connection: ok / rejected / unreachable").add_argument("id")

    sync = sub(commands, "sync", "run syncs now")
    sync.add_argument("ids", nargs="*", metavar="ID")
    sync.add_argument(
        "--dry-run",
        action="store_true",
        help="list what a sync would send and ask for; send no write, save nothing",
    )
    sync.add_argument(
        "--record",
        metavar="MODEL:LOCAL_ID",
        help="push or pull just this record again (with one ID), e.g. Contact:12",
    )

    runs = sub(commands, "runs", "recent sync runs")
    runs.add_argument("id", nargs="?")
    runs.add_argument("--limit", type=int, default=20)
    runs.add_argument(
        "--run",
        type=int,
        metavar="RUN_ID",
        help="one run in detail: counts by direction, failed records, log lines",
    )

    audit = sub(commands, "audit", "who changed the configuration, when and what")
    audit.add_argument("id", nargs="?", help="only this integration (of the company)")
    audit.add_argument("--limit", type=int, default=50)

    config = sub(commands, "config", "export or import the configuration (no secrets)")
    conf = config.add_subparsers(dest="action", required=True, parser_class=_Parser)
    sub(conf, "export", "write the configuration to a YAML file").add_argument("file")
    importer = sub(conf, "import", "show (or with --apply make) the changes of a YAML file")
    importer.add_argument("file")
    importer.add_argument("secrets", nargs="*", metavar="field=value", help="field=- reads stdin")
    importer.add_argument("--apply", action="store_true", help="write the changes")

    database = sub(commands, "db", "check or back up ffdesk's database")
    dbs = database.add_subparsers(dest="action", required=True, parser_class=_Parser)
    sub(dbs, "check", "a full integrity check of the database")
    sub(dbs, "backup", "copy the database file while it is in use").add_argument("file")

    contacts = sub(commands, "contacts", "local contacts")
    cont = contacts.add_subparsers(dest="action", required=True, parser_class=_Parser)
    sub(cont, "import", "import a CSV file (name, email, phone)").add_argument("file")
    sub(cont, "list", "contacts of the company")

    from ffdesk.cli_records import add_commands as add_records_commands
    from ffdesk.cli_scheduler import add_commands as add_scheduler_commands

    add_records_commands(commands, sub)

    add_scheduler_commands(commands, sub)
    sub(commands, "doctor", "check keyring, database, data folder, network, modules and clock")
    completion = sub(commands, "completion", "print the shell completion script")
    completion.add_argument("shell", choices=["bash", "zsh", "fish"])
    entry = sub(commands, "install-desktop-entry", "add ffdesk to this user's application menu")
    entry.add_argument("--remove", action="store_true", help="take it out of the menu again")
    return parser


# -- output ---------------------------------------------------------------------------------
def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return (
            value.isoformat(sep=" ", timespec="seconds")
            if isinstance(value, datetime)
            else value.isoformat()
        )
    if isinstance(value, Decimal):
        return format(value, "f")  # an exact amount stays exact: "19.99", never 19.989999...
    return value


class Output:
    """Collects what a command prints: a table for people or one JSON document."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def emit(self, data: Any, text: str) -> None:
        if self.as_json:
            print(json.dumps(data, default=_jsonable, ensure_ascii=False, indent=2))
        else:
            print(text)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    if not rows:
        return "(none)"
    cells = [
        [("" if r.get(c) is None else str(_jsonable(r.get(c)))) for c in columns] for r in rows
    ]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    for row in cells:
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


# -- commands -------------------------------------------------------------------------------
async def _modules(system: System, args: argparse.Namespace, out: Output) -> int:
    if args.action == "list":
        rows = [
            {
                "identifier": m.identifier,
                "name": m.name,
                "state": m.state,
                "problem": m.problem,
            }
            for m in await system.list_modules()
        ]
        out.emit({"modules": rows}, table(rows, ["identifier", "name", "state", "problem"]))
        return 0
    if args.action == "install":
        done = await system.install_module(args.id)
        message = f"Installed {', '.join(done)}." if done else f"{args.id} is already installed."
        out.emit({"installed": done}, message)
        return 0
    done = await system.uninstall_module(args.id)
    out.emit({"uninstalled": done}, f"Uninstalled {', '.join(done)}.")
    return 0


async def _companies(system: System, args: argparse.Namespace, out: Output) -> int:
    if args.action == "list":
        rows = [
            {"id": c.id, "name": c.name, "active": c.id == system.env.cid}
            for c in await system.companies()
        ]
        out.emit({"companies": rows}, table(rows, ["id", "name", "active"]))
    elif args.action == "add":
        company = await system.add_company(args.name)
        out.emit({"id": company.id, "name": company.name}, f"Added company {company.name!r}.")
    else:
        company = await system.rename_company(args.old, args.new)
        out.emit({"id": company.id, "name": company.name}, f"Renamed to {company.name!r}.")
    return 0


async def _integration_rows(system: System) -> list[dict[str, Any]]:
    rows = []
    for found in system.integration_modules():
        record = await system.integration(found.identifier)
        rows.append(
            {
                "id": found.identifier,
                "name": record.name,
                "category": record.integration_category
                or (found.manifest.integration_category if found.manifest else None),
                "state": await record.get_state(),
                "last_synced": record.last_synced_date,
                "problem": system.module_problem(found.identifier),
                "schedule": await _schedule_text(record),
            }
        )
    return rows


async def _schedule_text(record: Any) -> str | None:
    from ffdesk.services.integrations import schedule_status

    pause = await schedule_status(record)
    return pause.message if pause is not None else None


CLEAR_SECRET_WARNING = (
    "Warning: secret values on the command line end up in shell history; use {field}=-"
)


def _read_assignments(
    pairs: Sequence[str], secret_labels: dict[str, str], prompt_prefix: str
) -> dict[str, str]:
    """field=value pairs; `field=-` asks on a terminal (no echo for secrets), else reads stdin.

    `secret_labels` maps the form's secret fields to their labels; a secret given in clear is
    accepted with one warning, since it is already in the shell history by now.
    """
    values: dict[str, str] = {}
    stdin_used = False
    warned = False
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(f"ffdesk integrations set: expected field=value, got {pair!r}")
        name, value = pair.split("=", 1)
        name = name.strip()
        if value == "-":
            if stdin_used:
                raise UsageError(
                    "ffdesk integrations set: only one field can read standard input", name
                )
            stdin_used = True
            value = _ask(name, secret_labels.get(name), prompt_prefix)
        elif name in secret_labels and value and not warned:
            print(CLEAR_SECRET_WARNING.format(field=name), file=sys.stderr)
            warned = True
        values[name] = value
    return values


def _ask(name: str, secret_label: str | None, prompt_prefix: str) -> str:
    """One value from standard input: a prompt without echo on a terminal, a line if piped."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    if secret_label is None:
        return input(f"{prompt_prefix} {name}: ")
    import getpass

    return getpass.getpass(f"{prompt_prefix} {secret_label}: ")


async def _integrations(system: System, args: argparse.Namespace, out: Output) -> int:
    from ffdesk.services import integrations as actions

    if args.action == "list":
        rows = await _integration_rows(system)
        columns = ["id", "name", "category", "state", "last_synced"]
        if any(row["schedule"] for row in rows):
            columns.append("schedule")  # only when a schedule is paused: say why
        out.emit({"integrations": rows}, table(rows, columns))
        return 0
    record = await system.integration(args.id)
    if args.action == "form":
        rows = actions.form_rows(system, record)
        out.emit(
            {"integration": args.id, "state": await record.get_state(), "fields": rows},
            table(rows, ["name", "label", "widget", "value", "visible", "required", "readonly"]),
        )
        return 0
    if args.action == "set":
        secret_labels = {i.name: i.label for i in actions.form(system, record) if i.secret}
        values = _read_assignments(args.assignments, secret_labels, record.name)
        await actions.set_values(system, record, values)
        out.emit(
            {"integration": args.id, "set": sorted(values)}, f"Saved {', '.join(sorted(values))}."
        )
        return 0
    if args.action == "enable":
        try:
            state = await actions.enable(record, anyway=args.anyway)
        except ConnectionUnreachable as exc:
            raise Unreachable(
                f"{exc.result.message} Use --anyway to enable it all the same."
            ) from None
        out.emit({"integration": args.id, "state": state}, f"{record.name}: {state}.")
        return 0
    if args.action == "disable":
        state = await actions.disable(record)
        out.emit({"integration": args.id, "state": state}, f"{record.name}: {state}.")
        return 0
    result = await actions.test_connection(record)
    out.emit(
        {"integration": args.id, "outcome": result.outcome, "message": result.message},
        f"{result.outcome}: {result.message}",
    )
    if result.outcome == "ok":
        return EXIT_OK
    return EXIT_UNREACHABLE if result.outcome == "unreachable" else EXIT_REFUSED


def _waits(outcome: Any) -> str:
    """The summary of a run's 429s: how many, and how long it waited for them."""
    times = "once" if outcome.rate_limited == 1 else f"{outcome.rate_limited} times"
    return f"rate limit: answered 429 {times}, waited {outcome.waited:.0f} s in all."


async def _sync(system: System, args: argparse.Namespace, out: Output) -> int:
    from ffdesk.sync.runner import RecordRef, describe, run_sync, waiting_text

    only = RecordRef.parse(args.record) if args.record else None
    if only is not None and len(args.ids) != 1:
        raise UsageError("ffdesk sync --record: name exactly one integration ID")
    if args.ids:
        records = [await system.integration(i) for i in args.ids]
    else:
        Integration = system.registry["Integration"]
        enabled = await Integration.filter(company=system.env.cid, enabled=True).all()
        # "All" means all that can sync: Adyen, say, reports by webhooks and has no sync.
        records = [r for r in enabled if (await r.sync_capability()).available]
        if not records:
            out.emit({"runs": []}, "No integration is enabled in this company.")
            return 0
    outcomes: list[dict[str, Any]] = []
    failures = unreachable = 0
    for record in records:
        try:
            outcome = await run_sync(
                record,
                trigger="command line",
                dry_run=args.dry_run,
                only=only,
                # Progress goes to stderr, so stdout stays the result (and valid --json).
                on_wait=lambda provider, seconds: print(
                    waiting_text(provider, seconds), file=sys.stderr, flush=True
                ),
            )
        except UserError as exc:
            failures += 1
            outcomes.append({"integration": record.name, "state": "refused", "error": str(exc)})
            if not out.as_json:
                print(str(exc), file=sys.stderr)
            continue
        outcomes.append(describe(outcome))
        if outcome.rate_limited:
            print(f"{record.name}: {_waits(outcome)}", file=sys.stderr)
        if not outcome.succeeded:
            failures += 1
            unreachable += outcome.unreachable
    rows = outcomes
    text = table(rows, ["integration", "state", "created", "updated", "skipped", "failed", "error"])
    if args.dry_run:
        text = _preview_text(rows) + "\n" + text
    out.emit({"runs": rows}, text)
    if failures == 0:
        return EXIT_OK
    # Exit 3 only when nothing was refused: every failed run just could not reach its provider.
    return EXIT_UNREACHABLE if unreachable == failures else EXIT_REFUSED


def _preview_text(rows: Sequence[dict[str, Any]]) -> str:
    """What each previewed sync would do, one line each (counts as created/updated are what
    it would create or update)."""
    lines = []
    for row in rows:
        lines.append(f"{row['integration']} (preview: nothing was sent or saved):")
        lines.extend(f"  {line}" for line in row.get("preview") or ["nothing to do"])
    return "\n".join(lines)


async def _runs(system: System, args: argparse.Namespace, out: Output) -> int:
    from ffdesk.services.runs import detail_of, detail_text, run_detail, summary_row
    from ffdesk.sync.runner import reap_interrupted

    if args.run is not None:
        detail = await run_detail(system, args.run)
        out.emit({"runs": [detail.as_dict()]}, detail_text(detail))
        return 0
    # A run left `running` by a process that died is marked interrupted as soon as it is seen.
    await reap_interrupted()
    SyncRun = system.registry["SyncRun"]
    query = SyncRun.filter(company=system.env.cid)
    if args.id:
        record = await system.integration(args.id)
        query = query.filter(integration=record.id)
    rows = [
        summary_row(detail_of(run)) for run in await query.order_by("-id").limit(args.limit).all()
    ]
    columns = [
        "id",
        "integration",
        "state",
        "started",
        "created",
        "updated",
        "skipped",
        "failed",
        "error",
    ]
    out.emit({"runs": rows}, table(rows, columns))
    return 0


async def _contacts(system: System, args: argparse.Namespace, out: Output) -> int:
    from ffdesk.services.contacts import import_csv

    if "Contact" not in system.registry:
        raise UserError("Install the contacts module first (ffdesk modules install contacts).")
    if args.action == "import":
        report = await import_csv(system, Path(args.file))
        if not out.as_json:
            for error in report.errors:
                print(f"{args.file}: {error}; row skipped.", file=sys.stderr)
        out.emit(
            {"created": report.created, "updated": report.updated, "errors": report.errors},
            f"Imported {report.created} new and {report.updated} updated contacts"
            f" ({len(report.errors)} rows skipped).",
        )
        return 0
    Contact = system.registry["Contact"]
    rows = [
        {"id": c.id, "name": c.name, "email": c.email, "phone": c.phone}
        for c in await Contact.filter(company=system.env.cid).order_by("name").all()
    ]
    out.emit({"contacts": rows}, table(rows, ["id", "name", "email", "phone"]))
    return 0


async def _records(system: System, args: argparse.Namespace, out: Output) -> int:
    from ffdesk.cli_records import records_command

    return await records_command(system, args, out)


async def _scheduler(system: System, args: argparse.Namespace, out: Output) -> int:
    from ffdesk.cli_scheduler import scheduler_command

    return await scheduler_command(system, args, out)


async def _schedules(system: System, args: argparse.Namespace, out: Output) -> int:
    from ffdesk.cli_scheduler import schedules_command

    return await schedules_command(system, args, out)


async def _audit(system: System, args: argparse.Namespace, out: Output) -> int:
    from ffdesk.services.audit import audit_rows, describe_changes

    record = await system.integration(args.id) if args.id else None
    rows = await audit_rows(system, record, limit=args.limit)
    shown = [
        {
            "when": r["when"],
            "who": f"{r['user']}@{r['host']}",
            "action": r["action"],
            "what": r["subject"],
            "changes": describe_changes(r["changes"]),
        }
        for r in rows
    ]
    out.emit({"entries": rows}, table(shown, ["when", "who", "action", "what", "changes"]))
    return 0


async def _config(system: System, args: argparse.Namespace, out: Output) -> int:
    from ffdesk.services import config_transfer as transfer

    path = Path(args.file)
    if args.action == "export":
        data = await transfer.export_config(system)
        transfer.write_config(data, path)
        out.emit({"exported": str(path)}, f"Exported the configuration to {path} (no secrets).")
        return 0
    # Every value given here is a secret: asked without echo, and a clear one warned about.
    labels = {pair.split("=", 1)[0].strip(): pair.split("=", 1)[0].strip() for pair in args.secrets}
    given = _read_assignments(args.secrets, labels, "ffdesk config import:")

    def ask(company: str, integration: str, name: str) -> str | None:
        if name in given:
            return given[name]
        if sys.stdin.isatty():
            import getpass

            return getpass.getpass(f"{name} for {integration} of {company} (empty: skip): ")
        return None

    plan = await transfer.import_config(
        system, transfer.read_config(path), apply=args.apply, ask=ask
    )
    missing = [f"{c} / {i}: {n}" for c, i, n in plan.missing_secrets]
    verb = "Changed" if args.apply else "Would change"
    lines = [f"{verb}: {change}" for change in plan.changes] or ["Nothing to change."]
    lines += [f"Secret needed: {m}" for m in missing]
    if not args.apply:
        lines.append("Dry run: nothing was written (--apply writes it).")
    out.emit(
        {"applied": args.apply, "changes": plan.changes, "missing_secrets": missing},
        "\n".join(lines),
    )
    return 0


async def _doctor(args: argparse.Namespace, out: Output) -> int:
    from ffdesk.services.doctor import render_text, run_checks

    report = await run_checks(database_url=args.database)
    out.emit(report.as_dict(), render_text(report))
    return EXIT_OK if report.ok else EXIT_REFUSED


def _completion(args: argparse.Namespace, out: Output) -> int:
    from ffdesk.completion import completion_script

    script = completion_script(build_parser(), args.shell)
    if out.as_json:
        out.emit({"shell": args.shell, "script": script}, script)
    else:
        sys.stdout.write(script)
    return EXIT_OK


def _install_desktop_entry(args: argparse.Namespace, out: Output) -> int:
    from ffdesk.desktop_entry import data_home, install, remove

    home = data_home()
    try:
        files = remove(home) if args.remove else install(home)
    except OSError as exc:
        message = f"Cannot write to {home}: {exc.strerror or exc}."
        return fail(message, EXIT_REFUSED, as_json=out.as_json)
    if args.remove:
        text = f"Removed ffdesk's menu entry from {home} ({len(files)} files)."
    else:
        text = f"Installed ffdesk's menu entry, metainfo and icons in {home} ({len(files)} files)."
    out.emit({"removed" if args.remove else "installed": [str(p) for p in files]}, text)
    return EXIT_OK


HANDLERS = {
    "modules": _modules,
    "companies": _companies,
    "integrations": _integrations,
    "sync": _sync,
    "runs": _runs,
    "contacts": _contacts,
    "records": _records,
    "scheduler": _scheduler,
    "schedules": _schedules,
    "audit": _audit,
    "config": _config,
}


def _database_command(args: argparse.Namespace, out: Output) -> int:
    """`ffdesk db ...` opens the database only (no modules): it must work on a damaged file."""
    from ffdesk.engine.db import Database
    from ffdesk.paths import default_database_url
    from ffdesk.services import database as service

    db = Database(args.database or default_database_url())
    try:
        if args.action == "check":
            result = service.check(db)
            out.emit(
                {
                    "database": result.database,
                    "healthy": result.healthy,
                    "findings": result.findings,
                },
                result.sentence,
            )
            return 0 if result.healthy else 1
        target = Path(args.file).expanduser().absolute()
        sentence = service.backup(db, target)
        out.emit({"backup": str(target)}, sentence)
        return 0
    finally:
        db.dispose()


async def run_command(args: argparse.Namespace) -> int:
    from ffdesk.api import open_system

    if args.command == "db":
        return _database_command(args, Output(args.json))
    if args.command == "doctor":
        return await _doctor(args, Output(args.json))
    system = await _open(open_system, args)
    gc.freeze()  # a long `ffdesk sync` should not rescan start-up objects in every collection
    try:
        return await HANDLERS[args.command](system, args, Output(args.json))
    finally:
        await system.close()


async def _open(open_system: Any, args: argparse.Namespace) -> System:
    """The System, or Unreachable (exit 3) when the database cannot be opened at all."""
    import sqlalchemy.exc

    from ffdesk.engine.db_errors import DatabaseProblem

    try:
        return await open_system(args.database, company=args.company)
    except DatabaseProblem as exc:
        if exc.kind in ("cannot_open", "unreachable", "login"):
            raise Unreachable(str(exc)) from None  # already a sentence saying what to do
        raise
    except sqlalchemy.exc.OperationalError as exc:
        from ffdesk.services.doctor import database_failure

        raise Unreachable(database_failure(args.database, exc)) from None


def fail(message: str, code: int, *, as_json: bool, field: str | None = None) -> int:
    """Report an error on standard error, as a sentence or as the JSON error object."""
    if as_json:
        document = {"error": {"message": message, "field": field}}
        print(json.dumps(document, ensure_ascii=False), file=sys.stderr)
    else:
        print(message, file=sys.stderr)
    return code


def _database_lost(exc: BaseException) -> bool:
    """The database server went away in the middle of the command: exit 3, as at the start."""
    from ffdesk.engine.db_errors import DatabaseProblem

    return isinstance(exc, DatabaseProblem) and exc.kind == "unreachable"


def _field(exc: BaseException) -> str | None:
    # Errors raised by module code may be UserError subclasses that never set a field.
    return getattr(exc, "field", None)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (0 ok, 1 refused, 2 bad usage, 3 unreachable)."""
    from ffdesk.logs import setup_logging

    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in argv
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        return fail(str(exc), EXIT_USAGE, as_json=as_json, field=exc.field)
    except SystemExit as exc:  # --help, --version
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    if args.command == "completion":
        return _completion(args, Output(args.json))
    if args.command == "install-desktop-entry":  # no database, no logging set-up needed
        return _install_desktop_entry(args, Output(args.json))
    log_path = setup_logging()
    try:
        return asyncio.run(run_command(args))
    except UsageError as exc:
        return fail(str(exc), EXIT_USAGE, as_json=as_json, field=exc.field)
    except Unreachable as exc:
        return fail(redact(str(exc)), EXIT_UNREACHABLE, as_json=as_json, field=_field(exc))
    except (UserError, MissingError) as exc:
        code = EXIT_UNREACHABLE if _database_lost(exc) else EXIT_REFUSED
        return fail(redact(str(exc)), code, as_json=as_json, field=_field(exc))
    except KeyboardInterrupt:
        return fail("Interrupted.", EXIT_INTERRUPTED, as_json=as_json)
    except Exception as exc:
        log.error("command failed:\n%s", redact(traceback.format_exc()))
        return fail(
            unexpected_error_text("ffdesk", exc, str(log_path)),
            EXIT_REFUSED,
            as_json=as_json,
        )
