"""Monetary: exact amounts (Decimal, NUMERIC), minor units per currency, Float columns upgraded."""

from __future__ import annotations

import os
import warnings
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from ffdesk.engine.base import Char, Float, Model, Monetary, ValidationError
from ffdesk.engine.money import CURRENCY_EXPONENTS, from_minor, is_currency, to_minor
from tests.engine.helpers import run


class Invoice(Model):
    _ffdesk_module = "invoices"
    reference = Char(max_length=30, index=True)
    total = Float()
    currency = Char(max_length=3)


class InvoiceExact(Model):
    """The same model after the upgrade: `total` became Monetary."""

    _ffdesk_module = "invoices"
    _name = "Invoice"
    reference = Char(max_length=30, index=True)
    total = Monetary(currency_field="currency")
    currency = Char(max_length=3)


class Ledger(Model):
    _ffdesk_module = "ledger"
    amount = Monetary()
    currency = Char(max_length=3)


@pytest.mark.parametrize(
    ("minor", "currency", "amount"),
    [
        (1999, "USD", "19.99"),
        (1999, "JPY", "1999"),
        (1999, "KWD", "1.999"),
        (1, "CLF", "0.0001"),
        (-5, "EUR", "-0.05"),
        (10**14, "USD", "1000000000000"),
    ],
)
def test_minor_units_convert_exactly_per_currency_exponent(
    minor: int, currency: str, amount: str
) -> None:
    assert from_minor(minor, currency) == Decimal(amount)
    assert to_minor(Decimal(amount), currency) == minor


def test_the_currency_table_is_iso_4217() -> None:
    assert (CURRENCY_EXPONENTS["JPY"], CURRENCY_EXPONENTS["USD"], CURRENCY_EXPONENTS["KWD"]) == (
        0,
        2,
        3,
    )
    assert len(CURRENCY_EXPONENTS) > 150
    assert all(is_currency(code) for code in ("EUR", "INR", "BHD", "ISK"))
    assert not any(is_currency(code) for code in ("STR", "usd", "EU", "", None, 840))
    with pytest.raises(ValueError, match="more decimals than JPY"):
        to_minor(Decimal("1.5"), "JPY")


def test_amounts_round_trip_exactly_and_sum_exactly(make_env: Any) -> None:
    env = make_env([Ledger])
    L = env.registry["Ledger"]
    amounts = ["0.1", "0.2", "19.99", "1.999", "123456789.123456", "999999999999999", "-0.07"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Decimal objects natively" warning on SQLite
        for text in amounts:
            run(L.create(amount=Decimal(text), currency="USD"))
        env.db.dispose()
        back = [r.amount for r in run(L.all())]
    assert back == [Decimal(t) for t in amounts]
    assert all(isinstance(a, Decimal) for a in back)
    assert back[0] + back[1] == Decimal("0.3")  # as floats this is 0.30000000000000004
    # Comparisons run in SQL on the numbers, not on text.
    assert run(L.filter(amount__gt=Decimal("19.98")).count()) == 3
    assert run(L.filter(amount=Decimal("19.99")).count()) == 1


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("twelve", "expects an amount"),
        (Decimal("NaN"), "finite"),
        (float("inf"), "finite"),
        (True, "expects an amount"),
        (Decimal("0.0000001"), "at most 6 decimals"),
        (Decimal("1234567890123456"), "at most 15 significant digits"),
        ([1], "expects an amount"),
    ],
)
def test_a_value_that_is_not_an_exact_amount_is_refused(
    make_env: Any, value: Any, reason: str
) -> None:
    env = make_env([Ledger])
    with pytest.raises(ValidationError, match=reason):
        run(env.registry["Ledger"].create(amount=value, currency="USD"))


def test_a_float_is_taken_at_its_shortest_decimal(make_env: Any) -> None:
    env = make_env([Ledger])
    record = run(env.registry["Ledger"].create(amount=19.99, currency="USD"))
    assert record.amount == Decimal("19.99")
    assert env.registry["Ledger"]._fields["amount"].format_text(Decimal("20")) == "20"


def test_a_float_column_becomes_numeric_and_keeps_every_value(make_env: Any) -> None:
    from ffdesk.engine.schema import upgrade_schema

    old = make_env([Invoice])
    values = [19.99, 0.1, 1.999, 1999.0, 123456.78, None]
    for n, value in enumerate(values):
        run(old.registry["Invoice"].create(reference=f"I{n}", total=value, currency="USD"))
    column = {c["name"]: c["type"] for c in sa.inspect(old.db.engine).get_columns("invoice")}
    assert isinstance(column["total"], sa.Float)
    old.db.dispose()

    new = make_env([InvoiceExact])  # same file: the upgrade runs on open
    column = {c["name"]: c["type"] for c in sa.inspect(new.db.engine).get_columns("invoice")}
    assert isinstance(column["total"], sa.Numeric) and not isinstance(column["total"], sa.Float)
    rows = run(new.registry["Invoice"].order_by("id").all())
    assert [r.reference for r in rows] == [f"I{n}" for n in range(len(values))]
    assert [r.total for r in rows] == [
        Decimal("19.99"),
        Decimal("0.1"),
        Decimal("1.999"),
        Decimal("1999"),
        Decimal("123456.78"),
        None,
    ]
    indexes = {i["name"] for i in sa.inspect(new.db.engine).get_indexes("invoice")}
    assert "ix_invoice_reference" in indexes  # the rebuilt table keeps its indexes
    assert run(new.registry["Invoice"].filter(reference="I2").get()).total == Decimal("1.999")
    assert not upgrade_schema(new.registry)  # nothing left to do


POSTGRES_URL = os.environ.get("FFDESK_TEST_DATABASE_URL", "")


@pytest.mark.skipif(
    not POSTGRES_URL.startswith("postgresql"), reason="needs FFDESK_TEST_DATABASE_URL (PostgreSQL)"
)
def test_a_double_precision_column_on_postgresql_becomes_numeric_in_place() -> None:
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from ffdesk.engine.fields import ExactDecimal
    from ffdesk.engine.schema import _float_to_decimal, _retype

    engine = sa.create_engine(POSTGRES_URL)
    table = sa.Table(
        "monetary_probe",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("total", ExactDecimal()),
    )
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS monetary_probe")
            conn.exec_driver_sql(
                "CREATE TABLE monetary_probe (id serial PRIMARY KEY, total double precision)"
            )
            for value in (19.99, 0.1, 1.999, None):
                conn.execute(
                    sa.text("INSERT INTO monetary_probe (total) VALUES (:v)"), {"v": value}
                )
        with engine.begin() as conn:
            retype = _float_to_decimal(table, sa.inspect(conn).get_columns("monetary_probe"))
            assert [c.name for c in retype] == ["total"]
            _retype(Operations(MigrationContext.configure(conn)), conn, table, retype)
        with engine.begin() as conn:
            found = sa.inspect(conn).get_columns("monetary_probe")[1]["type"]
            assert isinstance(found, sa.Numeric) and not isinstance(found, sa.Float)
            values = conn.execute(sa.select(table.c.total).order_by(table.c.id)).scalars().all()
            assert values == [Decimal("19.99"), Decimal("0.1"), Decimal("1.999"), None]
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS monetary_probe")
        engine.dispose()


def test_the_command_line_prints_an_amount_exactly_in_json() -> None:
    import json

    from ffdesk.cli import _jsonable

    assert json.dumps({"amount": Decimal("19.99")}, default=_jsonable) == '{"amount": "19.99"}'
    assert json.dumps([Decimal("1E+2")], default=_jsonable) == '["100"]'
