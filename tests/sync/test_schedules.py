"""Schedules: calendar intervals, the `--every` syntax, and the scheduler's order and limit."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ffdesk.engine.errors import UserError
from ffdesk.sync.schedules import next_due_after, parse_every


@pytest.mark.parametrize(
    ("anchor", "frequency", "unit", "after", "expected"),
    [
        # Monthly from 31 January: the end of each month, never drifting to the 28th.
        (datetime(2027, 1, 31, 6), 1, "Months", datetime(2027, 1, 31, 6), datetime(2027, 2, 28, 6)),
        (datetime(2027, 1, 31, 6), 1, "Months", datetime(2027, 2, 28, 6), datetime(2027, 3, 31, 6)),
        (datetime(2028, 1, 31, 6), 1, "Months", datetime(2028, 2, 1), datetime(2028, 2, 29, 6)),
        (datetime(2027, 1, 31, 6), 3, "Months", datetime(2027, 2, 1), datetime(2027, 4, 30, 6)),
        # Yearly from 29 February: 28 February in common years, back to the 29th in leap years.
        (datetime(2028, 2, 29), 1, "Years", datetime(2028, 3, 1), datetime(2029, 2, 28)),
        (datetime(2028, 2, 29), 1, "Years", datetime(2031, 3, 1), datetime(2032, 2, 29)),
        # A machine that was off for days: the next time of the series, not each missed one.
        (
            datetime(2027, 5, 1, 8),
            2,
            "Hours",
            datetime(2027, 5, 4, 9, 30),
            datetime(2027, 5, 4, 10),
        ),
        (
            datetime(2027, 5, 1, 8),
            15,
            "Minutes",
            datetime(2027, 5, 1, 8),
            datetime(2027, 5, 1, 8, 15),
        ),
        (datetime(2027, 5, 1, 8), 1, "Days", datetime(2027, 4, 1), datetime(2027, 5, 2, 8)),
    ],
)
def test_next_due_follows_the_calendar(
    anchor: datetime, frequency: int, unit: str, after: datetime, expected: datetime
) -> None:
    assert next_due_after(anchor, frequency, unit, after) == expected


def test_every_month_for_a_year_lands_on_each_month_end() -> None:
    anchor = due = datetime(2027, 1, 31, 23, 0)
    days = []
    for _ in range(12):
        due = next_due_after(anchor, 1, "Months", due)
        days.append(due.day)
    assert days == [28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", (15, "Minutes")),
        ("2h", (2, "Hours")),
        ("1d", (1, "Days")),
        ("3mo", (3, "Months")),
        ("1y", (1, "Years")),
        (" 2H ", (2, "Hours")),
    ],
)
def test_every_is_read_as_number_and_unit(text: str, expected: tuple[int, str]) -> None:
    assert parse_every(text) == expected


@pytest.mark.parametrize("text", ["", "15", "m", "0h", "2 weeks", "-1d", "1.5h"])
def test_an_unreadable_interval_is_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(UserError) as refused:
        parse_every(text)
    assert str(refused.value) == (
        f"Cannot read the interval {text!r}: write a number and a unit, "
        "such as 15m, 2h, 1d, 1mo or 1y."
    )


def test_schedules_run_oldest_due_first_at_most_n_at_once_and_a_slow_one_blocks_no_other(
    tmp_path: Path,
) -> None:
    from tests.helpers.slow_module import open_slow_env

    async def main() -> None:
        async with open_slow_env(tmp_path, companies=6) as (system, control):
            from ffdesk.sync.scheduler import Scheduler

            Schedule = system.get_model("IntegrationSchedule")
            now = datetime.now()
            scheduler = Scheduler(system.env, max_runs=2, tick=0.01)
            await scheduler.run_due(wait=False)  # makes the schedules; all due at once
            await asyncio.wait([t for t, _j in scheduler._runs.values()])
            control.started.clear()
            control.finished.clear()
            control.max_at_once = 0
            # Due times a minute apart, company 6 the oldest, and slow.
            for offset, schedule in enumerate(await Schedule.order_by("-company").all()):
                schedule.next_due = now - timedelta(minutes=10 - offset)
                await schedule.save()
            control.slow_companies = {"Company 6"}
            scheduler.start()
            try:
                await control.wait_for(lambda: len(control.finished) >= 5, 10)
                assert control.max_at_once == 2
                # Oldest due first, and the slow one (started early) held one slot only.
                assert control.started[:2] == ["Company 6", "Company 5"]
                assert "Company 6" not in control.finished
                assert sorted(control.finished) == [f"Company {i}" for i in range(1, 6)]
            finally:
                control.release.set()
                await scheduler.stop()

    asyncio.run(main())
