"""Translated names of the states and triggers the services report as plain English keys."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

# Marked for lupdate; the services keep using the English words as keys.
_STATES = (
    QT_TRANSLATE_NOOP("States", "Not Installed"),
    QT_TRANSLATE_NOOP("States", "Installed"),
    QT_TRANSLATE_NOOP("States", "Enabled"),
    QT_TRANSLATE_NOOP("States", "Unavailable"),
    QT_TRANSLATE_NOOP("States", "Syncing"),
)
_RUN_STATES = {
    "running": QT_TRANSLATE_NOOP("States", "Running"),
    "done": QT_TRANSLATE_NOOP("States", "Done"),
    # Finished, but some records failed (`ffdesk.sync.run_states.PARTIAL`).
    "partial": QT_TRANSLATE_NOOP("States", "Done with failures"),
    "failed": QT_TRANSLATE_NOOP("States", "Failed"),
    "cancelled": QT_TRANSLATE_NOOP("States", "Cancelled"),
}
# A cancelled run that nobody cancelled, by `SyncRun.stop_reason`.
_STOP_REASONS = {"closed": QT_TRANSLATE_NOOP("States", "Stopped")}
_TRIGGERS = {
    "manual": QT_TRANSLATE_NOOP("States", "Manual"),
    "schedule": QT_TRANSLATE_NOOP("States", "Schedule"),
    "command line": QT_TRANSLATE_NOOP("States", "Command line"),
}


#: The run states and triggers the tables can show (their widths are measured on these).
RUN_STATES = tuple(_RUN_STATES)
TRIGGERS = tuple(_TRIGGERS)


def state_label(state: str) -> str:
    """An integration state ("Enabled", ...) in the user's language."""
    return QCoreApplication.translate("States", state)


def run_state_label(state: str, stop_reason: str | None = None) -> str:
    """A sync run's state ("done", ...) as a capitalised word in the user's language;
    "Stopped" for a run stopped by closing ffdesk rather than by Cancel."""
    label = _STOP_REASONS.get(stop_reason or "") or _RUN_STATES.get(state)
    return QCoreApplication.translate("States", label) if label else state.capitalize()


def trigger_label(trigger: str) -> str:
    """What started a run ("manual", "schedule", ...) in the user's language."""
    label = _TRIGGERS.get(trigger)
    return QCoreApplication.translate("States", label) if label else trigger.capitalize()
