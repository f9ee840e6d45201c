"""What the window shows, read in a few batched queries: catalogue, pane details, problems.

No Qt here: the window renders these value objects; the rules stay in the engine and modules.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ffdesk.engine.errors import UserError, ValidationError
from ffdesk.services.catalogue_entry import (  # noqa: F401 (kept importable from here)
    ENABLED,
    INSTALLED,
    NOT_INSTALLED,
    STATES,
    UNAVAILABLE,
    CatalogueEntry,
    shown_state,
)

if TYPE_CHECKING:  # the window imports this module before the engine is loaded (start-up)
    from ffdesk.engine.forms import FormField
    from ffdesk.engine.model import Model
    from ffdesk.engine.system import System
    from ffdesk.services.runs import RunDetail
    from ffdesk.sync.pause import SchedulePause

INTEGRATION_MODEL = "Integration"

#: Categories in the order the catalogue shows them; anything else comes after, by name.
CATEGORY_ORDER = ("Online Payment", "Messaging", "Shipping")
OTHER_CATEGORY = "Other"
HISTORY_LIMIT = 50
# Module record ids by identifier, per System: Module records are never deleted, so an id
# once seen stays right (a module discovered later simply is not in the map yet).
_module_ids: weakref.WeakKeyDictionary[System, dict[str, int]] = weakref.WeakKeyDictionary()
MAPPINGS_LIMIT = 500


@dataclass(frozen=True)
class MappingRow:
    """A local record and the remote object it is linked to."""

    model: str
    local_id: str
    remote_id: str


@dataclass(frozen=True)
class ModuleProblem:
    """A module that cannot be installed, with its one-line reason."""

    identifier: str
    name: str
    reason: str


@dataclass
class IntegrationDetails:
    """Everything the integration pane shows for one integration of the active company."""

    identifier: str
    record: Model
    state: str
    category: str
    image: str | None
    problem: str | None
    sync_available: bool
    sync_reason: str
    last_synced: datetime | None
    history: list[RunDetail] = field(default_factory=list)
    mappings: list[MappingRow] = field(default_factory=list)
    activity: list[dict[str, Any]] = field(default_factory=list)
    #: Why scheduled runs skip this integration (None: they run).
    schedule_pause: SchedulePause | None = None
    #: When it syncs by itself (None: it is not enabled, or nothing schedules it).
    schedule: ScheduleInfo | None = None
    #: Not installed: the names of the modules installing it also installs.
    also_installs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ScheduleInfo:
    """An enabled integration's own schedule: every `frequency` `unit`, next at `next_due`."""

    frequency: int
    unit: str
    next_due: datetime | None
    active: bool


def state_of(module_installed: bool, enabled: bool) -> str:
    """The rule of `Integration.get_state`, for many records at once."""
    if not module_installed:
        return NOT_INSTALLED
    return ENABLED if enabled else INSTALLED


def unreadable_problem(system: System, identifier: str) -> str | None:
    """Why a module's manifest cannot be read (None if it can, or no such module was found)."""
    found = system.discovered.get(identifier)
    if found is None or found.manifest is not None:
        return None
    return _one_line(found.problem) or "its manifest cannot be read"


def category_key(category: str) -> tuple[int, str]:
    """Sort key putting the known categories first, in their documented order."""
    if category in CATEGORY_ORDER:
        return (CATEGORY_ORDER.index(category), category)
    return (len(CATEGORY_ORDER), category)


async def catalogue_entries(system: System) -> list[CatalogueEntry]:
    """Every integration module with its state for the active company.

    Two narrow queries (the columns needed, no record objects), so a catalogue of a thousand
    modules loads in milliseconds; states follow the rule of `Integration.get_state`.
    """
    import sqlalchemy as sa

    installed = set(system.installed)
    registry = system.registry
    modules = registry["Module"]._table
    images: dict[str, str | None] = {}
    categories: dict[str, str | None] = {}
    enabled: dict[str, bool] = {}
    with system.db.connect() as conn:
        ids: dict[int, str] = {}
        query = sa.select(
            modules.c.id, modules.c.identifier, modules.c.image, modules.c.integration_category
        )
        for row in conn.execute(query):
            ids[row.id] = row.identifier
            images[row.identifier] = row.image
            categories[row.identifier] = row.integration_category
        _module_ids.setdefault(system, {}).update({v: k for k, v in ids.items()})
        if INTEGRATION_MODEL in registry:
            model = registry[INTEGRATION_MODEL]
            table, fields = model._table, model._fields
            module_column = table.c[fields["module"].column_name]
            company_column = table.c[fields["company"].column_name]
            query = sa.select(module_column, table.c[fields["enabled"].column_name]).where(
                company_column == system.env.cid
            )
            for module_id, flag in conn.execute(query):
                identifier = ids.get(module_id)
                if identifier is not None:
                    enabled[identifier] = bool(flag)
    entries = []
    for module in system.integration_modules():
        manifest = module.manifest
        assert manifest is not None
        identifier = module.identifier
        entries.append(
            CatalogueEntry(
                identifier=identifier,
                name=manifest.name,
                description=_one_line(manifest.description),
                category=manifest.integration_category or OTHER_CATEGORY,
                # Recorded from the manifest at start-up; resolving 1,000 paths again is slow.
                image=images[identifier] if identifier in images else system.image_path(identifier),
                state=state_of(identifier in installed, enabled.get(identifier, False)),
                problem=system.module_problem(identifier),
            )
        )
    entries.extend(_unreadable_entries(system, categories))
    entries.sort(key=lambda e: (category_key(e.category), e.name.casefold(), e.identifier))
    return entries


