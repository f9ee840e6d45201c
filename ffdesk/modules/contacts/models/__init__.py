"""The Contact model."""

from ffdesk.engine.base import *


class Contact(Model):
    """A person or company with an email and a phone number."""

    _verbose_name = "Contact"
    # The records workspace (ffdesk records, the Records area) may create and edit them.
    _records_create = True
    _records_edit = True

    name = Char(description="Name", max_length=255, required=True)
    email = Char(description="Email", max_length=255, index=True)
    phone = Char(description="Phone", max_length=64)
    company = ManyToOne("Company", related_name="contacts", on_delete="CASCADE")
    # When the contact last changed, so pushes send only what changed since last sent.
    write_date = Datetime(description="Last Modified", index=True)

    async def save(self):
        if self._dirty - {"write_date"}:
            self.write_date = datetime.now()
        await super().save()
