"""One sync run in detail (the window's run detail and `ffdesk runs --run ID`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ffdesk.engine.errors import UserError
from ffdesk.sync.run_states import shown_run_state
from ffdesk.sync.runner import COUNT_KINDS, reap_interrupted

if TYPE_CHECKING:
    from ffdesk.engine.model import Model
    from ffdesk.engine.system import System


@dataclass(frozen=True)
class RecordFailure:
    """One record a run could not sync, with the reason (already redacted when stored)."""

    record: str
    reason: str
    direction: str = "pull"


@dataclass(frozen=True)
class RunDetail:
    """Everything known about one run: times, trigger, counts per direction, failures, log."""

    run_id: int
    integration: str
    module: str | None
    trigger: str
    state: str
    started: datetime | None
    finished: datetime | None
    created: int
    updated: int
    skipped: int
    failed: int
    error: str | None
    #: Why a cancelled run stopped when nobody pressed Cancel ("closed": ffdesk was closed).
    stop_reason: str | None = None
    #: {"push": {"created": n, "updated": n, "skipped": n, "failed": n}, "pull": {...}}
    directions: dict[str, dict[str, int]] = field(default_factory=dict)
    failures: tuple[RecordFailure, ...] = ()
    log: tuple[str, ...] = ()

    @property
    def first_failure(self) -> str | None:
        """The first failed record as "record: reason" (None: none failed or none recorded)."""
        if not self.failures:
            return None
        first = self.failures[0]
        return f"{first.record}: {first.reason}"

    @property
    def duration(self) -> float | None:
        """Seconds from start to end (None while it runs or if never started)."""
        if self.started is None or self.finished is None:
            return None
        return max(0.0, (self.finished - self.started).total_seconds())

    def as_dict(self) -> dict[str, Any]:
        """The command line's JSON shape of a run, log included."""
        return {
            **summary_row(self),
            "log": list(self.log),
        }


def _directions(stored: Any) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    if isinstance(stored, dict):
        for name, counts in stored.items():
            if isinstance(counts, dict):
                found[str(name)] = {k: int(counts.get(k) or 0) for k in COUNT_KINDS}
    return found


def _failures(stored: Any) -> tuple[RecordFailure, ...]:
    if not isinstance(stored, list):
        return ()
    return tuple(
        RecordFailure(
            str(item.get("record", "")),
            str(item.get("reason", "")),
            str(item.get("direction", "pull")),
        )
        for item in stored
        if isinstance(item, dict)
    )


#: The SyncRun fields a RunDetail is made of, its id and log aside (the window's history reads
#: these for many runs at once, in one query, and leaves the log out).
RUN_FIELDS = (
    "module_identifier",
    "trigger",
    "state",
    "started",
    "finished",
    "created",
    "updated",
    "skipped",
    "failed",
    "error",
    "stop_reason",
    "directions",
    "failures",
)


def detail_from(values: Mapping[str, Any], integration_name: str | None = None) -> RunDetail:
    """A RunDetail from a SyncRun's field values by name ("id" and RUN_FIELDS, "log" if read);
    one left out reads as empty."""
    module = values.get("module_identifier")
    failed = values.get("failed") or 0
    return RunDetail(
        run_id=int(values["id"]),
        integration=integration_name or module or "",
        module=module,
        trigger=values.get("trigger") or "",
        state=shown_run_state(values.get("state") or "", failed),
        started=values.get("started"),
        finished=values.get("finished"),
        created=values.get("created") or 0,
        updated=values.get("updated") or 0,
        skipped=values.get("skipped") or 0,
        failed=failed,
        error=values.get("error"),
        stop_reason=values.get("stop_reason"),
        directions=_directions(values.get("directions")),
        failures=_failures(values.get("failures")),
        log=tuple(str(line) for line in (values.get("log") or [])),
    )


def detail_of(run: Model, integration_name: str | None = None) -> RunDetail:
    """A SyncRun record as a RunDetail, its log included."""
    names = ("id", *RUN_FIELDS, "log")
    return detail_from({name: getattr(run, name, None) for name in names}, integration_name)


async def run_detail(system: System, run_id: int) -> RunDetail:
    """The run `run_id` of the active company, or a UserError saying there is none."""
    await reap_interrupted()
    SyncRun = system.registry["SyncRun"]
    run = await SyncRun.filter(id=run_id, company=system.env.cid).first()
    if run is None:
        raise UserError(f"There is no sync run {run_id} in this company.")
    name = None
    if "integration" in SyncRun._fields and run.integration_id is not None:
        Integration = system.registry["Integration"]
        record = await Integration.filter(id=run.integration_id).first()
        name = record.name if record is not None else None
    return detail_of(run, name)


def summary_row(detail: RunDetail) -> dict[str, Any]:
    """A run as one row of `ffdesk runs --json` (no log lines)."""
    return {
        "id": detail.run_id,
        "integration": detail.module,
        "trigger": detail.trigger,
        "state": detail.state,
        "started": detail.started,
        "finished": detail.finished,
        "duration_seconds": None if detail.duration is None else round(detail.duration, 1),
        "created": detail.created,
        "updated": detail.updated,
        "skipped": detail.skipped,
        "failed": detail.failed,
        "error": detail.error,
        "stop_reason": detail.stop_reason,
        "pushed": detail.directions.get("push", dict.fromkeys(COUNT_KINDS, 0)),
        "pulled": detail.directions.get("pull", dict.fromkeys(COUNT_KINDS, 0)),
        "failures": [
            {"record": f.record, "reason": f.reason, "direction": f.direction}
            for f in detail.failures
        ],
    }


def detail_text(detail: RunDetail) -> str:
    """`ffdesk runs --run ID` for people."""
    when = "%Y-%m-%d %H:%M:%S"
    lines = [
        f"Run {detail.run_id} of {detail.integration} ({detail.trigger}): {detail.state}",
        f"  started   {detail.started:{when}}" if detail.started else "  started   -",
        f"  finished  {detail.finished:{when}}" if detail.finished else "  finished  -",
    ]
    if detail.duration is not None:
        lines.append(f"  duration  {detail.duration:.1f} s")
    for name, label in (("push", "pushed"), ("pull", "pulled")):
        counts = detail.directions.get(name)
        if counts:
            lines.append(f"  {label:<9} " + ", ".join(f"{counts[k]} {k}" for k in COUNT_KINDS))
    if detail.error:
        lines.append(f"  error     {detail.error}")
    if detail.failed:
        lines.append(f"Failed records ({detail.failed}):")
        lines.extend(f"  {f.record}: {f.reason}" for f in detail.failures)
        if detail.failed > len(detail.failures):
            lines.append(f"  ... and {detail.failed - len(detail.failures)} more (see the log)")
    if detail.log:
        lines.append("Log:")
        lines.extend(f"  {line}" for line in detail.log)
    return "\n".join(lines)