def _unreadable_entries(system: System, categories: dict[str, str | None]) -> list[CatalogueEntry]:
    """Modules whose manifest cannot be read: listed (and found by search) as Unavailable with
    the reason, in the category they had when last read."""
    entries = []
    for identifier in sorted(system.discovered):
        problem = unreadable_problem(system, identifier)
        if "@" in identifier or problem is None:
            continue
        entries.append(
            CatalogueEntry(
                identifier=identifier,
                name=identifier,
                description=problem,
                category=categories.get(identifier) or OTHER_CATEGORY,
                image=None,
                state=NOT_INSTALLED,
                problem=problem,
            )
        )
    return entries


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


async def module_problems(system: System) -> list[ModuleProblem]:
    """Modules whose manifest, data or code is broken (and those depending on them)."""
    problems = []
    for identifier, found in sorted(system.discovered.items()):
        reason = system.module_problem(identifier)
        if reason:
            name = found.manifest.name if found.manifest is not None else identifier
            problems.append(ModuleProblem(identifier, name, _one_line(reason)))
    return problems


async def integration_details(system: System, identifier: str) -> IntegrationDetails:
    from ffdesk.services.audit import audit_rows

    """The integration record of the active company with its state, runs and mappings."""
    from ffdesk.services.integrations import schedule_status

    record = await find_integration(system, identifier)
    state = str(await record.get_state())
    module = system.discovered.get(identifier)
    manifest = module.manifest if module is not None else None
    sync_available, sync_reason = False, ""
    pause = None
    if state == NOT_INSTALLED:
        sync_reason = f"Install {record.name} first."
    elif state == INSTALLED:
        sync_reason = f"Enable {record.name} before syncing it."
    else:
        capability = await record.sync_capability()
        sync_available, sync_reason = capability.available, capability.reason
        pause = await schedule_status(record)
    return IntegrationDetails(
        identifier=identifier,
        record=record,
        state=state,
        category=(manifest.integration_category if manifest else None) or OTHER_CATEGORY,
        image=system.image_path(identifier),
        problem=system.module_problem(identifier),
        sync_available=sync_available,
        sync_reason=sync_reason,
        last_synced=record.last_synced_date,
        history=await sync_history(system, record),
        mappings=await mapped_records(system, record),
        activity=await audit_rows(system, record, limit=HISTORY_LIMIT),
        schedule_pause=pause if state == ENABLED else None,
        schedule=await schedule_of(record) if state == ENABLED else None,
        also_installs=also_installs(system, identifier) if state == NOT_INSTALLED else [],
    )


def also_installs(system: System, identifier: str) -> list[str]:
    """The names of the modules not yet installed that installing `identifier` brings."""
    from ffdesk.engine.discovery import dependencies_closure

    try:
        closure = dependencies_closure(system.discovered, identifier)
    except UserError:  # broken or unknown: the pane says why it cannot be installed
        return []
    names = []
    for other in closure:
        if other != identifier and other not in system.installed:
            manifest = system.discovered[other].manifest
            names.append(manifest.name if manifest is not None else other)
    return sorted(names, key=str.casefold)


async def schedule_of(record: Model) -> ScheduleInfo | None:
    """The schedule of an enabled integration (made now if the scheduler has not yet)."""
    from ffdesk.engine.env import current_env
    from ffdesk.sync.schedules import SCHEDULE_MODEL, ensure_schedules, has_schedules

    if record.id is None or not has_schedules():
        return None
    schedules = current_env().registry[SCHEDULE_MODEL]
    found = await schedules.filter(integration=record.id).first()
    if found is None and await ensure_schedules():
        found = await schedules.filter(integration=record.id).first()
    if found is None:
        return None
    return ScheduleInfo(
        frequency=int(found.frequency or 1),
        unit=str(found.frequency_unit or "Hours"),
        next_due=found.next_due,
        active=bool(found.active),
    )


