"""When a schedule stops running an integration: after N runs in a row fail the same hopeless way.

Runs that fail because the provider rejected the credentials or could not be reached will
fail again until someone acts; running them every few minutes only burns the rate limit and
fills the history. After `Integration.pause_after_failures` such runs in a row (default 5),
scheduled runs skip the integration; the window and `ffdesk integrations list` say why. The
pause is read from the run history, so a successful run of any kind (Sync now) resumes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ffdesk.engine.env import current_env
from ffdesk.sync.errors import CredentialsRejected, ProviderUnavailable

if TYPE_CHECKING:
    from ffdesk.engine.model import Model

DEFAULT_PAUSE_AFTER = 5
CREDENTIALS = "credentials"
UNREACHABLE = "unreachable"


def failure_kind(error: BaseException) -> str | None:
    """The kind of failure that pauses a schedule, or None for any other failure."""
    if isinstance(error, CredentialsRejected):
        return CREDENTIALS
    if isinstance(error, ProviderUnavailable):
        return UNREACHABLE
    return None


def _provider(integration: Model) -> str:
    return integration.name or "The provider"


def _reason(integration: Model, kind: str) -> str:
    if kind == CREDENTIALS:
        return f"{_provider(integration)} rejected the credentials"
    return f"{_provider(integration)} could not be reached"


@dataclass(frozen=True)
class SchedulePause:
    """A paused schedule: after how many failed runs, and why (for the window and the CLI)."""

    failed_runs: int
    reason: str

    @property
    def message(self) -> str:
        return f"scheduled sync paused after {self.failed_runs} failed runs: {self.reason}"


def pause_after(integration: Model) -> int:
    value = getattr(integration, "pause_after_failures", None)
    return DEFAULT_PAUSE_AFTER if value is None else int(value)


async def schedule_pause(integration: Model) -> SchedulePause | None:
    """The pause of `integration`'s scheduled sync, or None when scheduled runs go ahead.

    Paused when its last N finished runs (N = `pause_after_failures`; 0 never pauses) all
    failed for credentials or an unreachable provider.
    """
    limit = pause_after(integration)
    if limit <= 0:
        return None
    SyncRun = current_env().registry["SyncRun"]
    runs = (
        await SyncRun.filter(integration=integration.id, state__neq="running")
        .order_by("-id")
        .limit(limit)
        .all()
    )
    if len(runs) < limit:
        return None
    kinds = [getattr(run, "failure_kind", None) for run in runs]
    if any(run.state != "failed" or kind is None for run, kind in zip(runs, kinds, strict=True)):
        return None
    return SchedulePause(failed_runs=limit, reason=_reason(integration, kinds[0]))


__all__ = [
    "CREDENTIALS",
    "DEFAULT_PAUSE_AFTER",
    "UNREACHABLE",
    "SchedulePause",
    "failure_kind",
    "pause_after",
    "schedule_pause",
]
