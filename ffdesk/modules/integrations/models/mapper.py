"""IntegrationMapper (as the reference page writes it) and the link from sync runs."""

from ffdesk.engine.base import *


class IntegrationMapper(Model):
    _verbose_name = "Integration Mapper"
    # A local record maps to one remote object per integration, and back (SPEC 6).
    _unique_together = (("integration", "model", "local_id"), ("integration", "model", "remote_id"))

    local_id = Char(description="Document ID", max_length=255, required=True)
    remote_id = Char(description="Remote ID", max_length=255, required=True)
    integration = ManyToOne("Integration", related_name="mappings", on_delete="CASCADE")
    model = Char(description="Model", max_length=255, required=True)


class SyncRunIntegration(Model):
    """Each sync run belongs to an integration; deleting it deletes its runs."""

    __inherit__ = "SyncRun"

    integration = ManyToOne("Integration", related_name="sync_runs", on_delete="CASCADE")


class IntegrationMapperSyncState(Model):
    """When a mapped record was last sent, so a push sends only what changed since."""

    __inherit__ = "IntegrationMapper"

    synced_at = Datetime(description="Last Sent")
