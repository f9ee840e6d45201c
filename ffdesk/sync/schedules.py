"""Integration schedules: calendar intervals, when each is due, and the changes people make."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from ffdesk.engine.env import current_env
from ffdesk.engine.errors import UserError
from ffdesk.engine.model import Model

SCHEDULE_MODEL = "IntegrationSchedule"
UNITS = {"m": "Minutes", "h": "Hours", "d": "Days", "mo": "Months", "y": "Years"}
_EVERY = re.compile(r"^\s*(\d+)\s*(m|min|h|d|mo|y)\s*$", re.IGNORECASE)
DEFAULT_FREQUENCY = (1, "Hours")


def step(frequency: int | None, unit: str | None) -> relativedelta:
    """One interval: N minutes, hours, days, calendar months or calendar years (at least a
    minute)."""
    n = max(1, frequency or 1)
    unit = unit or "Hours"
    if unit == "Minutes":
        return relativedelta(minutes=n)
    if unit == "Days":
        return relativedelta(days=n)
    if unit == "Months":
        return relativedelta(months=n)
    if unit == "Years":
        return relativedelta(years=n)
    return relativedelta(hours=n)


def next_due_after(
    anchor: datetime, frequency: int | None, unit: str | None, after: datetime
) -> datetime:
    """The first time of the series anchor + k x interval (k >= 1) that is later than `after`.

    Counted from the anchor, not from the previous due time, so "every month" from 31 January
    is 28/29 February, then 31 March (not 28 March).
    """
    n = max(1, frequency or 1)
    if unit in ("Months", "Years"):
        months = n * (12 if unit == "Years" else 1)
        passed = (after.year - anchor.year) * 12 + (after.month - anchor.month)
        k = max(1, passed // months - 1)
        while anchor + relativedelta(months=k * months) <= after:
            k += 1
        return anchor + relativedelta(months=k * months)
    seconds = {"Minutes": 60, "Days": 86400}.get(unit or "Hours", 3600) * n
    if after < anchor:
        return anchor + relativedelta(seconds=seconds)
    k = int((after - anchor).total_seconds() // seconds) + 1
    return anchor + relativedelta(seconds=k * seconds)


def parse_every(text: str) -> tuple[int, str]:
    """`15m`, `2h`, `1d`, `3mo`, `1y` -> (15, "Minutes"), ...; a clear sentence otherwise."""
    match = _EVERY.match(text)
    if not match or int(match.group(1)) < 1:
        raise UserError(
            f"Cannot read the interval {text!r}: write a number and a unit, "
            "such as 15m, 2h, 1d, 1mo or 1y."
        )
    unit = match.group(2).lower()
    return int(match.group(1)), UNITS["m" if unit == "min" else unit]


def describe_every(frequency: int | None, unit: str | None) -> str:
    n = max(1, frequency or 1)
    word = (unit or "Hours").lower()
    return f"every {n} {word[:-1] if n == 1 else word}"


# -- the schedules of a database ------------------------------------------------------------
def has_schedules() -> bool:
    return SCHEDULE_MODEL in current_env().registry


def template_methods() -> dict[str, tuple[int, str]]:
    """Default interval of each integration sync method (an integration's `cron_sync_method`),
    from the modules' CronJobs."""
    registry = current_env().registry
    if "CronJob" not in registry or "Integration" not in registry:
        return {}
    found: dict[str, tuple[int, str]] = {}
    for job in registry["CronJob"].filter(model="Integration")._fetch():
        if registry["Integration"].filter(cron_sync_method=job.method).limit(1)._fetch():
            found[job.method] = (job.frequency or 1, job.frequency_unit or "Hours")
    return found


async def ensure_schedules(now: datetime | None = None) -> int:
    """Give every integration that has a scheduled sync its own schedule; returns how many
    were made. A new schedule is due at once (a job never run is due at once)."""
    if not has_schedules():
        return 0
    registry = current_env().registry
    Schedule, Integration = registry[SCHEDULE_MODEL], registry["Integration"]
    templates = template_methods()
    if not templates:
        return 0
    # In SQL: the idle scheduler asks every minute, and loading 4,000 records each time
    # would cost memory and CPU for nothing.
    integrations, schedules = Integration._table, Schedule._table
    method = integrations.c[Integration._fields["cron_sync_method"].column_name]
    company = integrations.c[Integration._fields["company"].column_name]
    scheduled = schedules.c[Schedule._fields["integration"].column_name]
    query = sa.select(integrations.c.id, company, method).where(
        method.in_(sorted(templates)),
        ~sa.exists(sa.select(scheduled).where(scheduled == integrations.c.id)),
    )
    with current_env().db.connect() as conn:
        missing = conn.execute(query).all()
    now = now or datetime.now()
    async with current_env().db.transaction():
        for integration_id, company_id, sync_method in missing:
            frequency, unit = templates[sync_method]
            await Schedule.create(
                integration=integration_id,
                company=company_id,
                frequency=frequency,
                frequency_unit=unit,
                active=True,
                anchor=now,
                next_due=now,
            )
    return len(missing)


@dataclass(frozen=True)
class ScheduleRow:
    """A schedule as `schedules list` and the window show it."""

    id: int
    integration: str
    company: str
    every: str
    active: bool
    enabled: bool
    last_run: datetime | None
    next_due: datetime | None
    failures: int


async def list_schedules(company_id: int | None = None) -> list[ScheduleRow]:
    if not has_schedules():
        return []
    await ensure_schedules()
    registry = current_env().registry
    query = registry[SCHEDULE_MODEL].all()
    if company_id is not None:
        query = query.filter(company=company_id)
    schedules = await query.order_by("id").all()
    integrations = {i.id: i for i in await registry["Integration"].all().all()}
    companies = {c.id: c.name for c in await registry["Company"].all().all()}
    modules = {m.id: m.identifier for m in await registry["Module"].all().all()}
    rows = []
    for s in schedules:
        integration = integrations.get(s.integration_id)
        rows.append(
            ScheduleRow(
                id=int(s.id),
                integration=modules.get(integration.module_id, integration.name)
                if integration
                else "?",
                company=companies.get(s.company_id, ""),
                every=describe_every(s.frequency, s.frequency_unit),
                active=bool(s.active),
                enabled=bool(integration and integration.enabled),
                last_run=s.last_run,
                next_due=s.next_due if s.active else None,
                failures=s.failures or 0,
            )
        )
    return rows


async def find_schedule(key: str, company_id: int | None) -> Model:
    """A schedule by its number, or by its integration's module identifier in the company."""
    if not has_schedules():
        raise UserError("Nothing can be scheduled yet: no integration module is installed.")
    await ensure_schedules()
    registry = current_env().registry
    Schedule = registry[SCHEDULE_MODEL]
    if key.isdigit():
        found = await Schedule.filter(id=int(key)).first()
    else:
        integration = (
            await registry["Integration"].filter(module__identifier=key, company=company_id).first()
        )
        found = await Schedule.filter(integration=integration.id).first() if integration else None
    if found is None:
        raise UserError(
            f"There is no schedule {key!r}; 'ffdesk schedules list' shows the schedules."
        )
    return found


async def set_every(
    schedule: Model, frequency: int, unit: str, now: datetime | None = None
) -> None:
    """A new interval starts a new series: next due one interval after the last run (or now)."""
    now = now or datetime.now()
    start = schedule.last_run or now
    schedule.frequency, schedule.frequency_unit = frequency, unit
    schedule.anchor = start
    schedule.next_due = max(start + step(frequency, unit), now) if schedule.last_run else now
    await schedule.save()


async def set_active(schedule: Model, active: bool, now: datetime | None = None) -> None:
    """Pause or resume; a resumed schedule that missed its time is due at once."""
    schedule.active = active
    if active:
        schedule.failures = 0
        if schedule.next_due is None:
            schedule.next_due = now or datetime.now()
    await schedule.save()


async def set_all_active(active: bool) -> int:
    """Pause or resume every schedule of the database (the tray's "Pause all schedules")."""
    if not has_schedules():
        return 0
    await ensure_schedules()
    changed = 0
    for schedule in await current_env().registry[SCHEDULE_MODEL].filter(active=not active).all():
        await set_active(schedule, active)
        changed += 1
    return changed


async def make_all_due(now: datetime | None = None) -> int:
    """Every active schedule due now (the tray's "Sync all now"); whoever schedules runs them."""
    if not has_schedules():
        return 0
    await ensure_schedules()
    now = now or datetime.now()
    changed = 0
    for schedule in await current_env().registry[SCHEDULE_MODEL].filter(active=True).all():
        schedule.next_due = now
        await schedule.save()
        changed += 1
    return changed
