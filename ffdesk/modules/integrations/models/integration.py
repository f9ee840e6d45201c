"""The Integration model (as the reference page writes it) and its base behaviour."""

from ffdesk.engine.base import *
from ffdesk.sync import (
    ConnectionResult,
    ConnectionUnreachable,
    CredentialsRejected,
    ProviderError,
    SyncCapability,
    credential_problems,
)


class Integration(Model):
    _verbose_name = "Integration"
    # Every change an administrator makes is in the audit trail; the manifest's facts, which
    # ffdesk copies in at each start, and the sync's own timestamps are not.
    _audit = True
    _audit_creation = False
    _audit_ignore = frozenset(
        {
            "name",
            "description",
            "image",
            "company",
            "module",
            "integration_category",
            "cron_sync_method",
            "last_synced_date",
        }
    )

    name = Char(description="Integration Name", max_length=100, required=True)
    description = Text(description="Description")
    image = File(description="Image")
    company = ManyToOne("Company", related_name="integrations", on_delete="CASCADE")
    enabled = Boolean(description="Enabled", default=False)
    module = ManyToOne("Module", related_name="integrations", on_delete="SET NULL")
    integration_category = Selection(
        choices=["Online Payment", "Messaging", "Shipping"],
        description="Integration Category",
        hint="Which category this integration belongs to (set from each module's manifest).",
    )
    cron_sync_method = Char(description="Cron Sync Method", max_length=100)
    last_synced_date = Datetime(description="Last Synced On")
    # Limits an administrator sets per integration; the sync runner reads them (ffdesk.sync).
    max_request_rate = Float(
        description="Request Rate Limit",
        hint=(
            "Requests per second at most. Empty: the provider's published limit. Only a lower "
            "value has an effect: lower it when other programs use the same account."
        ),
    )
    rate_limit_patience = Integer(
        description="Rate Limit Patience",
        hint="Seconds a sync waits out the provider's rate limit (HTTP 429) before it stops.",
        default=120,
    )
    max_run_minutes = Float(
        description="Maximum Run Time",
        hint="Minutes a sync may run before it stops; what was done by then is kept.",
        default=240,
    )

    async def get_state(self):
        """State is computed from module installation + enabled flag."""
        self.state = "Not Installed"
        await self.fetch_related("module")
        if self.module and self.module.state == "Installed":
            self.state = "Installed"
            if self.enabled:
                self.state = "Enabled"
        return self.state

    async def _check_installed(self):
        await self.fetch_related("module")
        if not self.module or self.module.state != "Installed":
            raise UserError(f"Install {self.name} before enabling it.")

    async def enable_integration(self):
        """Base of the enable chain: installed, fields filled and valid, connection not refused.

        Every field that stops it is named at once: the required fields of the form and the
        module's `check_credentials()`. Provider modules may check more first, then call super().
        """
        await self._check_installed()
        check_fields(self, env_ctx.get().form(self))
        try:
            result = await self.check_connection()
        except CredentialsRejected as exc:
            result = ConnectionResult("rejected", str(exc))
        except ProviderError as exc:
            # A provider that raises instead of answering: it could not be asked.
            result = ConnectionResult("unreachable", str(exc))
        if result.outcome == "rejected":
            raise UserError(result.message)
        if result.outcome == "unreachable" and not getattr(self, "_enable_anyway", False):
            raise ConnectionUnreachable(result)
        self.enabled = True
        await self.save()

    async def disable_integration(self):
        """Base of the disable chain."""
        self.enabled = False
        await self.save()

    def check_credentials(self):
        """Local checks of what was typed, as {field name: sentence}: the rules the record's
        module marks with `@credential_rules(IDENTIFIER)` (providers may also override).

        Optional (a module without rules still works): the form calls it as the user types, and
        Test connection and Enable call it before anything is sent. It reads the record, unsaved
        edits included, and never the network.
        """
        return credential_problems(self)

    def module_identifier(self):
        """The identifier of this integration's module, for checks that cannot await."""
        module = self.module
        return module.identifier if module is not None else None

    def record_dashboard_url(self, record, remote_id):
        """The provider's web page of one synced record (https), or None; providers that
        document such addresses override it with the detection pattern."""
        return None

    async def check_connection(self):
        """Test connection: ok / rejected / unreachable; providers override."""
        return ConnectionResult("ok", f"{self.name} has no connection to test.")

    async def sync_capability(self):
        """Whether Sync now is available, and if not, why."""
        return SyncCapability(False, f"{self.name} has nothing to sync.")

    async def sync_integration(self, run):
        """Run one sync; providers override with the detection pattern."""
        raise UserError(f"{self.name} has nothing to sync.")