async def find_integration(system: System, identifier: str) -> Model:
    """The Integration record of a module for the active company.

    Same answer as `System.integration`, by two lookups on plain columns: a join through
    `module__identifier` costs several milliseconds per call, and the window asks on every
    selection.
    """
    if INTEGRATION_MODEL not in system.registry:
        raise UserError("The integrations module is not installed.")
    ids = _module_ids.setdefault(system, {})
    if identifier not in ids:
        module = await system.registry["Module"].filter(identifier=identifier).first()
        if module is not None:
            ids[identifier] = int(module.id)
    record = None
    if identifier in ids:
        record = (
            await system.registry[INTEGRATION_MODEL]
            .filter(module=ids[identifier], company=system.env.cid)
            .first()
        )
    if record is None:
        return await system.integration(identifier)  # raises with the list of integrations
    return record


def _latest(
    system: System, model_name: str, names: tuple[str, ...], integration_id: int, limit: int
) -> list[dict[str, Any]]:
    """Some columns of the newest rows of a model that belong to one integration.

    Narrow Core selects rather than records: the pane asks on every selection, and building
    hundreds of mapping records would cost more than a frame.
    """
    import sqlalchemy as sa

    model = system.registry[model_name]
    table, fields = model._table, [model._fields[name] for name in names]
    integration = table.c[model._fields["integration"].column_name]
    query = (
        sa.select(table.c.id, *(table.c[f.column_name] for f in fields))
        .where(integration == integration_id)
        .order_by(table.c.id.desc())
        .limit(limit)
    )
    with system.db.connect() as conn:
        return [
            {
                "id": row[0],
                **{f.name: f.from_column(v) for f, v in zip(fields, row[1:], strict=True)},
            }
            for row in conn.execute(query)
        ]


async def sync_history(
    system: System, record: Model, limit: int = HISTORY_LIMIT
) -> list[RunDetail]:
    """The latest runs of an integration, newest first (their logs left out)."""
    if "integration" not in system.registry["SyncRun"]._fields or record.id is None:
        return []
    from ffdesk.services.runs import RUN_FIELDS, detail_from
    from ffdesk.sync.runner import reap_interrupted

    # As the command line's `runs` does: a run of a dead process shows as interrupted at once.
    await reap_interrupted(int(record.id))
    name = str(record.name or "") or None
    return [
        detail_from(run, name)
        for run in _latest(system, "SyncRun", RUN_FIELDS, int(record.id), limit)
    ]


async def mapped_records(
    system: System, record: Model, limit: int = MAPPINGS_LIMIT
) -> list[MappingRow]:
    """Local records linked to remote objects by this integration, newest first."""
    if "IntegrationMapper" not in system.registry or record.id is None:
        return []
    columns = ("model", "local_id", "remote_id")
    return [
        MappingRow(m["model"] or "", m["local_id"] or "", m["remote_id"] or "")
        for m in _latest(system, "IntegrationMapper", columns, int(record.id), limit)
    ]


# -- editing ---------------------------------------------------------------------------
def original_values(record: Model, form: list[FormField]) -> dict[str, Any]:
    """The stored values of the form's fields (secrets excluded: they are never read back)."""
    return {item.name: getattr(record, item.name) for item in form if not item.secret}


def convert_edit(record: Model, name: str, value: Any) -> Any:
    """What a widget produced, checked by the field: text is parsed, other values converted."""
    try:
        item = type(record)._fields[name]
    except KeyError:
        raise UserError(f"{record.name} has no field {name!r}.") from None
    try:
        if isinstance(value, str):
            return item.parse_text(value)
        return item.convert(value)
    except ValidationError as exc:
        raise ValidationError(f"{item.label}: {_field_message(str(exc))}") from None


def _field_message(message: str) -> str:
    # "Integration.secret_key allows at most ..." -> "allows at most ..."
    head, _, rest = message.partition(" ")
    return rest if "." in head and rest else message


def apply_edits(record: Model, edits: dict[str, Any]) -> None:
    """Put the user's unsaved edits on the record (values already converted)."""
    for name, value in edits.items():
        setattr(record, name, value)


def reset_record(record: Model) -> None:
    """Drop unsaved edits: the stored values and secrets are read again on next access."""
    if record.id is None:
        return
    record._reset()
