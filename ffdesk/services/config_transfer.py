"""Configuration export and import (`ffdesk config export|import`): YAML without secrets.

The file holds the installed modules, the companies, each integration's field values and
enabled state, and the scheduled jobs' settings. Secrets are never written: the file lists
which ones each integration needs, and an import asks for those the database lacks. An import
is a dry run unless applied, and says what it would change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from ffdesk.engine.errors import UserError
from ffdesk.engine.model import Model
from ffdesk.engine.system import System

FORMAT = 1
INTEGRATION_MODEL = "Integration"
CRON_FIELDS = ("frequency", "frequency_unit", "active")
#: (company, integration identifier, field) -> the secret, or None to leave it unset.
AskSecret = Callable[[str, str, str], str | None]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _setting_fields(record: Model) -> tuple[list[str], list[str]]:
    """(plain fields, secret fields) an administrator sets on an integration; a readable
    company-scoped field (secret=False) is a plain one."""
    cls = type(record)
    plain, secret = [], []
    for name, declared in cls._fields.items():
        if name == "id" or name in cls._audit_ignore:
            continue
        if declared.secret:
            secret.append(name)
        elif declared.stored or declared.company_scoped:
            plain.append(name)
    return plain, secret


def _setting_value(record: Model, name: str) -> Any:
    """A plain setting's value: a readable company-scoped one is read for the record's company."""
    declared = type(record)._fields[name]
    if not declared.company_scoped:
        return record._values.get(name)
    from ffdesk.engine.company_values import read

    cid = record.company_id
    return None if cid is None else read(type(record)._registry, cid, record._name, record.id, name)


async def export_config(system: System) -> dict[str, Any]:
    """The configuration as plain data (what the YAML file holds)."""
    companies = []
    for company in await system.companies():
        integrations: dict[str, Any] = {}
        if INTEGRATION_MODEL in system.registry:
            Integration = system.registry[INTEGRATION_MODEL]
            for record in await Integration.filter(company=company.id).all():
                await record.fetch_related("module")
                module = record.module
                if module is None or module.state != "Installed":
                    continue
                plain, secret = _setting_fields(record)
                integrations[module.identifier] = {
                    "values": {n: _plain(_setting_value(record, n)) for n in plain},
                    "secrets": secret,
                }
        companies.append({"name": company.name, "integrations": integrations})
    await system.select_company(None)
    cron = {
        job.identifier: {n: getattr(job, n) for n in CRON_FIELDS}
        for job in await system.registry["CronJob"].all().order_by("identifier").all()
    }
    modules = sorted(m for m in system.installed if not _implicit(system, m))
    return {"ffdesk_config": FORMAT, "modules": modules, "companies": companies, "cron": cron}


def _implicit(system: System, identifier: str) -> bool:
    found = system.discovered.get(identifier)
    return bool(found and found.manifest and found.manifest.implicit)


def write_config(data: dict[str, Any], target: Path) -> None:
    target.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")


def read_config(source: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(source.read_text("utf-8"))
    except FileNotFoundError:
        raise UserError(f"{source} does not exist.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise UserError(f"{source} is not a valid configuration file{where}.") from None
    if not isinstance(data, dict) or data.get("ffdesk_config") != FORMAT:
        raise UserError(f"{source} is not an ffdesk configuration export (ffdesk_config: 1).")
    return data


@dataclass
class ImportPlan:
    """What an import changes (sentences), and the secrets it still needs."""

    changes: list[str] = field(default_factory=list)
    missing_secrets: list[tuple[str, str, str]] = field(default_factory=list)


async def import_config(
    system: System, data: dict[str, Any], *, apply: bool, ask: AskSecret | None = None
) -> ImportPlan:
    """Compare `data` with the database; with `apply`, write it (secrets asked through `ask`)."""
    plan = ImportPlan()
    for identifier in data.get("modules") or []:
        if identifier not in system.installed:
            if identifier not in system.discovered:
                raise UserError(f"Module {identifier!r} is not available on this computer.")
            plan.changes.append(f"install module {identifier}")
            if apply:
                await system.install_module(identifier)
    known = {c.name for c in await system.companies()}
    for company in data.get("companies") or []:
        name = str(company["name"])
        if name not in known:
            plan.changes.append(f"add company {name!r}")
            if apply:
                await system.add_company(name)
        for identifier, settings in (company.get("integrations") or {}).items():
            await _import_integration(system, plan, name, identifier, settings, apply, ask)
    await system.select_company(None)
    for identifier, settings in (data.get("cron") or {}).items():
        job = await system.registry["CronJob"].filter(identifier=identifier).first()
        if job is None:
            if not apply:
                continue  # made by installing its module above
            raise UserError(f"Scheduled job {identifier!r} does not exist here.")
        for name in CRON_FIELDS:
            if name in settings and getattr(job, name) != settings[name]:
                plan.changes.append(
                    f"scheduled job {identifier}: {name} {getattr(job, name)!r} → "
                    f"{settings[name]!r}"
                )
                setattr(job, name, settings[name])
        if apply and job._dirty:
            await job.save()
    return plan


async def _import_integration(
    system: System,
    plan: ImportPlan,
    company: str,
    identifier: str,
    settings: dict[str, Any],
    apply: bool,
    ask: AskSecret | None,
) -> None:
    companies = {c.name: c.id for c in await system.companies()}
    cid = companies.get(company)
    if cid is None:  # a dry run: the company is only planned
        return
    await system.select_company(cid)
    if INTEGRATION_MODEL not in system.registry:
        return
    Integration = system.registry[INTEGRATION_MODEL]
    record = await Integration.filter(company=cid, module__identifier=identifier).first()
    if record is None:
        return  # its module is only planned (dry run)
    values = settings.get("values") or {}
    for name, value in values.items():
        declared = type(record)._fields.get(name)
        if declared is None or declared.secret:
            continue
        wanted = declared.convert(value)
        current = _setting_value(record, name)
        if current != wanted:
            plan.changes.append(f"{company} / {identifier}: {name} {current!r} → {wanted!r}")
            setattr(record, name, wanted)
    for name in settings.get("secrets") or []:
        if name in type(record)._company_scoped and not getattr(record, name):
            value = ask(company, identifier, name) if (apply and ask) else None
            if value:
                setattr(record, name, value)
                plan.changes.append(f"{company} / {identifier}: {name} set")
            else:
                plan.missing_secrets.append((company, identifier, name))
    if apply and record._dirty:
        await record.save()
