"""IntegrationSchedule: when each integration of each company syncs by itself."""

from ffdesk.engine.base import *

FREQUENCY_UNITS = ["Minutes", "Hours", "Days", "Months", "Years"]


class IntegrationSchedule(Model):
    """One schedule per (integration, company): every N units, paused or not, and when next.

    Its defaults come from the module's CronJob (the module's `cron_sync_method`); `anchor`
    is the first due time, so calendar intervals (months, years) never drift.
    """

    _verbose_name = "Schedule"
    _order = "id"

    integration = ManyToOne("Integration", related_name="schedules", on_delete="CASCADE")
    company = ManyToOne("Company", related_name="schedules", on_delete="CASCADE")
    frequency = Integer(description="Every", default=1)
    frequency_unit = Selection(choices=FREQUENCY_UNITS, default="Hours", description="Unit")
    active = Boolean(description="Active", default=True)
    anchor = Datetime(description="First Due")
    next_due = Datetime(description="Next Due", index=True)
    last_run = Datetime(description="Last Run")
    failures = Integer(description="Failed Runs In A Row", default=0)
