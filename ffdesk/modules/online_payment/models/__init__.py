"""The PaymentTransaction model."""

from ffdesk.engine.base import *


class PaymentTransaction(Model):
    """A payment as a provider reports it (pulled by Sync now)."""

    _verbose_name = "Payment Transaction"
    _verbose_name_plural = "Payments"
    _order = "-date"
    # The records workspace lists a company's payments newest first, 100,000 of them at a
    # time: filter and order come straight from this index.
    _index_together = (("company", "date"),)

    reference = Char(description="Reference", max_length=255, index=True)
    amount = Monetary(description="Amount", currency_field="currency")
    currency = Char(description="Currency", max_length=3)
    state = Selection(
        choices=["pending", "authorized", "done", "cancelled", "failed", "refunded"],
        description="Status",
        default="pending",
    )
    provider_status = Char(description="Provider Status", max_length=64)
    date = Datetime(description="Date", index=True)
    description = Text(description="Description")
    customer_remote_id = Char(description="Provider Customer", max_length=255)
    contact = ManyToOne("Contact", related_name="payment_transactions", on_delete="SET NULL")
    integration = ManyToOne("Integration", related_name="payment_transactions", on_delete="CASCADE")
    company = ManyToOne("Company", related_name="payment_transactions", on_delete="CASCADE")
