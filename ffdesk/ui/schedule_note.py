"""The sentence that says when an enabled integration syncs by itself, and who runs it."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from ffdesk.services.window import ScheduleInfo

# (one, several) per unit: "every hour", "every 2 hours".
_EVERY = {
    "Minutes": (
        QT_TRANSLATE_NOOP("ScheduleNote", "every minute"),
        QT_TRANSLATE_NOOP("ScheduleNote", "every {n} minutes"),
    ),
    "Hours": (
        QT_TRANSLATE_NOOP("ScheduleNote", "every hour"),
        QT_TRANSLATE_NOOP("ScheduleNote", "every {n} hours"),
    ),
    "Days": (
        QT_TRANSLATE_NOOP("ScheduleNote", "every day"),
        QT_TRANSLATE_NOOP("ScheduleNote", "every {n} days"),
    ),
    "Months": (
        QT_TRANSLATE_NOOP("ScheduleNote", "every month"),
        QT_TRANSLATE_NOOP("ScheduleNote", "every {n} months"),
    ),
    "Years": (
        QT_TRANSLATE_NOOP("ScheduleNote", "every year"),
        QT_TRANSLATE_NOOP("ScheduleNote", "every {n} years"),
    ),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("ScheduleNote", text)


def describe_every(frequency: int, unit: str) -> str:
    one, several = _EVERY.get(unit, _EVERY["Hours"])
    return _tr(one) if frequency <= 1 else _tr(several).format(n=frequency)


def describe_next(when: datetime | None, now: datetime) -> str:
    if when is None or when <= now:
        return _tr("next as soon as the scheduler looks")
    if when.date() == now.date():
        return _tr("next at {time}").format(time=f"{when:%H:%M}")
    return _tr("next on {date} at {time}").format(date=f"{when:%Y-%m-%d}", time=f"{when:%H:%M}")


def describe_schedule(
    schedule: ScheduleInfo | None, background_host: str, now: datetime | None = None
) -> str:
    """ "Syncs every hour while ffdesk runs; next at 10:05", or the background service's
    wording when `background_host` (the host whose service holds the schedules) is given."""
    if schedule is None:
        return _tr("Syncs only when you click Sync now (its module schedules no sync).")
    if not schedule.active:
        return _tr(
            "Its scheduled sync is switched off: it syncs only when you click Sync now "
            "(ffdesk schedules on turns it back on)."
        )
    every = describe_every(schedule.frequency, schedule.unit)
    upcoming = describe_next(schedule.next_due, now or datetime.now())
    if background_host:
        return _tr("Syncs {every} in the background service on {host}; {next}.").format(
            every=every, host=background_host, next=upcoming
        )
    return _tr("Syncs {every} while ffdesk runs; {next}.").format(every=every, next=upcoming)
