"""`ffdesk records models|list|show|create|update|resync`: the records workspace on the
command line, through the same service as the window (`ffdesk.services.records`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ffdesk.engine.system import System

DEFAULT_LIMIT = 50


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def add_commands(commands: Any, sub: Callable[[Any, str, str], argparse.ArgumentParser]) -> None:
    """Add `ffdesk records ...` to the parser (`sub` adds the global options)."""
    records = sub(commands, "records", "see, filter, create and change synced records")
    rec = records.add_subparsers(dest="action", required=True, parser_class=type(records))
    sub(rec, "models", "the record types offered (Contacts, Payments, ...)").add_argument(
        "--integration", metavar="ID", help="only the types this integration syncs"
    )
    lister = sub(rec, "list", "records of a type, newest first unless --sort says otherwise")
    lister.add_argument("model", help="record type: Contact, PaymentTransaction (Payments), ...")
    lister.add_argument("--filter", metavar="Q-EXPRESSION", help="e.g. \"Q(state='done')\"")
    lister.add_argument("--search", metavar="TEXT", help="text found in any text column")
    lister.add_argument("--sort", metavar="COLUMN", help="a column; --sort=-COLUMN for descending")
    lister.add_argument("--integration", metavar="ID", help="only this integration's records")
    lister.add_argument("--limit", type=_positive, default=DEFAULT_LIMIT)
    lister.add_argument("--offset", type=_positive, default=0)
    show = sub(rec, "show", "one record: its fields and its link to each integration")
    show.add_argument("model")
    show.add_argument("record_id", type=int, metavar="ID")
    create = sub(rec, "create", "create a record (contact, test SMS, shipment to track)")
    create.add_argument("model")
    create.add_argument("assignments", nargs="+", metavar="field=value")
    create.add_argument(
        "--integration", metavar="ID", help="the integration it belongs to (e.g. sms_twilio)"
    )
    update = sub(rec, "update", "change fields of a record")
    update.add_argument("model")
    update.add_argument("record_id", type=int, metavar="ID")
    update.add_argument("assignments", nargs="+", metavar="field=value")
    resync = sub(rec, "resync", "send or fetch one record again (a queued SMS: send it now)")
    resync.add_argument("model")
    resync.add_argument("record_id", type=int, metavar="ID")
    resync.add_argument("integration", metavar="INTEGRATION", help="e.g. payment_stripe")


def _assignments(action: str, pairs: Sequence[str]) -> dict[str, str]:
    from ffdesk.cli import UsageError

    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"ffdesk records {action}: expected field=value, got {pair!r}")
        values[name.strip()] = value
    return values


def _field_rows(detail: Any) -> list[dict[str, Any]]:
    return [
        {
            "name": f.name,
            "label": f.label,
            "value": f.value,
            "text": f.text,
            "visible": f.visible,
            "readonly": f.readonly,
            "required": f.required,
        }
        for f in detail.fields
    ]


def _mapping_rows(detail: Any) -> list[dict[str, Any]]:
    return [
        {
            "integration": m.integration,
            "integration_name": m.integration_name,
            "remote_id": m.remote_id,
            "last_synced": m.last_synced,
            "last_error": m.last_error,
            "dashboard_url": m.dashboard_url,
        }
        for m in detail.mappings
    ]


def _detail_text(detail: Any) -> str:
    from ffdesk.cli import table

    lines = [detail.title]
    shown = [f for f in detail.fields if f.visible]
    width = max((len(f.label) for f in shown), default=0)
    lines += [f"  {f.label.ljust(width)}  {f.text}".rstrip() for f in shown]
    links = _mapping_rows(detail)
    if links:
        lines += ["", table(links, ["integration", "remote_id", "last_synced", "last_error"])]
        lines += [f"{m['integration']}: {m['dashboard_url']}" for m in links if m["dashboard_url"]]
    return "\n".join(lines)


async def records_command(system: System, args: argparse.Namespace, out: Any) -> int:
    """Run one `ffdesk records` action; a wrong name or filter is a usage error (exit 2)."""
    from ffdesk.cli import UsageError
    from ffdesk.services.records import RecordsUsageError

    try:
        return await _run(system, args, out)
    except RecordsUsageError as exc:
        raise UsageError(str(exc), exc.field) from None


async def _run(system: System, args: argparse.Namespace, out: Any) -> int:
    from ffdesk.cli import table
    from ffdesk.services.records import RecordsService

    service = RecordsService(system)
    if args.action == "models":
        infos = service.models(args.integration)
        rows = [
            {
                "name": i.name,
                "label": i.plural_label,
                "module": i.module,
                "can_create": i.can_create,
                "can_edit": i.can_edit,
            }
            for i in infos
        ]
        out.emit({"models": rows}, table(rows, ["name", "label", "module", "can_create"]))
        return 0
    if args.action == "list":
        listing = service.listing(
            args.model,
            filter=args.filter,
            search=args.search,
            sort=args.sort,
            integration=args.integration,
        )
        info = service.model_info(args.model)
        total = await listing.count()
        rows = await listing.page(args.offset, args.limit)
        names = [c.name for c in listing.columns]
        document = {
            "model": info.name,
            "columns": [
                {"name": c.name, "label": c.label, "type": c.type_name} for c in listing.columns
            ],
            "total": total,
            "offset": args.offset,
            "rows": [{"id": r.id, **r.values} for r in rows],
        }
        text = table([{"id": r.id, **r.texts} for r in rows], ["id", *names])
        if total > args.offset + len(rows):
            text += f"\n({len(rows)} of {total} shown; use --offset and --limit for more)"
        out.emit(document, text)
        return 0
    if args.action in ("show", "create", "update"):
        if args.action == "show":
            record_id = args.record_id
        elif args.action == "create":
            values = _assignments("create", args.assignments)
            record_id = (await service.create(args.model, values, integration=args.integration)).id
        else:
            values = _assignments("update", args.assignments)
            record_id = (await service.update(args.model, args.record_id, values)).id
        detail = await service.detail(args.model, record_id)
        document = {
            "model": detail.model,
            "id": detail.id,
            "title": detail.title,
            "fields": _field_rows(detail),
            "mappings": _mapping_rows(detail),
        }
        prefix = {"create": "Created ", "update": "Saved "}.get(args.action, "")
        out.emit(document, prefix + _detail_text(detail))
        return 0
    from ffdesk.sync.runner import describe

    outcome = await service.resync(args.model, args.record_id, args.integration)
    row = describe(outcome)
    out.emit(
        {"run": row},
        table([row], ["integration", "state", "created", "updated", "skipped", "failed", "error"]),
    )
    return 0 if outcome.succeeded else 1
