"""The Message model: queued outgoing messages and their delivery statuses."""

from ffdesk.engine.base import *

MESSAGE_STATUSES = [
    "queued",
    "sending",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "received",
]


class Message(Model):
    """An SMS (or other message) to send or received, with its provider status."""

    _verbose_name = "Message"
    # A user may queue a message (a test SMS); what was sent is never edited.
    _records_create = True

    to = Phone(description="To", max_length=64, required=True)
    sender = Char(description="From", max_length=64)
    body = Text(description="Message", required=True)
    direction = Selection(
        choices=["outbound", "inbound"], default="outbound", description="Direction"
    )
    status = Selection(choices=MESSAGE_STATUSES, default="queued", description="Status", index=True)
    remote_id = Char(description="Provider Message ID", max_length=64, index=True)
    error = Text(description="Error")
    date_sent = Datetime(description="Sent On")
    contact = ManyToOne("Contact", related_name="messages", on_delete="SET NULL")
    integration = ManyToOne("Integration", related_name="messages", on_delete="SET NULL")
    company = ManyToOne("Company", related_name="messages", on_delete="CASCADE")
    # What the provider reports besides the status (e.g. Twilio's error_code and price).
    error_code = Char(description="Error Code", max_length=16)
    price = Monetary(description="Price", currency_field="price_unit")
    price_unit = Char(description="Price Currency", max_length=8)
    status_updated = Datetime(description="Status Updated")
