"""The records' write path: the prepared insert stores what SQLAlchemy stores, a sync run's
references are looked up once, and each row a run saves on its own is committed at once."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
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
from ffdesk.engine.model import references_checked_once
from tests.engine.helpers import run
from tests.engine.page_models import PAGE_DECLARATIONS
from tests.helpers.database import sqlite_only


class Sample(Model):
    """A field of every kind, to compare what each write path stores."""

    _ffdesk_module = "samples"
    label = Char(max_length=50)
    body = Text()
    count = Integer()
    ratio = Float()
    flag = Boolean(default=False)
    day = Date()
    moment = Datetime()
    data = JSON()
    logo = File()
    kind = Selection(choices=["a", "b"])
    integration = ManyToOne("Integration", related_name="samples", on_delete="SET NULL")
    code = Char(max_length=20, unique=True)


class Link(Model):
    """Shaped like a mapper row: a many-to-one leads two unique groups; another leads none."""

    _ffdesk_module = "samples"
    _unique_together = (("integration", "model", "local_id"), ("integration", "model", "remote_id"))
    local_id = Char(max_length=255)
    remote_id = Char(max_length=255)
    model = Char(max_length=255)
    integration = ManyToOne("Integration", related_name="links", on_delete="CASCADE")
    sample = ManyToOne("Sample", related_name="links", on_delete="SET NULL")


VALUES: list[dict[str, Any]] = [
    {
        "label": "Ünïcode ✓",
        "body": "line 1\nline 2",
        "count": -(2**62),
        "ratio": 0.1,
        "flag": True,
        "day": dt.date(2026, 12, 5),
        "moment": dt.datetime(2026, 12, 5, 9, 30, 45, 123456),
        "data": {"nested": [1, "two", None], "ok": True},
        "logo": "data:image/png;base64,AAAA",
        "kind": "b",
    },
    {"data": None, "flag": False},
    {"data": [], "label": ""},
    {"data": "text", "moment": dt.datetime(1999, 1, 1)},
]


@pytest.fixture
def env(make_env: Any) -> Any:
    return make_env([*PAGE_DECLARATIONS, Sample, Link])


def stored(env: Any, table: str, row_id: int) -> dict[str, tuple[str, Any]]:
    """Each column as SQLite holds it: (its storage class, its value)."""
    columns = [c.name for c in env.registry["Sample"]._table.c if c.name != "id"]
    select = ", ".join(f"typeof({c}), {c}" for c in columns)
    with env.db.engine.connect() as conn:
        row = conn.exec_driver_sql(f"SELECT {select} FROM {table} WHERE id = ?", (row_id,)).one()
    return {c: (row[2 * i], row[2 * i + 1]) for i, c in enumerate(columns)}


@sqlite_only  # the prepared insert is SQLite's own write path
@pytest.mark.parametrize("values", VALUES)
def test_the_prepared_insert_stores_what_sqlalchemy_stores(env: Any, values: dict) -> None:
    Sample = env.registry["Sample"]
    integration = run(env.registry["Integration"].create(name="Stripe"))
    record = run(Sample.create(integration=integration.id, **values))

    # The same validated row, inserted through SQLAlchemy's own execution.
    again = Sample(integration=integration.id, **values)
    with env.db.connect() as conn:
        row = again._validated_row(list(Sample._fields))
        result = conn.execute(Sample._table.insert(), row)
        by_sqlalchemy = int(result.inserted_primary_key[0])

    table = Sample._table.name
    assert stored(env, table, record.id) == stored(env, table, by_sqlalchemy)
    loaded = run(Sample.get(record.id))
    for name, value in values.items():
        assert getattr(loaded, name) == value, name


def test_a_refused_insert_is_the_same_sentence_and_writes_nothing(env: Any) -> None:
    Sample = env.registry["Sample"]
    run(Sample.create(code="S-1", label="first"))
    with pytest.raises(ValidationError) as refused:
        run(Sample.create(code="S-1", label="second"))
    assert str(refused.value) == "A Sample with code='S-1' already exists (code must be unique)."
    assert [s.label for s in run(Sample.all())] == ["first"]


@contextmanager
def lookups_of(env: Any, table: str) -> Iterator[list[str]]:
    """The SELECT statements that read `table` while the block runs."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and f"FROM {table}" in statement:
            seen.append(statement)

    sa.event.listen(env.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(env.db.engine, "before_cursor_execute", record)


def test_a_run_looks_up_a_referenced_record_once(env: Any) -> None:
    Mapper = env.registry["IntegrationMapper"]
    integration = run(env.registry["Integration"].create(name="Stripe"))
    table = env.registry["Integration"]._table.name

    async def mappings(prefix: str, n: int) -> None:
        for i in range(n):
            await Mapper.create(
                integration=integration.id,
                model="Contact",
                local_id=f"{prefix}{i}",
                remote_id=f"{prefix}{i}",
            )

    with lookups_of(env, table) as outside:
        run(mappings("a", 5))
    assert len(outside) == 5  # without a run, every save looks it up

    with lookups_of(env, table) as inside, references_checked_once():
        run(mappings("b", 5))
    assert len(inside) == 1
    assert run(Mapper.count()) == 10


def test_a_record_deleted_in_the_run_is_looked_up_again(env: Any) -> None:
    Integration, Mapper = env.registry["Integration"], env.registry["IntegrationMapper"]

    async def scenario() -> None:
        integration = await Integration.create(name="Stripe")
        gone = integration.id
        await Mapper.create(integration=gone, model="Contact", local_id="1", remote_id="c1")
        await integration.delete()  # its mappings go with it (CASCADE)
        with pytest.raises(ValidationError, match=rf"refers to Integration #{gone}, which does"):
            await Mapper.create(integration=gone, model="Contact", local_id="2", remote_id="c2")

    with references_checked_once():
        run(scenario())
    assert run(Mapper.count()) == 0


def test_a_record_of_a_rolled_back_transaction_is_not_remembered(env: Any) -> None:
    Integration, Mapper = env.registry["Integration"], env.registry["IntegrationMapper"]

    async def scenario() -> None:
        created: list[int] = []
        with pytest.raises(RuntimeError):
            async with env.db.transaction():
                integration = await Integration.create(name="Stripe")
                created.append(integration.id)
                await Mapper.create(
                    integration=integration.id, model="Contact", local_id="1", remote_id="c1"
                )
                raise RuntimeError("the caller gives up")
        with pytest.raises(ValidationError, match="which does not exist"):
            await Mapper.create(
                integration=created[0], model="Contact", local_id="1", remote_id="c1"
            )

    with references_checked_once():
        run(scenario())
    assert run(Integration.count()) == 0 and run(Mapper.count()) == 0


def test_the_connection_kept_for_short_transactions_survives_a_failed_one(env: Any) -> None:
    Integration = env.registry["Integration"]

    async def scenario() -> None:
        with pytest.raises(ValidationError):
            async with env.db.transaction():
                await Integration.create(name="First")
                await Integration.create(name="x" * 101)  # too long: the whole block goes
        assert await Integration.count() == 0
        await Integration.create(name="Second")
        assert [i.name for i in await Integration.all()] == ["Second"]

    run(scenario())
    env.db.dispose()  # closes the kept connections too; a later use opens a new one
    assert run(Integration.count()) == 1


def committed_codes(env: Any) -> list[str]:
    """The codes another program sees in the database file: only committed rows."""
    table = env.registry["Sample"]._table.name
    with closing(sqlite3.connect(env.db.engine.url.database)) as other:
        rows = other.execute(f"SELECT code FROM {table} ORDER BY id").fetchall()
    return [code for (code,) in rows]


@sqlite_only  # the short way (straight to SQLite's driver) is SQLite's own
def test_each_row_of_a_run_is_committed_at_once_and_a_refused_one_leaves_nothing(
    env: Any,
) -> None:
    Sample = env.registry["Sample"]
    integration = run(env.registry["Integration"].create(name="Stripe"))

    def save(code: str) -> None:
        run(Sample.create(integration=integration.id, code=code))

    with references_checked_once():
        save("S-1")  # looks the integration up, in its write transaction
        assert committed_codes(env) == ["S-1"]
        save("S-2")  # the integration is known: the short way
        assert committed_codes(env) == ["S-1", "S-2"]
        with pytest.raises(ValidationError) as refused:
            save("S-2")
        assert str(refused.value) == (
            "A Sample with code='S-2' already exists (code must be unique)."
        )
        assert not env.db.in_transaction()
        save("S-3")  # the refusal left nothing open: the next one goes through
    assert committed_codes(env) == ["S-1", "S-2", "S-3"]


def test_a_row_writes_no_index_that_a_unique_group_already_gives(env: Any) -> None:
    """A sync commits a mapper row per record, and each index of its table is one more page
    written with it: an index of the integration alone would repeat the unique groups' head."""
    Link = env.registry["Link"]
    with env.db.engine.connect() as conn:
        found = {
            index["name"]: tuple(index["column_names"])
            for index in sa.inspect(conn).get_indexes(Link._table.name)
        }
    assert found == {
        "uq_link_integration_id_model_local_id": ("integration_id", "model", "local_id"),
        "uq_link_integration_id_model_remote_id": ("integration_id", "model", "remote_id"),
        "ix_link_sample_id": ("sample_id",),  # leads no group: indexed on its own
    }


@sqlite_only  # the plan as SQLite words it
def test_a_look_up_by_the_leading_column_of_a_group_still_uses_an_index(env: Any) -> None:
    Link = env.registry["Link"]
    integration = run(env.registry["Integration"].create(name="Stripe"))
    run(Link.create(integration=integration.id, model="Contact", local_id="1", remote_id="c1"))
    # What deleting the integration runs to delete its links (on_delete CASCADE).
    table = Link._table
    statement = sa.select(table).where(table.c.integration_id == integration.id)
    with env.db.engine.connect() as conn:
        sql = str(statement.compile(conn, compile_kwargs={"literal_binds": True}))
        plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    assert "USING INDEX uq_link_integration_id_model_" in plan, plan
    run(integration.delete())
    assert run(Link.count()) == 0
