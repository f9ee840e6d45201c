# ruff: noqa: F403, F405, SIM102
"""The reference page's model code, copied as the page writes it (only the import line changed).

Source: /work/shared/reference/fullfinity-integrations-page.md. The page's two
`MyServiceIntegration` classes (credentials, cron sync) are kept under the same name; the first
is also bound to `MyServiceCredentials` so that tests can list both declarations.
"""

from ffdesk.engine.base import *


class Integration(Model):
    _verbose_name = "Integration"

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

    async def get_state(self):
        """State is computed from module installation + enabled flag."""
        self.state = "Not Installed"
        await self.fetch_related("module")
        if self.module and self.module.state == "Installed":
            self.state = "Installed"
            if self.enabled:
                self.state = "Enabled"


class IntegrationMapper(Model):
    _verbose_name = "Integration Mapper"

    local_id = Char(description="Document ID", max_length=255, required=True)
    remote_id = Char(description="Remote ID", max_length=255, required=True)
    integration = ManyToOne("Integration", related_name="mappings", on_delete="CASCADE")
    model = Char(description="Model", max_length=255, required=True)


class MyServiceIntegration(Model):
    """Extends Integration with MyService-specific fields."""

    __inherit__ = "Integration"

    # Provider-specific credential fields
    api_key = Char(
        max_length=255,
        description="API Key",
        hint="Your MyService API key",
        company_scoped=True,
    )  # stored per-company
    api_secret = Char(max_length=255, description="API Secret", company_scoped=True)
    sandbox_mode = Boolean(description="Sandbox Mode", default=True)

    async def _is_my_service(self) -> bool:
        """Check if this integration is MyService."""
        await self.fetch_related("module")
        return self.module and self.module.identifier == "my_service"

    async def enable_integration(self):
        """Validate credentials before enabling."""
        if await self._is_my_service():
            if not self.api_key:
                raise UserError("Please enter your API Key before enabling.")
        await super().enable_integration()


MyServiceCredentials = MyServiceIntegration


class MyServiceIntegration(Model):  # the page declares it twice
    __inherit__ = "Integration"

    cron_sync_method = "sync_my_service"  # set sync method name (called by cron)

    async def sync_my_service(cls):
        """Cron job: sync data with MyService."""
        env = env_ctx.get()  # noqa: F841 (as on the page)
        Integration = get_model("Integration")
        integrations = await Integration.filter(
            module__identifier="my_service",
            enabled=True,
        ).all()  # all enabled MyService integrations
        for integration in integrations:
            await integration._do_sync()

    async def _do_sync(self):
        """Perform actual sync logic."""
        # fetch updates from external service, update local records
        self.last_synced_date = datetime.now()
        await self.save()


MyServiceCronSync = MyServiceIntegration

# The page's extensions live in the `my_service` module (ffdesk names it from the folder).
MyServiceCredentials._ffdesk_module = "my_service"
MyServiceCronSync._ffdesk_module = "my_service"


class IntegrationsBackbone(Model):
    """Not on the page: the `integrations` module's base `enable_integration` that the page's
    override reaches with `super()` (kept minimal for the tests)."""

    __inherit__ = "Integration"

    async def enable_integration(self):
        self.enabled = True
        await self.save()


#: The declarations in dependency order: base models, backbone, then the provider module.
PAGE_DECLARATIONS = [
    Integration,
    IntegrationMapper,
    IntegrationsBackbone,
    MyServiceCredentials,
    MyServiceCronSync,
]
BASE_DECLARATIONS = [Integration, IntegrationMapper]
