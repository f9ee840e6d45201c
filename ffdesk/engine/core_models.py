"""The models ffdesk itself defines: Company, Module, CompanyValue, UiView, CronJob, SyncRun,
AuditEntry."""

from __future__ import annotations

from ffdesk.engine.env import env_ctx
from ffdesk.engine.fields import JSON, Boolean, Char, Datetime, Integer, ManyToOne, Selection, Text
from ffdesk.engine.model import Model

MODULE_STATES = ["Not Installed", "Installed"]
FREQUENCY_UNITS = ["Minutes", "Hours", "Days", "Months", "Years"]
RUN_STATES = ["running", "done", "failed", "cancelled"]
RUN_TRIGGERS = ["manual", "schedule", "command line"]


class Company(Model):
    """A company the administrator acts for; integrations and secrets belong to one."""

    _ffdesk_module = "base"
    _verbose_name = "Company"
    _order = "id"

    _audit = True

    name = Char(description="Company Name", max_length=100, required=True, unique=True)

    async def delete(self) -> None:
        """Delete the company with its integrations (CASCADE) and every secret it owns."""
        cid = self.id
        registry = self._registry
        await super().delete()
        try:
            env = env_ctx.get()
        except LookupError:
            return
        if cid is None:
            return
        for model in registry.models.values():
            if model._company_scoped:
                for record_id in await model.all().ids():
                    for name in model._company_scoped:
                        if model._fields[name].secret:  # readable ones went with the company
                            env.secrets.delete(cid, model._name, record_id, name)
        if cid in env.cids:
            env.cids.remove(cid)


class Module(Model):
    """A discovered module: its manifest facts, installation state and problem (if any)."""

    _ffdesk_module = "base"
    _verbose_name = "Module"
    _order = "identifier"
    # Only installing and uninstalling is an administrator's change; the rest is discovery.
    _audit = True
    _audit_creation = False
    _audit_ignore = frozenset(
        {
            "name",
            "version",
            "category",
            "integration_category",
            "description",
            "icon",
            "image",
            "path",
            "problem",
            "implicit",
            "sequence",
            "identifier",
        }
    )

    identifier = Char(description="Identifier", max_length=100, required=True, unique=True)
    name = Char(description="Name", max_length=255)
    version = Char(description="Version", max_length=50)
    category = Char(description="Category", max_length=100)
    integration_category = Char(description="Integration Category", max_length=100)
    description = Text(description="Description")
    icon = Char(description="Icon", max_length=100)
    image = Text(description="Image")
    path = Text(description="Folder")
    state = Selection(choices=MODULE_STATES, default="Not Installed", description="State")
    problem = Text(description="Problem")
    implicit = Boolean(description="Installed automatically", default=False)
    sequence = Integer(description="Install order", default=0)


class CompanyValue(Model):
    """A company-scoped value that is not a secret (a field declared with `secret=False`):
    one row per (company, model, record, field), readable like any stored value."""

    _ffdesk_module = "base"
    _verbose_name = "Company Value"
    _unique_together = (("company", "model", "record_id", "field"),)

    company = ManyToOne("Company", related_name="company_values", on_delete="CASCADE")
    model = Char(description="Model", max_length=100, required=True)
    record_id = Integer(description="Record", required=True)
    field = Char(description="Field", max_length=100, required=True)
    value = Text(description="Value")


class UiView(Model):
    """A view definition (data record): identifier, model, type and arch."""

    _ffdesk_module = "base"
    _verbose_name = "View"

    identifier = Char(description="Identifier", max_length=255, required=True, index=True)
    model = Char(description="Model", max_length=100)
    type = Char(description="Type", max_length=50)
    inherit = Char(description="Extends", max_length=255, index=True)
    arch = JSON(description="Arch")
    module = Char(description="Module", max_length=100, index=True)
    file = Char(description="File", max_length=255)
    sequence = Integer(description="Load order", default=0)


class CronJob(Model):
    """A scheduled call of `await Model.method()` every `frequency` `frequency_unit`."""

    _ffdesk_module = "base"
    _verbose_name = "Scheduled Job"
    _audit = True
    _audit_creation = False  # made by installing a module (that install is the entry)
    _audit_ignore = frozenset({"last_run", "name", "model", "method", "module", "identifier"})

    identifier = Char(description="Identifier", max_length=255, required=True, unique=True)
    name = Char(description="Name", max_length=255)
    model = Char(description="Model", max_length=100, required=True)
    method = Char(description="Method", max_length=100, required=True)
    frequency = Integer(description="Every", default=1)
    frequency_unit = Selection(choices=FREQUENCY_UNITS, default="Hours", description="Unit")
    active = Boolean(description="Active", default=True)
    last_run = Datetime(description="Last Run")
    module = Char(description="Module", max_length=100, index=True)


class SyncRun(Model):
    """One run of an integration's sync: who asked, when, how it ended and its counts."""

    _ffdesk_module = "base"
    _verbose_name = "Sync Run"
    _order = "-id"

    company = ManyToOne("Company", related_name="sync_runs", on_delete="CASCADE")
    module_identifier = Char(description="Module", max_length=100, index=True)
    trigger = Selection(choices=RUN_TRIGGERS, default="manual", description="Trigger")
    state = Selection(choices=RUN_STATES, default="running", description="State", index=True)
    started = Datetime(description="Started")
    finished = Datetime(description="Finished")
    heartbeat = Datetime(description="Heartbeat")
    owner_pid = Integer(description="Process")
    owner_host = Char(description="Host", max_length=255)
    created = Integer(description="Created", default=0)
    updated = Integer(description="Updated", default=0)
    skipped = Integer(description="Skipped", default=0)
    failed = Integer(description="Failed", default=0)
    done = Integer(description="Done", default=0)
    total = Integer(description="Total")
    error = Text(description="Error")
    log = JSON(description="Log", default=list)
    # Why a cancelled run stopped when nobody pressed Cancel ("closed": ffdesk was closed).
    stop_reason = Char(description="Stop Reason", max_length=32)


class AuditEntry(Model):
    """One configuration change: when, which OS user on which computer, what, old and new."""

    _ffdesk_module = "base"
    _verbose_name = "Audit Entry"
    _order = "-id"

    when = Datetime(description="When", index=True)
    os_user = Char(description="User", max_length=100)
    host = Char(description="Computer", max_length=255)
    # A plain id, not a relation: deleting a company must not delete its trail.
    company_id = Integer(description="Company", index=True)
    model = Char(description="Model", max_length=100, index=True)
    record_id = Integer(description="Record", index=True)
    subject = Char(description="Subject", max_length=255)
    action = Char(description="Action", max_length=20)
    changes = JSON(description="Changes", default=list)


CORE_MODELS: tuple[type[Model], ...] = (
    Company,
    Module,
    CompanyValue,
    UiView,
    CronJob,
    SyncRun,
    AuditEntry,
)


def core_declarations() -> list[type[Model]]:
    return list(CORE_MODELS)
