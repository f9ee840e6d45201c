"""The registry: final classes and tables from ordered declarations, and its refusals."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from ffdesk.engine.base import Boolean, Char, Integer, ManyToOne, Model, Selection, ValidationError
from ffdesk.engine.core_models import core_declarations
from ffdesk.engine.db import Database
from ffdesk.engine.fields import OneToMany
from ffdesk.engine.model import DECLARATIONS, declaring_module, table_name_for
from ffdesk.engine.registry import ModelDefinitionError, Registry
from tests.engine.helpers import run
from tests.helpers.database import database_url


class ShippingLabel(Model):
    _ffdesk_module = "shipping"
    _verbose_name = "Shipping Label"
    _order = "-weight"
    _unique_together = (("carrier", "tracking"),)

    carrier = Selection(choices=["UPS", "DHL"], required=True)
    tracking = Char(max_length=40, index=True)
    weight = Integer()
    barcode = Char(max_length=40, unique=True)
    company = ManyToOne("Company", related_name="labels", on_delete="CASCADE")
    module = ManyToOne("Module")  # no related_name: no reverse field


class ShippingLabelExtra(Model):
    _ffdesk_module = "shipping_extra"
    __inherit__ = "ShippingLabel"
    _selection_add = {"carrier": ["FedEx", "UPS"]}
    insured = Boolean(default=False)
    tracking = Char(max_length=80, index=True)  # a later declaration redefines a field
    not_a_field = "ignored"


@pytest.fixture
def registry(tmp_path: Any) -> Registry:
    db = Database(database_url(tmp_path / "r.sqlite"))
    return Registry(db, [*core_declarations(), ShippingLabel, ShippingLabelExtra])


def test_only_the_given_declarations_are_used(registry: Registry) -> None:
    assert ShippingLabel in DECLARATIONS and ShippingLabelExtra in DECLARATIONS
    assert len(DECLARATIONS) > len(list(registry))  # other test modules declared more
    assert set(registry) == {
        "Company",
        "Module",
        "CompanyValue",
        "UiView",
        "CronJob",
        "SyncRun",
        "AuditEntry",
        "ShippingLabel",
    }
    assert "ShippingLabel" in registry and "Integration" not in registry
    with pytest.raises(ValidationError) as info:
        registry["Integration"]
    assert "Unknown model 'Integration'" in str(info.value)


def test_final_class_shape(registry: Registry) -> None:
    Label = registry["ShippingLabel"]
    assert Label._name == "ShippingLabel" and Label.__name__ == "ShippingLabel"
    assert Label._verbose_name == "Shipping Label"
    assert registry["CronJob"]._verbose_name == "Scheduled Job"
    assert issubclass(Label, ShippingLabelExtra) and issubclass(Label, ShippingLabel)
    assert Label.__mro__[1:3] == (ShippingLabelExtra, ShippingLabel)
    assert list(Label._fields) == [
        "carrier",
        "tracking",
        "weight",
        "barcode",
        "company",
        "module",
        "insured",
    ]
    assert Label._fields["tracking"].max_length == 80
    assert Label._fields["carrier"].choices == ["UPS", "DHL", "FedEx"]
    assert Label._fields["carrier"].model_name == "ShippingLabel"
    assert Label._module_values == {}  # `not_a_field` names no field
    assert Label.not_a_field == "ignored"
    assert Label._unique_together == (("carrier", "tracking"),)
    assert registry.models["Company"]._registry is registry


def test_tables_columns_and_indexes(registry: Registry) -> None:
    table = registry["ShippingLabel"]._table
    assert table.name == "shipping_label" == table_name_for("ShippingLabel")
    assert table_name_for("IntegrationMapper") == "integration_mapper"
    assert list(table.c.keys()) == [
        "id",
        "carrier",
        "tracking",
        "weight",
        "barcode",
        "company_id",
        "module_id",
        "insured",
    ]
    assert table.c.id.primary_key
    assert isinstance(table.c.tracking.type, sa.String) and table.c.tracking.type.length == 80
    indexes = {ix.name: (tuple(c.name for c in ix.columns), ix.unique) for ix in table.indexes}
    assert indexes == {
        "ix_shipping_label_tracking": (("tracking",), False),
        "uq_shipping_label_barcode": (("barcode",), True),
        "ix_shipping_label_company_id": (("company_id",), False),  # many-to-one: indexed
        "ix_shipping_label_module_id": (("module_id",), False),
        "uq_shipping_label_carrier_tracking": (("carrier", "tracking"), True),
    }


def test_reverse_relations(registry: Registry) -> None:
    Company = registry["Company"]
    labels = Company._fields["labels"]
    assert isinstance(labels, OneToMany)
    assert (labels.comodel_name, labels.inverse_name) == ("ShippingLabel", "company")
    assert "labels" not in Company._table.c
    assert not any(
        isinstance(f, OneToMany) and f.comodel_name == "ShippingLabel"
        for f in registry["Module"]._fields.values()
    )
    refs = {(m._name, f.name) for m, f in registry.references_to("Company")}
    assert refs == {
        ("ShippingLabel", "company"),
        ("SyncRun", "company"),
        ("CompanyValue", "company"),
    }
    assert registry.references_to("ShippingLabel") == []


def test_default_order_of_a_model(tmp_path: Any, make_env: Any) -> None:
    env = make_env([ShippingLabel, ShippingLabelExtra])
    Label = env.registry["ShippingLabel"]
    for weight in (2, 9, 5):
        run(Label.create(carrier="UPS", weight=weight))
    assert [x.weight for x in run(Label.all())] == [9, 5, 2]
    Module = env.registry["Module"]
    for ident in ("b", "c", "a"):
        run(Module.create(identifier=ident))
    assert [m.identifier for m in run(Module.all())] == ["a", "b", "c"]


def test_rebuilding_makes_new_classes_and_keeps_declarations_clean(tmp_path: Any) -> None:
    db = Database(database_url(tmp_path / "r.sqlite"))
    first = Registry(db, [*core_declarations(), ShippingLabel])
    second = Registry(db, [*core_declarations(), ShippingLabel, ShippingLabelExtra])
    assert first["ShippingLabel"] is not second["ShippingLabel"]
    assert "insured" not in first["ShippingLabel"]._fields
    assert first["ShippingLabel"]._fields["carrier"].choices == ["UPS", "DHL"]
    assert ShippingLabel.__dict__["carrier"].choices == ["UPS", "DHL"]
    assert ShippingLabel.__dict__["carrier"].model_name == ""  # declarations are never bound


def _decl(name: str, module: str, **attrs: Any) -> type[Model]:
    """A declaration made on the fly (not kept in DECLARATIONS after the test)."""
    cls = type(name, (Model,), {"_ffdesk_module": module, "__module__": __name__, **attrs})
    DECLARATIONS.remove(cls)
    return cls


@pytest.mark.parametrize(
    ("declarations", "parts"),
    [
        (
            lambda: [_decl("Ext", "mod_x", __inherit__="Nowhere")],
            ["mod_x:", "class Ext extends unknown model 'Nowhere'"],
        ),
        (
            lambda: [_decl("Dup", "mod_a"), _decl("Dup", "mod_b")],
            ["mod_b:", "defines model 'Dup', which already exists", "__inherit__ = 'Dup'"],
        ),
        (
            lambda: [
                _decl("Thing", "mod_a", size=Integer()),
                _decl("ThingExt", "mod_b", __inherit__="Thing", _selection_add={"size": ["L"]}),
            ],
            ["mod_b:", "_selection_add names Thing.size, which is not a Selection field"],
        ),
        (
            lambda: [_decl("Thing", "mod_a", id=Integer())],
            ["mod_a:", "Thing: 'id' is reserved"],
        ),
        (
            lambda: [_decl("Thing", "mod_a", owner=ManyToOne("Ghost"))],
            ["Thing.owner refers to unknown model 'Ghost'"],
        ),
        (
            lambda: [_decl("Thing", "mod_a", _unique_together=(("nope",),))],
            ["Thing._unique_together names unknown field 'nope'"],
        ),
    ],
)
def test_definition_errors_name_the_module(tmp_path: Any, declarations: Any, parts: list) -> None:
    db = Database(database_url(tmp_path / "r.sqlite"))
    with pytest.raises(ModelDefinitionError) as info:
        Registry(db, [*core_declarations(), *declarations()])
    for part in parts:
        assert part in str(info.value)


def test_declaring_module() -> None:
    assert declaring_module(ShippingLabel) == "shipping"
    plain = type("Plain", (Model,), {"__module__": "ffdesk.addons.payment_x.models.thing"})
    DECLARATIONS.remove(plain)
    assert declaring_module(plain) == "payment_x"
    core = type("Core", (Model,), {"__module__": "somewhere.else"})
    DECLARATIONS.remove(core)
    assert declaring_module(core) == "base"
