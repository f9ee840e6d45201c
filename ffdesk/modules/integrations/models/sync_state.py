"""Per-integration sync state: pull/push cursors, why a run failed, when to pause a schedule."""

from ffdesk.engine.base import *


class SyncCursor(Model):
    """How far one direction ("pull" or "push") of an integration's sync has got."""

    _verbose_name = "Sync Cursor"
    _unique_together = (("integration", "direction"),)

    integration = ManyToOne("Integration", related_name="sync_cursors", on_delete="CASCADE")
    direction = Char(description="Direction", max_length=16, required=True)
    position = Datetime(description="Up To")


class SyncRunFailureKind(Model):
    """What kind of failure ended a run, so a schedule can pause after repeated ones."""

    __inherit__ = "SyncRun"

    failure_kind = Char(description="Failure Kind", max_length=32)


class IntegrationSchedulePause(Model):
    """How many failed runs in a row (credentials, unreachable) pause the schedule."""

    __inherit__ = "Integration"

    pause_after_failures = Integer(
        description="Pause Schedule After",
        hint=(
            "Scheduled syncs stop after this many runs in a row fail because the provider "
            "rejected the credentials or could not be reached; a successful Sync now resumes "
            "them. 0 never pauses."
        ),
        default=5,
    )


class SyncRecordProblem(Model):
    """Why the last sync of one record failed, per integration (cleared once it syncs)."""

    _verbose_name = "Sync Problem"
    _unique_together = (("integration", "model", "local_id"),)

    integration = ManyToOne("Integration", related_name="record_problems", on_delete="CASCADE")
    model = Char(description="Model", max_length=255, required=True)
    local_id = Char(description="Document ID", max_length=255, required=True)
    error = Text(description="Last Error")
    when = Datetime(description="When")
