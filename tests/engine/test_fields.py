"""Field types: validation on save, required, defaults, text parsing, many-to-one values."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
import sqlalchemy as sa

from ffdesk.engine.base import (
    JSON,
    Boolean,
    Char,
    Date,
    Datetime,
    File,
    Float,
    Integer,
    ManyToOne,
    Model,
    Selection,
    Text,
    ValidationError,
)
from ffdesk.engine.fields import FIELD_TYPES, OneToMany
from tests.engine.helpers import row_counts, run

COUNTER = {"n": 0}


def next_code() -> str:
    COUNTER["n"] += 1
    return f"code-{COUNTER['n']}"


class Gadget(Model):
    _ffdesk_module = "gadgets"
    _verbose_name = "Gadget"

    name = Char(description="Gadget Name", max_length=10, required=True)
    notes = Text()
    count = Integer(default=3)
    price = Float()
    active = Boolean(default=True)
    born = Date()
    seen = Datetime()
    kind = Selection(choices=["Small", "Large"])
    logo = File()
    extra = JSON(default=list)
    code = Char(max_length=20, default=next_code)
    owner = ManyToOne("Company", related_name="gadgets", on_delete="SET NULL")


class GadgetKinds(Model):
    """Another module adds a choice to Gadget.kind."""

    _ffdesk_module = "gadgets_plus"
    __inherit__ = "Gadget"
    _selection_add = {"kind": ["Huge"]}


@pytest.fixture
def env(make_env: Any) -> Any:
    return make_env([Gadget, GadgetKinds])


def field(env: Any, name: str) -> Any:
    return env.registry["Gadget"]._fields[name]


# -- the types exist and are exported ------------------------------------------------------
def test_every_spec_type_is_exported_and_known() -> None:
    names = {
        "Char",
        "Text",
        "Integer",
        "Float",
        "Monetary",
        "Boolean",
        "Date",
        "Datetime",
        "Selection",
        "File",
        "JSON",
        "ManyToOne",
        "OneToMany",
    }
    assert set(FIELD_TYPES) == names
    import ffdesk.engine.base as base

    for name in names:
        assert name in base.__all__, name


def test_common_options_are_kept(env: Any) -> None:
    f = Char(
        description="Label",
        hint="Tip",
        required=True,
        readonly=True,
        index=True,
        unique=True,
        company_scoped=True,
        default="x",
    )
    assert (f.description, f.hint, f.required, f.readonly, f.index, f.unique) == (
        "Label",
        "Tip",
        True,
        True,
        True,
        True,
    )
    assert f.company_scoped and not f.stored
    assert f.get_default() == "x"
    assert field(env, "name").label == "Gadget Name"
    assert field(env, "notes").label == "Notes"  # no description: from the name


# -- validation (each message names model, field and value) --------------------------------
def test_char_max_length(env: Any) -> None:
    f = field(env, "name")
    assert f.convert("x" * 10) == "x" * 10
    with pytest.raises(ValidationError) as info:
        f.convert("y" * 11)
    msg = str(info.value)
    assert "Gadget.name" in msg and "at most 10 characters" in msg and "yyyyyyyyyyy" in msg


@pytest.mark.parametrize(
    ("name", "bad", "expects"),
    [
        ("name", 5, "expects text"),
        ("notes", b"bytes", "expects text"),
        ("count", "3", "expects a whole number"),
        ("count", 3.0, "expects a whole number"),
        ("count", True, "expects a whole number"),
        ("count", 2**64, "between"),
        ("price", "1.5", "expects a number"),
        ("price", False, "expects a number"),
        ("active", 1, "expects true or false"),
        ("active", "true", "expects true or false"),
        ("born", "31/12/2024", "expects a date"),
        ("born", 20240101, "expects a date"),
        ("seen", "yesterday", "expects a date and time"),
        ("logo", 12, "expects a file path"),
        ("extra", {1, 2}, "expects a JSON value"),
        ("extra", object(), "expects a JSON value"),
        ("owner", "Acme", "expects a record or a record id"),
        ("owner", True, "expects a record or a record id"),
    ],
)
def test_wrong_types_are_refused(env: Any, name: str, bad: Any, expects: str) -> None:
    with pytest.raises(ValidationError) as info:
        field(env, name).convert(bad)
    msg = str(info.value)
    assert f"Gadget.{name}" in msg and expects in msg
    assert type(bad).__name__ in msg


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_float_refuses_nan_and_infinity(env: Any, bad: float) -> None:
    with pytest.raises(ValidationError, match="finite number"):
        field(env, "price").convert(bad)
    assert field(env, "price").convert(2) == 2.0
    assert isinstance(field(env, "price").convert(2), float)


def test_char_refuses_nul(env: Any) -> None:
    with pytest.raises(ValidationError, match="NUL"):
        field(env, "notes").convert("a\x00b")


def test_selection_choices_and_selection_add(env: Any) -> None:
    kind = field(env, "kind")
    assert kind.choices == ["Small", "Large", "Huge"]  # _selection_add of another module
    assert kind.convert("Huge") == "Huge"
    with pytest.raises(ValidationError) as info:
        kind.convert("Tiny")
    msg = str(info.value)
    assert "Gadget.kind must be one of 'Small', 'Large', 'Huge'" in msg and "'Tiny'" in msg
    # The declaration itself is untouched: another registry without the extension lacks it.
    assert Gadget.__dict__["kind"].choices == ["Small", "Large"]


def test_selection_add_only_in_registries_that_include_it(make_env: Any) -> None:
    env = make_env([Gadget], name="plain")
    with pytest.raises(ValidationError, match="must be one of 'Small', 'Large', got 'Huge'"):
        env.registry["Gadget"]._fields["kind"].convert("Huge")


def test_dates_and_datetimes_convert(env: Any) -> None:
    born, seen = field(env, "born"), field(env, "seen")
    assert born.convert("2024-02-29") == dt.date(2024, 2, 29)
    assert born.convert(dt.datetime(2024, 1, 2, 3, 4)) == dt.date(2024, 1, 2)
    assert seen.convert("2024-01-02 03:04") == dt.datetime(2024, 1, 2, 3, 4)
    assert seen.convert(dt.date(2024, 1, 2)) == dt.datetime(2024, 1, 2)
    aware = dt.datetime(2024, 1, 2, 3, 4, tzinfo=dt.UTC)
    assert seen.convert(aware).tzinfo is None  # stored as naive local time
    assert seen.convert(aware) == aware.astimezone().replace(tzinfo=None)


# -- required and defaults ----------------------------------------------------------------
def test_required_on_save(env: Any) -> None:
    Gadget_ = env.registry["Gadget"]
    before = row_counts(env)
    for values in ({}, {"name": None}, {"name": ""}):
        with pytest.raises(ValidationError) as info:
            run(Gadget_.create(**values))
        assert str(info.value) == "Gadget.name (Gadget Name) is required."
    assert row_counts(env) == before


def test_defaults_value_and_callable(env: Any) -> None:
    Gadget_ = env.registry["Gadget"]
    a = run(Gadget_.create(name="a"))
    b = run(Gadget_.create(name="b"))
    assert (a.count, a.active, a.extra) == (3, True, [])
    a.extra.append(1)
    assert b.extra == []  # a mutable default is not shared
    assert a.code != b.code and a.code.startswith("code-")  # the callable runs per record
    fresh = run(Gadget_.get(a.id))
    assert fresh.count == 3 and fresh.active is True and fresh.code == a.code
    c = run(Gadget_.create(name="c", count=0, active=False, code="mine"))
    assert (c.count, c.active, c.code) == (0, False, "mine")  # given values win
    assert Gadget_.new().count == 3  # new() applies defaults without saving


# -- text of the command line --------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "text", "value", "formatted"),
    [
        ("active", "true", True, "true"),
        ("active", "false", False, "false"),
        ("active", " Yes ", True, "true"),
        ("active", "0", False, "false"),
        ("active", "", None, ""),
        ("count", " 42 ", 42, "42"),
        ("count", "-7", -7, "-7"),
        ("price", "2.5", 2.5, "2.5"),
        ("name", "Widget", "Widget", "Widget"),
        ("name", "", None, ""),
        ("born", "2024-05-06", dt.date(2024, 5, 6), "2024-05-06"),
        ("seen", "2024-05-06 07:08:09", dt.datetime(2024, 5, 6, 7, 8, 9), "2024-05-06 07:08:09"),
        ("extra", '{"a": [1, 2]}', {"a": [1, 2]}, '{"a": [1, 2]}'),
        ("owner", "12", 12, "12"),
        ("kind", "Large", "Large", "Large"),
    ],
)
def test_parse_and_format_text(env: Any, name: str, text: str, value: Any, formatted: str) -> None:
    f = field(env, name)
    assert f.parse_text(text) == value
    assert f.format_text(value) == formatted
    assert f.parse_text(f.format_text(value)) == value


@pytest.mark.parametrize(
    ("name", "text", "part"),
    [
        ("active", "maybe", "expects true or false"),
        ("count", "4.5", "expects a whole number"),
        ("count", "9" * 30, "between"),
        ("price", "cheap", "expects a number"),
        ("extra", "{oops", "expects JSON"),
        ("owner", "Acme", "expects a record or a record id"),
        ("kind", "Tiny", "must be one of"),
        ("name", "x" * 11, "at most 10 characters"),
    ],
)
def test_parse_text_refuses_with_a_sentence(env: Any, name: str, text: str, part: str) -> None:
    with pytest.raises(ValidationError) as info:
        field(env, name).parse_text(text)
    assert part in str(info.value) and f"Gadget.{name}" in str(info.value)


# -- many-to-one -----------------------------------------------------------------------------
def test_many_to_one_record_or_id(env: Any) -> None:
    Company = env.registry["Company"]
    Gadget_ = env.registry["Gadget"]
    acme = run(Company.create(name="Acme"))
    by_record = run(Gadget_.create(name="r", owner=acme))
    by_id = run(Gadget_.create(name="i", owner=acme.id))
    for g in (by_record, by_id):
        fresh = run(Gadget_.get(g.id))
        assert fresh.owner_id == acme.id
        assert fresh.owner == acme and fresh.owner.name == "Acme"
    assert field(env, "owner").column_name == "owner_id"
    assert "owner_id" in Gadget_._table.c and "owner" not in Gadget_._table.c


def test_many_to_one_refuses_unknown_id_wrong_model_and_unsaved(env: Any) -> None:
    Company = env.registry["Company"]
    Gadget_ = env.registry["Gadget"]
    before = row_counts(env)
    with pytest.raises(ValidationError) as info:
        run(Gadget_.create(name="x", owner=999))
    assert str(info.value) == "Gadget.owner refers to Company #999, which does not exist."
    module = run(env.registry["Module"].create(identifier="m"))
    with pytest.raises(ValidationError, match="expects a Company record"):
        run(Gadget_.create(name="x", owner=module))
    with pytest.raises(ValidationError, match="not saved yet"):
        run(Gadget_.create(name="x", owner=Company.new(name="Draft")))
    after = row_counts(env)
    assert after["gadget"] == before["gadget"] == 0


def test_on_delete_must_be_known() -> None:
    with pytest.raises(ValidationError, match="on_delete must be one of CASCADE, SET NULL"):
        ManyToOne("Company", on_delete="IGNORE")
    assert ManyToOne("Company", on_delete="set null").on_delete == "SET NULL"


def test_one_to_many_is_not_stored_and_not_writable(env: Any) -> None:
    Company = env.registry["Company"]
    gadgets = Company._fields["gadgets"]
    assert isinstance(gadgets, OneToMany) and not gadgets.stored
    assert "gadgets" not in Company._table.c
    with pytest.raises(ValidationError, match="set the other side instead"):
        Company.new(name="A", gadgets=[])


def test_values_survive_the_database(env: Any) -> None:
    Gadget_ = env.registry["Gadget"]
    values = {
        "name": "Ärger ß",
        "notes": "line 1\nline 2 — ✓",
        "count": -(2**63),
        "price": 1e-300,
        "active": False,
        "born": dt.date(1999, 12, 31),
        "seen": dt.datetime(2024, 1, 2, 3, 4, 5, 678901),
        "kind": "Huge",
        "logo": "/static/img/x.svg",
        "extra": {"list": [1, 2.5, None, "ü"], "ok": True},
    }
    g = run(Gadget_.create(**values))
    fresh = run(Gadget_.get(g.id))
    for name, value in values.items():
        assert getattr(fresh, name) == value, name
        assert type(getattr(fresh, name)) is type(value), name


def test_json_none_is_sql_null(env: Any) -> None:
    Gadget_ = env.registry["Gadget"]
    g = run(Gadget_.create(name="j", extra=None))
    with env.db.engine.connect() as conn:
        raw = conn.execute(
            sa.text("SELECT extra FROM gadget WHERE id = :id"), {"id": g.id}
        ).scalar()
    assert raw is None  # not the JSON text 'null'
    assert run(Gadget_.filter(extra=None).count()) == 1
    assert run(Gadget_.filter(extra__isnull=True).ids()) == [g.id]


@pytest.mark.parametrize("cls", [Char, Text, Integer, Float, Boolean, Date, Datetime, File, JSON])
def test_unbound_field_types_build(cls: type) -> None:
    assert cls(description="x").sa_type() is not None
    assert Selection(choices=[("a", "A"), "b"]).choices == ["a", "b"]
