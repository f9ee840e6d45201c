"""The Shipment model: a parcel and its latest tracking status."""

from ffdesk.engine.base import *

STATUSES = ["Label Created", "In Transit", "Out for Delivery", "Delivered", "Exception", "Unknown"]


class Shipment(Model):
    """A parcel sent with a carrier; Sync now refreshes its tracking until it is delivered."""

    _verbose_name = "Shipment"
    # A user adds tracking numbers to follow (and may correct one).
    _records_create = True
    _records_edit = True
    _order = "-id"
    # A tracking number names one parcel of one carrier; each company keeps its own list.
    _unique_together = (("company", "carrier", "tracking_number"),)

    tracking_number = Char(
        description="Tracking Number",
        max_length=64,
        required=True,
        index=True,
        hint="The carrier's tracking number, e.g. 1Z999AA10123456784 for UPS.",
    )
    carrier = Char(description="Carrier", max_length=32, default="UPS")
    service = Char(description="Service", max_length=100)
    status = Selection(choices=list(STATUSES), description="Status", default="Unknown")
    status_description = Char(description="Status Detail", max_length=255)
    last_event = Text(description="Last Event")
    last_event_date = Datetime(description="Last Event On")
    last_location = Char(description="Last Location", max_length=255)
    delivered_date = Datetime(description="Delivered On")
    tracked_at = Datetime(description="Last Tracked")
    integration = ManyToOne("Integration", related_name="shipments", on_delete="SET NULL")
    company = ManyToOne("Company", related_name="shipments", on_delete="CASCADE")

    async def save(self):
        number = self.tracking_number
        if isinstance(number, str):
            # Tracking numbers are printed in groups ("1Z 999 AA1 01 2345 6784"): store them
            # without spaces, in capitals, so the same parcel is never entered twice.
            normalized = "".join(number.split()).upper()
            if normalized != number:
                self.tracking_number = normalized
        await super().save()
