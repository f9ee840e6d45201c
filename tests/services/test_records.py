"""The records service: models offered, merged List columns, paging, search, Q filters,
one record's form and mappings, create and update with the engine's validation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ffdesk.api import open_system
from ffdesk.engine.errors import MissingError, ValidationError
from ffdesk.engine.q import Q
from ffdesk.engine.system import System
from ffdesk.services.records import RecordsService, RecordsUsageError
from tests.helpers.database import database_url, dump_text
from tests.helpers.env import ModuleSpec, write_module


@asynccontextmanager
async def opened(tmp_path: Path, *modules: str) -> AsyncIterator[tuple[System, RecordsService]]:
    system = await open_system(database_url(tmp_path / "records.db"))
    try:
        for identifier in modules:
            await system.install_module(identifier)
        yield system, RecordsService(system)
    finally:
        await system.close()


def run(tmp_path: Path, modules: tuple[str, ...], body: Callable[..., Awaitable[Any]]) -> Any:
    async def scenario() -> Any:
        async with opened(tmp_path, *modules) as (system, service):
            return await body(system, service)

    return asyncio.run(scenario())


ALL = ("payment_stripe", "sms_twilio", "shipping_ups")


def test_models_offered_with_labels_and_per_integration(tmp_path: Path) -> None:
    async def body(system: System, service: RecordsService) -> None:
        offered = {i.name: i for i in service.models()}
        assert list(offered) == ["Contact", "Message", "PaymentTransaction", "Shipment"]
        assert offered["PaymentTransaction"].plural_label == "Payments"
        assert offered["Contact"].can_create and offered["Contact"].can_edit
        assert offered["Message"].can_create and not offered["Message"].can_edit
        assert not offered["PaymentTransaction"].can_create
        assert [i.name for i in service.models("payment_stripe")] == [
            "Contact",
            "PaymentTransaction",
        ]
        assert [i.name for i in service.models("sms_twilio")] == ["Message"]
        assert [i.name for i in service.models("shipping_ups")] == ["Shipment"]
        # Any spelling a user would type names the same model.
        assert service.model_info("payments").name == "PaymentTransaction"
        with pytest.raises(RecordsUsageError) as caught:
            service.model_info("Invoice")
        assert str(caught.value) == (
            "There is no record type 'Invoice' (offered: Contact, Message, "
            "PaymentTransaction, Shipment)."
        )

    run(tmp_path, ALL, body)


def test_a_provider_model_is_offered_only_once_its_module_is_installed(tmp_path: Path) -> None:
    async def body(system: System, service: RecordsService) -> None:
        assert "Shipment" not in {i.name for i in service.models()}
        await system.install_module("shipping_ups")
        assert "Shipment" in {i.name for i in service.models()}
        await system.uninstall_module("shipping_ups")
        assert "Shipment" not in {i.name for i in service.models()}

    run(tmp_path, ("payment_stripe",), body)


def test_columns_come_from_the_merged_list_view(tmp_path: Path) -> None:
    async def body(system: System, service: RecordsService) -> None:
        names = [c.name for c in service.columns("Message")]
        assert names[:2] == ["to", "body"]
        # sms_twilio's extension (__inherit__ message_list_view) placed its two columns.
        assert names.index("error_code") == names.index("status") + 1
        assert names.index("price") == names.index("date_sent") + 1

    run(tmp_path, ("sms_twilio",), body)
    other = tmp_path / "other"
    other.mkdir()

    async def without_twilio(system: System, service: RecordsService) -> None:
        names = [c.name for c in service.columns("Message")]
        assert "error_code" not in names and "price" not in names

    run(other, ("messaging",), without_twilio)


async def _payments(system: System, count: int, **values: Any) -> None:
    Payment = system.registry["PaymentTransaction"]
    start = datetime(2026, 1, 1, 9, 0)
    async with system.db.transaction():
        for i in range(count):
            await Payment.create(
                reference=f"pi_{i:04d}",
                amount=Decimal(i) + Decimal("0.50"),
                currency="EUR",
                state="done" if i % 3 else "failed",
                date=start + timedelta(hours=i),
                description=f"Order {i} for {'Acme' if i % 5 == 0 else 'Globex'}",
                company=system.env.cid,
                **values,
            )


def test_count_pages_sort_search_and_filter(tmp_path: Path) -> None:
    async def body(system: System, service: RecordsService) -> None:
        await _payments(system, 30)
        listing = service.listing("PaymentTransaction")
        assert await listing.count() == 30
        first = await listing.page(0, 10)
        # The model's own order: newest first.
        assert [r.values["reference"] for r in first[:2]] == ["pi_0029", "pi_0028"]
        assert first[0].texts["amount"] == "29.50"
        rest = await listing.page(10, 100)
        assert len(rest) == 20 and {r.id for r in rest}.isdisjoint(r.id for r in first)
        ids = await listing.ids()
        assert [r.id for r in await listing.rows(ids[12:15])] == ids[12:15]

        by_amount = service.listing("PaymentTransaction", sort="amount")
        assert (await by_amount.page(0, 1))[0].values["reference"] == "pi_0000"

        acme = service.listing("PaymentTransaction", search="acme")
        assert await acme.count() == 6
        failed = service.listing("PaymentTransaction", filter="Q(state='failed')")
        assert await failed.count() == 10
        both = service.listing("PaymentTransaction", filter="Q(state='failed')", search="ACME")
        assert {r.values["reference"] for r in await both.page(0, 50)} == {
            "pi_0000",
            "pi_0015",
        }

    run(tmp_path, ("online_payment",), body)


def test_search_finds_what_icontains_finds_whatever_the_letters(tmp_path: Path) -> None:
    names = ["ACME GmbH", "Straße 5", "STRASSE 9", "50%_off", "fünf", "Σίσυφος", "plain", None]

    async def body(system: System, service: RecordsService) -> None:
        Contact = system.registry["Contact"]
        for i, name in enumerate(names):
            await Contact.create(name=f"c{i}", email=name, company=system.env.cid)
        for needle in ("acme", "strasse", "STRASSE", "%_", "_", "%", "FÜNF", "σίσυφοσ", "x"):
            listing = service.listing("Contact", search=needle)
            found = {r.values["email"] for r in await listing.page(0, 100)}
            expected = {
                c.email
                for c in await Contact.filter(
                    Q(name__icontains=needle)
                    | Q(email__icontains=needle)
                    | Q(phone__icontains=needle)
                ).all()
            }
            assert found == expected, needle
            assert await listing.count() == len(expected)
        assert {
            r.values["email"] for r in await service.listing("Contact", search="strasse").page()
        } == {"Straße 5", "STRASSE 9"}

    run(tmp_path, ("contacts",), body)


def test_a_bad_filter_says_what_views_say(tmp_path: Path) -> None:
    async def body(system: System, service: RecordsService) -> None:
        Payment = system.registry["PaymentTransaction"]
        for text in ("Q(nope=1)", "Q(state=", "Q(amount__gt='many')", "__import__('os')"):
            with pytest.raises(RecordsUsageError) as caught:
                service.listing("PaymentTransaction", filter=text)
            with pytest.raises(ValidationError) as same:
                Payment.filter(text)
            assert str(caught.value) == str(same.value)
            assert "Error" not in str(caught.value)
        with pytest.raises(RecordsUsageError) as caught:
            service.listing("PaymentTransaction", sort="color")
        assert str(caught.value).startswith(
            "PaymentTransaction lists cannot be sorted by 'color' (columns: amount,"
        )

    run(tmp_path, ("online_payment",), body)


def test_only_the_active_company_records_are_listed(tmp_path: Path) -> None:
    async def body(system: System, service: RecordsService) -> None:
        await service.create("Contact", {"name": "Ours"})
        other = await system.add_company("Other Ltd")
        Contact = system.registry["Contact"]
        theirs = await Contact.create(name="Theirs", company=other.id)
        assert [r.values["name"] for r in await service.listing("Contact").page()] == ["Ours"]
        with pytest.raises(MissingError) as caught:
            await service.detail("Contact", theirs.id)
        assert str(caught.value) == f"There is no Contact #{theirs.id} in this company."

    run(tmp_path, ("contacts",), body)


def test_create_and_update_a_contact_with_engine_validation(tmp_path: Path) -> None:
    async def body(system: System, service: RecordsService) -> None:
        ann = await service.create("Contact", {"name": "Ann", "email": "ann@example.org"})
        assert ann.company_id == system.env.cid
        await service.update("Contact", ann.id, {"phone": "+44 20 7946 0958"})
        detail = await service.detail("Contact", ann.id)
        shown = {f.name: f.text for f in detail.fields}
        assert shown["phone"] == "+44 20 7946 0958"
        assert detail.title == "Ann"

        with pytest.raises(ValidationError) as caught:
            await service.create("Contact", {"email": "x@example.org"})
        assert str(caught.value) == "Please fill in Name."
        with pytest.raises(ValidationError) as caught:
            await service.create("Contact", {"name": "N" * 300})
        assert "Contact.name" in str(caught.value) and "255" in str(caught.value)
        with pytest.raises(RecordsUsageError) as caught:
            await service.update("Contact", ann.id, {"colour": "blue"})
        assert str(caught.value) == (
            "Contact has no field 'colour' to fill in (fields: name, email, phone)."
        )
        with pytest.raises(ValidationError) as caught:
            await service.update("Contact", ann.id, {"write_date": "2026-01-01"})
        assert str(caught.value) == "Last Modified of a Contact cannot be changed."
        # Nothing of the refused changes was written.
        assert await system.registry["Contact"].count() == 1

    run(tmp_path, ("contacts",), body)


def test_a_csv_import_reports_bad_rows_by_line(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text("name,email,phone\nAda,ada@example.org,\n,nobody@example.org,\nBo,bad,\n")

    async def body(system: System, service: RecordsService) -> None:
        report = await service.import_contacts(people)
        assert report.created == 1
        assert report.errors == [
            "line 3: the name is empty",
            "line 4: 'bad' is not an email address",
        ]
        assert [r.values["name"] for r in await service.listing("Contact").page()] == ["Ada"]

    run(tmp_path, ("contacts",), body)


def test_payments_cannot_be_created_by_hand(tmp_path: Path) -> None:
    async def body(system: System, service: RecordsService) -> None:
        with pytest.raises(Exception) as caught:
            await service.create("PaymentTransaction", {"reference": "x"})
        assert str(caught.value) == "Payments cannot be created here."

    run(tmp_path, ("online_payment",), body)


def test_integration_scope_lists_owned_and_mapped_records(tmp_path: Path) -> None:
    async def body(system: System, service: RecordsService) -> None:
        stripe = await system.integration("payment_stripe")
        await _payments(system, 4, integration=stripe.id)
        await _payments(system, 2)  # another provider's (no integration)
        a = await service.create("Contact", {"name": "A"})
        await service.create("Contact", {"name": "B"})
        Mapper = system.registry["IntegrationMapper"]
        await Mapper.create(
            integration=stripe.id, model="Contact", local_id=str(a.id), remote_id="cus_A"
        )
        scoped = service.listing("PaymentTransaction", integration="payment_stripe")
        assert await scoped.count() == 4
        contacts = service.listing("Contact", integration="payment_stripe")
        assert [r.values["name"] for r in await contacts.page()] == ["A"]
        mappings = await service.mappings("Contact", a.id)
        assert [(m.integration, m.remote_id) for m in mappings] == [("payment_stripe", "cus_A")]
        with pytest.raises(RecordsUsageError) as caught:
            service.listing("Contact", integration="payment_nope")
        assert str(caught.value) == "There is no integration 'payment_nope' in this company."

    run(tmp_path, ("payment_stripe",), body)


VAULT_MODELS = """
from ffdesk.engine.base import *


