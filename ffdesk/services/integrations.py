"""Integration actions shared by the window and the command line."""

from __future__ import annotations

from typing import Any

from ffdesk.engine.errors import UserError, ValidationError
from ffdesk.engine.forms import FormField
from ffdesk.engine.model import Model
from ffdesk.engine.system import System
from ffdesk.sync.errors import CredentialsRejected, ProviderError, ProviderUnavailable
from ffdesk.sync.pause import SchedulePause, schedule_pause
from ffdesk.sync.probe import probing
from ffdesk.sync.results import ConnectionResult
from ffdesk.sync.runner import RecordRef, RunOutcome, run_sync


def form(system: System, record: Model) -> list[FormField]:
    return system.env.form(record)


def form_rows(system: System, record: Model) -> list[dict[str, Any]]:
    """The form as data: secrets appear only as "set" or empty."""
    rows = []
    for item in form(system, record):
        value = item.display_value(record)
        field = type(record)._fields[item.name]
        rows.append(
            {
                "name": item.name,
                "label": item.label,
                "widget": item.widget,
                "value": value if item.secret else field.format_text(value),
                "visible": item.visible,
                "required": item.required,
                "readonly": item.readonly,
            }
        )
    return rows


#: Sync settings every integration has, set by name although no form shows them.
SYNC_SETTINGS = ("pause_after_failures",)


def apply_texts(system: System, record: Model, texts: dict[str, str]) -> None:
    """Set fields from what a user typed; only editable fields of the form (and the
    `SYNC_SETTINGS`) are accepted."""
    items = {item.name: item for item in form(system, record)}
    for name, text in texts.items():
        item = items.get(name)
        if item is None and name in SYNC_SETTINGS and name in type(record)._fields:
            value = type(record)._fields[name].parse_text(text)
            if value is not None and value < 0:
                raise UserError(f"{name} takes 0 (never pause) or a number of runs, not {text}.")
            setattr(record, name, value)
            continue
        if item is None:
            editable = ", ".join(n for n, i in items.items() if i.visible and not i.readonly)
            raise UserError(
                f"{record.name} has no field {name!r} in its form (fields: {editable}).",
                field=name,
            )
        if item.readonly:
            raise UserError(f"{item.label} cannot be changed here.", field=name)
        field = type(record)._fields[name]
        setattr(record, name, field.parse_text(text))


async def set_values(system: System, record: Model, texts: dict[str, str]) -> None:
    apply_texts(system, record, texts)
    await record.save()


async def test_connection(record: Model) -> ConnectionResult:
    """Ask the provider once, quickly (no retry of a refused connection: someone is waiting);
    any failure becomes one of the three outcomes with a message."""
    try:
        with probing():
            result = await record.check_connection()
    except CredentialsRejected as exc:
        return ConnectionResult("rejected", str(exc))
    except (ProviderUnavailable, ProviderError) as exc:
        return ConnectionResult("unreachable", str(exc))
    except ValidationError as exc:
        return ConnectionResult("rejected", str(exc))
    return result


async def enable(record: Model, *, anyway: bool = False) -> str:
    """Run the enable chain; returns the new state."""
    record._enable_anyway = anyway  # type: ignore[attr-defined]
    try:
        with probing():  # its connection check is asked for by someone waiting, like a Test
            await record.enable_integration()
    except CredentialsRejected as exc:
        raise UserError(str(exc)) from None
    finally:
        record._enable_anyway = False  # type: ignore[attr-defined]
    return str(await record.get_state())


async def disable(record: Model) -> str:
    await record.disable_integration()
    return str(await record.get_state())


async def preview(record: Model, *, trigger: str = "manual") -> RunOutcome:
    """What a sync would do now: sends no write to the provider and writes nothing locally."""
    return await run_sync(record, trigger=trigger, dry_run=True)


async def resync(
    record: Model, model: str, local_id: str, *, trigger: str = "manual"
) -> RunOutcome:
    """Push or pull one mapped record again (a recorded run of just that record)."""
    return await run_sync(record, trigger=trigger, only=RecordRef(model, str(local_id)))


async def schedule_status(record: Model) -> SchedulePause | None:
    """Why the scheduled sync of `record` is paused, or None when it runs."""
    if record.id is None or not record.enabled:
        return None
    return await schedule_pause(record)
