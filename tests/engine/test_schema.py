"""Schema upgrades keep every row; the database has its own stable id."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from ffdesk.engine.base import Char, Integer, ManyToOne, Model
from ffdesk.engine.db import Database
from tests.engine.helpers import row_counts, run, table_rows
from tests.helpers.database import database_url


class Parcel(Model):
    _ffdesk_module = "parcels"
    reference = Char(max_length=30, required=True)
    grams = Integer()


class ParcelTracking(Model):
    """A later module: a new field (indexed) on Parcel, and a new model pointing at it."""

    _ffdesk_module = "parcel_tracking"
    __inherit__ = "Parcel"
    tracking_code = Char(max_length=40, index=True)
    carrier_rank = Integer(default=7)


class ParcelEvent(Model):
    _ffdesk_module = "parcel_tracking"
    parcel = ManyToOne("Parcel", related_name="events", on_delete="CASCADE")
    status = Char(max_length=30)


def columns(env: Any, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(env.db.engine).get_columns(table)}


def indexes(env: Any, table: str) -> set[str]:
    return {i["name"] for i in sa.inspect(env.db.engine).get_indexes(table)}


def test_first_upgrade_creates_everything_and_is_idempotent(make_env: Any) -> None:
    from ffdesk.engine.schema import upgrade_schema

    env = make_env([Parcel])
    tables = set(sa.inspect(env.db.engine).get_table_names())
    assert {"company", "module", "ui_view", "cron_job", "sync_run", "parcel"} <= tables
    assert "ffdesk_meta" in tables
    assert columns(env, "parcel") == {"id", "reference", "grams"}
    changes = upgrade_schema(env.registry)
    assert not changes and changes.tables == changes.columns == changes.indexes == []


def test_upgrade_adds_model_field_and_index_keeping_rows(make_env: Any) -> None:
    from ffdesk.engine.schema import upgrade_schema

    old = make_env([Parcel])
    P = old.registry["Parcel"]
    for n in range(25):
        run(P.create(reference=f"P{n}", grams=n * 10))
    company = run(old.registry["Company"].create(name="Acme"))
    before_rows = table_rows(old, "Parcel")
    before_counts = row_counts(old)
    old.db.dispose()

    new = make_env([Parcel, ParcelTracking, ParcelEvent])  # same file, a rebuilt registry
    assert columns(new, "parcel") == {"id", "reference", "grams", "tracking_code", "carrier_rank"}
    assert "ix_parcel_tracking_code" in indexes(new, "parcel")
    assert "parcel_event" in sa.inspect(new.db.engine).get_table_names()
    # Every row is still there; the new columns are empty or hold the field's default.
    after_rows = table_rows(new, "Parcel")
    assert [{k: r[k] for k in ("id", "reference", "grams")} for r in after_rows] == before_rows
    assert all(r["tracking_code"] is None for r in after_rows)
    assert all(r["carrier_rank"] == 7 for r in after_rows)  # the new field's default, back-filled
    counts = row_counts(new)
    assert {k: counts[k] for k in before_counts} == before_counts
    assert run(new.registry["Company"].get(company.id)).name == "Acme"
    # The new column and the new model are usable.
    P2 = new.registry["Parcel"]
    p = run(P2.get(reference="P3"))
    p.tracking_code = "1Z999"
    run(p.save())
    assert run(P2.filter(tracking_code="1Z999").ids()) == [p.id]
    assert run(P2.filter(tracking_code__isnull=True).count()) == 24
    fresh = run(P2.create(reference="new"))
    assert fresh.carrier_rank == 7
    Event = new.registry["ParcelEvent"]
    run(Event.create(parcel=p, status="shipped"))
    assert [e.status for e in run(P2.get(p.id)).events] == ["shipped"]
    # A second upgrade has nothing left to do.
    assert not upgrade_schema(new.registry)


def test_database_id_is_a_stable_uuid(tmp_path: Any) -> None:
    first = Database(database_url(tmp_path / "a.sqlite"))
    other = Database(database_url(tmp_path / "b.sqlite"))
    assert uuid.UUID(first.id).version == 4
    assert first.id != other.id
    first_id = first.id
    first.dispose()
    again = Database(database_url(tmp_path / "a.sqlite"))
    assert again.id == first_id
    again.dispose()
    other.dispose()


def test_in_memory_database_works(tmp_path: Any) -> None:
    from ffdesk.engine.core_models import core_declarations
    from ffdesk.engine.env import Environment, env_ctx
    from ffdesk.engine.registry import Registry
    from ffdesk.engine.schema import upgrade_schema

    db = Database("sqlite://")
    registry = Registry(db, [*core_declarations(), Parcel])
    upgrade_schema(registry)
    token = env_ctx.set(Environment(registry))
    try:
        run(registry["Parcel"].create(reference="mem"))
        assert run(registry["Parcel"].count()) == 1
        assert uuid.UUID(db.id)
    finally:
        env_ctx.reset(token)
        db.dispose()