class VaultNote(Model):
    _records_create = True
    _records_edit = True

    name = Char(max_length=50, required=True)
    pin = Char(max_length=20, company_scoped=True)
    label = Char(max_length=20, company_scoped=True, secret=False)
"""

VAULT_VIEWS = """
- data_type: UiView
  identifier: vault_note_list_view
  model: VaultNote
  type: List
  arch:
  - {type: field, name: name}
  - {type: field, name: pin}
  - {type: field, name: label}
- data_type: UiView
  identifier: vault_note_form_view
  model: VaultNote
  type: Form
  arch:
  - {type: field, name: name}
  - {type: field, name: pin}
  - {type: field, name: label}
"""


def test_a_records_form_never_shows_a_secret(tmp_path: Path) -> None:
    root = write_module(
        tmp_path / "extra",
        ModuleSpec("vault", models=VAULT_MODELS, files={"views/vault.yaml": VAULT_VIEWS}),
    )
    url = database_url(tmp_path / "vault.db")

    async def scenario() -> None:
        system = await open_system(url, [root.parent])
        try:
            await system.install_module("vault")
            service = RecordsService(system)
            assert [c.name for c in service.columns("VaultNote")] == ["name"]
            note = await service.create(
                "VaultNote", {"name": "door", "pin": "918273", "label": "front"}
            )
            shown = {
                f.name: (f.value, f.text)
                for f in (await service.detail("VaultNote", note.id)).fields
            }
            assert shown == {
                "name": ("door", "door"),
                "pin": ("set", "set"),
                "label": ("front", "front"),
            }
        finally:
            await system.close()
        dump = dump_text(url)
        assert "918273" not in dump and "front" in dump

    asyncio.run(scenario())
