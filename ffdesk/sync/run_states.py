"""A run's state as people read it: a run that finished with failed records is "partial"."""

from __future__ import annotations

DONE = "done"
PARTIAL = "partial"
#: Every state a run can be read as (stored ones, plus `partial`), in the order people meet them.
SHOWN_RUN_STATES = ("running", DONE, PARTIAL, "failed", "cancelled")


def shown_run_state(state: str, failed: int) -> str:
    """`state` as stored, except that a finished ("done") run with failed records is "partial".

    Runs keep "done" in the database (older databases hold such runs too); the difference is
    read off the failed count here, once, for the window, the command line and its JSON.
    """
    return PARTIAL if state == DONE and failed else state
