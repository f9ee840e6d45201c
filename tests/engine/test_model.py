"""Records: create, query, save, delete (on_delete), relations, extensions, company secrets."""

from __future__ import annotations

from typing import Any

import pytest

from ffdesk.engine.base import (
    Char,
    Integer,
    ManyToOne,
    MissingError,
    Model,
    Q,
    UserError,
    ValidationError,
)
from tests.engine.helpers import MemorySecrets, row_counts, run, table_rows
from tests.engine.page_models import PAGE_DECLARATIONS
from tests.helpers.database import dump_text


class Lock(Model):
    """Something that keeps an integration from being deleted."""

    _ffdesk_module = "locks"
    reason = Char(max_length=50)
    integration = ManyToOne("Integration", related_name="locks", on_delete="RESTRICT")


class Note(Model):
    """Survives its integration's deletion (SET NULL)."""

    _ffdesk_module = "notes"
    text = Char(max_length=50)
    priority = Integer()
    integration = ManyToOne("Integration", related_name="notes", on_delete="SET NULL")
    _unique_together = (("text", "priority"),)


@pytest.fixture
def env(make_env: Any) -> Any:
    env = make_env([*PAGE_DECLARATIONS, Lock, Note], secrets=MemorySecrets())
    Company = env.registry["Company"]
    acme = run(Company.create(name="Acme"))
    globex = run(Company.create(name="Globex"))
    env.cid, env.cids = acme.id, [acme.id, globex.id]
    return env


def models(env: Any) -> tuple[Any, ...]:
    r = env.registry
    return r["Company"], r["Module"], r["Integration"], r["IntegrationMapper"]


async def seed(env: Any) -> dict[str, Any]:
    Company, Module, Integration, Mapper = models(env)
    acme = await Company.get(env.cid)
    stripe = await Module.create(identifier="payment_stripe", name="Stripe", state="Installed")
    twilio = await Module.create(identifier="sms_twilio", name="Twilio")
    s = await Integration.create(
        name="Stripe", company=acme, module=stripe, integration_category="Online Payment"
    )
    t = await Integration.create(
        name="Twilio",
        company=acme.id,
        module=twilio.id,
        integration_category="Messaging",
        enabled=True,
    )
    u = await Integration.create(name="UPS", integration_category="Shipping")
    maps = [
        await Mapper.create(integration=s.id, model="Contact", local_id="1", remote_id="cus_1"),
        await Mapper.create(integration=s, model="Contact", local_id="2", remote_id="cus_2"),
        await Mapper.create(integration=t, model="Message", local_id="9", remote_id="SM9"),
    ]
    return {"acme": acme, "stripe": stripe, "twilio": twilio, "s": s, "t": t, "u": u, "maps": maps}


# -- creating and querying ------------------------------------------------------------------
def test_create_filter_get_count_exists(env: Any) -> None:
    _, _, Integration, Mapper = models(env)
    d = run(seed(env))
    assert d["s"].id and isinstance(d["s"].id, int)
    assert run(Integration.count()) == 3
    assert [i.name for i in run(Integration.all())] == ["Stripe", "Twilio", "UPS"]
    # Keyword lookups, Q objects and Q text give the same records.
    by_kw = run(Integration.filter(module__identifier="payment_stripe").all())
    by_q = run(Integration.filter(Q(module__identifier__eq="payment_stripe")).all())
    by_text = run(Integration.filter("Q(module__identifier__eq='payment_stripe')").all())
    assert by_kw == by_q == by_text == [d["s"]]
    assert run(Integration.filter(enabled=True).count()) == 1
    assert run(Integration.filter(Q(enabled=True) | Q(name__startswith="U")).count()) == 2
    assert run(Integration.filter(~Q(enabled=True), integration_category="Shipping").ids()) == [
        d["u"].id
    ]
    assert run(Integration.filter(name="Nope").first()) is None
    assert run(Integration.filter(name="Twilio").first()) == d["t"]
    assert run(Integration.exists(name="UPS")) and not run(Integration.exists(name="DHL"))
    assert run(Integration.filter(name="UPS").exists())
    # Awaiting a query gives its records; filters chain with AND.
    assert run(_await(Integration.filter(company=d["acme"]).filter(enabled=False))) == [d["s"]]
    assert (
        run(Mapper.filter(integration=d["s"].id, model="Contact", local_id="2").get())
        == (d["maps"][1])
    )


async def _await(query: Any) -> Any:
    return await query


def test_async_iteration_and_limits(env: Any) -> None:
    _, _, Integration, _ = models(env)
    run(seed(env))

    async def names() -> list[str]:
        return [i.name async for i in Integration.filter(name__neq="UPS")]

    assert run(names()) == ["Stripe", "Twilio"]
    assert [i.name for i in run(Integration.order_by("-name").limit(1).all())] == ["UPS"]


def test_get_missing_and_several(env: Any) -> None:
    _, _, Integration, _ = models(env)
    d = run(seed(env))
    with pytest.raises(MissingError) as none:
        run(Integration.filter(name="DHL").get())
    assert "No Integration matches Q(name__eq='DHL')" in str(none.value)
    with pytest.raises(UserError) as several:
        run(Integration.filter(company=d["acme"]).get())
    assert not isinstance(several.value, MissingError)
    assert "Several Integration records match" in str(several.value)
    assert run(Integration.get(d["t"].id)).name == "Twilio"
    assert run(Integration.get(name="UPS")) == d["u"]
    with pytest.raises(MissingError, match=r"Integration #999 does not exist"):
        run(Integration.get(999))


def test_order_by(env: Any) -> None:
    _, _, Integration, Mapper = models(env)
    run(seed(env))
    names = [i.name for i in run(Integration.order_by("-name").all())]
    assert names == ["UPS", "Twilio", "Stripe"]
    assert [i.name for i in run(Integration.filter(id__gt=0).order_by("name").all())] == sorted(
        names
    )
    # Equal keys keep id order; several keys; descending ids.
    remote = [m.remote_id for m in run(Mapper.order_by("model", "-id").all())]
    assert remote == ["cus_2", "cus_1", "SM9"]
    assert run(Integration.order_by("-id").first()).name == "UPS"
    assert [i.name for i in run(Integration.order_by("name").limit(2).offset(1).all())] == [
        "Twilio",
        "UPS",
    ]
    with pytest.raises(ValidationError, match="cannot be ordered by 'mappings'"):
        Integration.order_by("mappings")
    with pytest.raises(ValidationError, match="cannot be ordered by 'colour'"):
        Integration.order_by("-colour")


def test_save_refresh_and_dirty(env: Any) -> None:
    _, _, Integration, _ = models(env)
    d = run(seed(env))
    s = d["s"]
    s.description = "Cards"
    s.enabled = True
    run(s.save())
    fresh = run(Integration.get(s.id))
    assert (fresh.description, fresh.enabled) == ("Cards", True)
    # A second copy's unsaved edit is dropped by refresh(); the stored value comes back.
    fresh.name = "Changed"
    run(fresh.refresh())
    assert fresh.name == "Stripe"
    # save() writes only what changed: a concurrent edit of another field survives.
    other = run(Integration.get(s.id))
    other.description = "From elsewhere"
    run(other.save())
    s.name = "Stripe EU"
    run(s.save())
    final = run(Integration.get(s.id))
    assert (final.name, final.description) == ("Stripe EU", "From elsewhere")


def test_save_of_a_deleted_record_is_missing(env: Any) -> None:
    _, _, Integration, _ = models(env)
    d = run(seed(env))
    ghost = run(Integration.get(d["u"].id))
    run(d["u"].delete())
    assert d["u"].id is None
    ghost.name = "Back"
    with pytest.raises(MissingError, match="does not exist"):
        run(ghost.save())


def test_relations_fetch_related_and_reverse(env: Any) -> None:
    _, _, Integration, Mapper = models(env)
    d = run(seed(env))
    s = run(Integration.get(d["s"].id))
    run(s.fetch_related("module", "company", "mappings"))
    assert s.module.identifier == "payment_stripe" and s.company.name == "Acme"
    assert [m.remote_id for m in s.mappings] == ["cus_1", "cus_2"]
    assert s.module_id == d["stripe"].id  # the stored id, without loading
    assert [i.name for i in d["acme"].integrations] == ["Stripe", "Twilio"]
    assert [i.name for i in d["stripe"].integrations] == ["Stripe"]
    assert run(Integration.get(d["u"].id)).mappings == []
    # fetch_related reloads: a mapping created meanwhile appears.
    run(Mapper.create(integration=s, model="Contact", local_id="3", remote_id="cus_3"))
    assert len(s.mappings) == 2
    run(s.fetch_related("mappings"))
    assert len(s.mappings) == 3
    with pytest.raises(ValidationError, match="has no field 'colour'"):
        run(s.fetch_related("colour"))
    with pytest.raises(ValidationError, match="is not a relation"):
        run(s.fetch_related("name"))
    # Assigning a record or an id both work and read back as a record.
    u = d["u"]
    u.module = d["twilio"].id
    assert u.module == d["twilio"]
    u.module = d["stripe"]
    run(u.save())
    assert run(Integration.get(u.id)).module_id == d["stripe"].id


def test_on_delete_cascade_and_set_null(env: Any) -> None:
    Company, _, Integration, Mapper = models(env)
    d = run(seed(env))
    Note = env.registry["Note"]
    note = run(Note.create(text="keep me", integration=d["s"]))
    # SET NULL: deleting the module keeps its integration, without a module.
    run(d["stripe"].delete())
    assert run(Integration.get(d["s"].id)).module is None
    # CASCADE: deleting the integration deletes its mappings; SET NULL keeps the note.
    run(d["s"].delete())
    assert run(Mapper.filter(model="Contact").count()) == 0
    assert run(Mapper.count()) == 1
    assert run(Note.get(note.id)).integration is None
    # CASCADE across two levels: company -> integrations -> mappings.
    run(d["acme"].delete())
    assert run(Integration.count()) == 1  # UPS had no company
    assert run(Mapper.count()) == 0
    assert run(Company.filter(name="Acme").count()) == 0


def test_on_delete_restrict_refuses_and_changes_nothing(env: Any) -> None:
    Company, _, Integration, _ = models(env)
    d = run(seed(env))
    Lock = env.registry["Lock"]
    run(Lock.create(reason="audit", integration=d["s"]))
    before = row_counts(env)
    with pytest.raises(ValidationError) as info:
        run(d["s"].delete())
    msg = str(info.value)
    assert "Cannot delete Integration #" in msg and "Lock" in msg and "Lock.integration" in msg
    assert row_counts(env) == before
    assert d["s"].id is not None
    # Reached through a CASCADE: the company's deletion is refused as a whole.
    with pytest.raises(ValidationError, match="Cannot delete Integration"):
        run(d["acme"].delete())
    assert row_counts(env) == before
    assert run(Company.get(d["acme"].id)).name == "Acme"
    # Without the lock it goes.
    run(Lock.filter(reason="audit").delete())
    run(d["s"].delete())
    assert run(Integration.filter(name="Stripe").count()) == 0


def test_query_delete_and_exclude(env: Any) -> None:
    _, _, Integration, Mapper = models(env)
    d = run(seed(env))
    assert [i.name for i in run(Integration.filter().exclude(enabled=True).all())] == [
        "Stripe",
        "UPS",
    ]
    assert run(Integration.filter(name__in=["Stripe", "Twilio"]).delete()) == 2
    assert run(Mapper.count()) == 0  # cascaded one by one
    assert run(Integration.all().ids()) == [d["u"].id]


def test_unique_constraints(env: Any) -> None:
    Company, _, _, _ = models(env)
    Note = env.registry["Note"]
    before = row_counts(env)
    with pytest.raises(ValidationError) as info:
        run(Company.create(name="Acme"))
    assert str(info.value) == "A Company with name='Acme' already exists (name must be unique)."
    run(Note.create(text="a", priority=1))
    with pytest.raises(ValidationError) as info2:
        run(Note.create(text="a", priority=1))
    assert "text='a', priority=1 already exists (text, priority must be unique)" in str(info2.value)
    run(Note.create(text="a", priority=2))
    assert row_counts(env)["note"] == before["note"] + 2
    # An update that collides is refused too, and the stored row keeps its value.
    globex = run(Company.get(name="Globex"))
    globex.name = "Acme"
    with pytest.raises(ValidationError, match="name='Acme' already exists"):
        run(globex.save())
    assert run(Company.get(globex.id)).name == "Globex"


# -- bad input: a sentence, and the database unchanged ---------------------------------------
@pytest.mark.parametrize(
    ("values", "parts"),
    [
        ({"name": "x", "colour": "red"}, ["Integration has no field 'colour'", "its fields:"]),
        ({"name": "x" * 101}, ["Integration.name allows at most 100 characters", "got 101"]),
        (
            {"name": "x", "integration_category": "Banking"},
            [
                "Integration.integration_category must be one of",
                "'Online Payment'",
                "got 'Banking'",
            ],
        ),
        ({"name": 42}, ["Integration.name expects text, got 42 (int)"]),
        ({"name": "x", "enabled": "yes"}, ["Integration.enabled expects true or false"]),
        ({"name": "x", "company": 999}, ["refers to Company #999, which does not exist"]),
        ({"name": "x", "mappings": []}, ["lists related records"]),
        ({"name": "x", "last_synced_date": "soon"}, ["Integration.last_synced_date expects"]),
    ],
)
def test_bad_create_is_a_sentence_and_writes_nothing(
    env: Any, values: dict[str, Any], parts: list[str]
) -> None:
    _, _, Integration, _ = models(env)
    run(seed(env))
    before = row_counts(env)
    secrets_before = dict(env.secrets.data)
    with pytest.raises(ValidationError) as info:
        run(Integration.create(api_key="sk_should_not_stay", **values))
    msg = str(info.value)
    for part in parts:
        assert part in msg
    assert "Traceback" not in msg and "sqlalchemy" not in msg.lower()
    assert row_counts(env) == before
    assert env.secrets.data == secrets_before


def test_bad_update_changes_nothing(env: Any) -> None:
    d = run(seed(env))
    before = table_rows(env, "Integration")
    s = d["s"]
    s.description = "changed"
    s.api_key = "sk_new"
    s.name = "y" * 500
    with pytest.raises(ValidationError, match="at most 100 characters"):
        run(s.save())
    assert table_rows(env, "Integration") == before
    assert env.secrets.get(env.cid, "Integration", s.id, "api_key") is None


def test_save_inside_a_failed_transaction_rolls_back(env: Any) -> None:
    _, _, Integration, _ = models(env)

    async def work() -> None:
        async with env.db.transaction():
            await Integration.create(name="One")
            async with env.db.transaction():  # a savepoint
                await Integration.create(name="Two")
            raise RuntimeError("stop")

    before = row_counts(env)
    with pytest.raises(RuntimeError):
        run(work())
    assert row_counts(env) == before

    async def partial() -> None:
        async with env.db.transaction():
            await Integration.create(name="Kept")
            with pytest.raises(ValidationError):
                await Integration.create(name="z" * 200)  # its savepoint only

    run(partial())
    assert [i.name for i in run(Integration.all())] == ["Kept"]


# -- extensions, class methods, module values ----------------------------------------------
class Pipeline(Model):
    _ffdesk_module = "pipe_base"
    label = Char(max_length=20)

    async def steps(self, out: list[str]) -> list[str]:
        out.append(f"base:{self.label}")
        return out

    def kind(cls) -> str:
        return f"{cls._name}/base"


class PipelineA(Model):
    _ffdesk_module = "pipe_a"
    __inherit__ = "Pipeline"
    weight = Integer(default=1)

    async def steps(self, out: list[str]) -> list[str]:
        await super().steps(out)
        out.append(f"a:{self.weight}")
        return out

    def kind(cls) -> str:
        return super().kind() + "/a"


class PipelineB(Model):
    _ffdesk_module = "pipe_b"
    __inherit__ = "Pipeline"
    colour = Char(max_length=10, default="red")

    async def steps(self, out: list[str]) -> list[str]:
        await super().steps(out)
        out.append(f"b:{self.colour}")
        return out


class PipelineC(Model):
    _ffdesk_module = "pipe_c"
    __inherit__ = "Pipeline"

    async def steps(self, out: list[str]) -> list[str]:
        await super().steps(out)
        out.append(f"c:{self.weight}")  # a field of another extension
        return out

    def kind(cls) -> str:
        return super().kind() + "/c"


def test_inherit_chain_runs_in_declaration_order(make_env: Any) -> None:
    env = make_env([Pipeline, PipelineA, PipelineB, PipelineC])
    P = env.registry["Pipeline"]
    assert {"label", "weight", "colour"} <= set(P._fields)
    assert {"label", "weight", "colour"} <= set(P._table.c.keys())
    p = run(P.create(label="x", weight=5))
    assert run(p.steps([])) == ["base:x", "a:5", "b:red", "c:5"]
    assert P.kind() == "Pipeline/base/a/c"  # `cls` first parameter: a class method
    assert run(P.get(p.id)).colour == "red"
    # Another order of the same declarations (another dependency order) changes the chain.
    env2 = make_env([Pipeline, PipelineC, PipelineB, PipelineA], name="other")
    P2 = env2.registry["Pipeline"]
    assert run(P2.new(label="y").steps([])) == ["base:y", "c:1", "b:red", "a:1"]
    assert P2.kind() == "Pipeline/base/c/a"
    assert P2 is not P and P2._fields["label"] is not P._fields["label"]


def test_cls_methods_are_classmethods() -> None:
    assert isinstance(Pipeline.__dict__["kind"], classmethod)
    assert not isinstance(Pipeline.__dict__["steps"], classmethod)


def test_page_models_define_tables_and_round_trip(env: Any) -> None:
    _, _, Integration, Mapper = models(env)
    integration_cols = set(Integration._table.c.keys())
    assert integration_cols == {
        "id",
        "name",
        "description",
        "image",
        "company_id",
        "enabled",
        "module_id",
        "integration_category",
        "cron_sync_method",
        "last_synced_date",
        "sandbox_mode",
    }  # (api_key / api_secret are company-scoped: no columns)
    assert set(Mapper._table.c.keys()) == {"id", "local_id", "remote_id", "integration_id", "model"}
    assert Integration._verbose_name == "Integration"
    assert Mapper._verbose_name == "Integration Mapper"
    assert Integration._fields["integration_category"].hint.startswith("Which category")
    d = run(seed(env))
    row = next(r for r in table_rows(env, "Integration") if r["id"] == d["s"].id)
    assert row["name"] == "Stripe" and row["company_id"] == d["acme"].id
    assert row["enabled"] is False and row["sandbox_mode"] is True  # defaults


def test_page_get_state(env: Any) -> None:
    _, _, Integration, _ = models(env)
    d = run(seed(env))
    states = {}
    for i in run(Integration.all()):
        run(i.get_state())
        states[i.name] = i.state
    assert states == {"Stripe": "Installed", "Twilio": "Not Installed", "UPS": "Not Installed"}
    s = d["s"]
    s.enabled = True
    run(s.get_state())
    assert s.state == "Enabled"


def test_page_enable_integration_detection_pattern(env: Any) -> None:
    _, Module, Integration, _ = models(env)
    mine = run(Module.create(identifier="my_service", state="Installed"))
    other = run(Module.create(identifier="other", state="Installed"))
    i = run(Integration.create(name="Mine", module=mine, company=env.cid))
    with pytest.raises(UserError, match=r"Please enter your API Key before enabling\."):
        run(i.enable_integration())
    assert run(Integration.get(i.id)).enabled is False
    i.api_key = "key"
    run(i.enable_integration())
    assert run(Integration.get(i.id)).enabled is True
    # Another provider's integration skips the check and reaches the base.
    o = run(Integration.create(name="Other", module=other))
    run(o.enable_integration())
    assert run(Integration.get(o.id)).enabled is True


def test_page_cron_sync_method_and_module_values(env: Any) -> None:
    _, Module, Integration, Mapper = models(env)
    assert Integration._module_values == {"my_service": {"cron_sync_method": "sync_my_service"}}
    assert Integration._values_for_module("my_service") == {"cron_sync_method": "sync_my_service"}
    assert Integration._values_for_module("payment_stripe") == {}
    assert isinstance(Integration._fields["cron_sync_method"], Char)  # still the field
    mine = run(Module.create(identifier="my_service", state="Installed"))
    on = run(
        Integration.create(
            name="On", module=mine, enabled=True, **Integration._values_for_module("my_service")
        )
    )
    off = run(Integration.create(name="Off", module=mine, enabled=False))
    assert run(Integration.get(on.id)).cron_sync_method == "sync_my_service"
    method = getattr(Integration, on.cron_sync_method)
    run(method())  # `async def sync_my_service(cls)` is called on the class
    assert run(Integration.get(on.id)).last_synced_date is not None
    assert run(Integration.get(off.id)).last_synced_date is None
    # The page's mapper snippets.
    run(Mapper.create(integration=on.id, model="Contact", local_id=str(7), remote_id="cus_7"))
    mapping = run(Mapper.filter(integration=on.id, model="Contact", local_id="7").first())
    assert mapping.remote_id == "cus_7"
    assert [m.remote_id for m in on.mappings] == ["cus_7"]


# -- company-scoped values ----------------------------------------------------------------
def test_company_scoped_values_live_in_the_secret_store(env: Any) -> None:
    _, _, Integration, _ = models(env)
    acme_id, globex_id = env.cids
    i = run(Integration.create(name="Mine", api_key="sk_acme_123"))
    assert "api_key" not in Integration._table.c and "api_secret" not in Integration._table.c
    assert env.secrets.data == {(acme_id, "Integration", i.id, "api_key"): "sk_acme_123"}
    dump = dump_text(env.db.url)
    assert "sk_acme_123" not in dump
    fresh = run(Integration.get(i.id))
    assert fresh.api_key == "sk_acme_123" and fresh.api_secret is None
    # Another active company has no value; setting one keeps both.
    env.cid = globex_id
    assert fresh.api_key is None
    fresh.api_key = "sk_globex_9"
    run(fresh.save())
    assert env.secrets.get(globex_id, "Integration", i.id, "api_key") == "sk_globex_9"
    assert env.secrets.get(acme_id, "Integration", i.id, "api_key") == "sk_acme_123"
    env.cid = acme_id
    assert fresh.api_key == "sk_acme_123"
    assert run(Integration.get(i.id)).api_key == "sk_acme_123"
    # Clearing removes it from the store.
    fresh.api_key = ""
    run(fresh.save())
    assert env.secrets.get(acme_id, "Integration", i.id, "api_key") is None
    # Deleting the record forgets its secrets for every company.
    run(fresh.delete())
    assert env.secrets.data == {}


def test_company_scoped_value_needs_an_active_company(env: Any) -> None:
    _, _, Integration, _ = models(env)
    env.cid = None
    before = row_counts(env)
    with pytest.raises(ValidationError, match="need an active company"):
        run(Integration.create(name="Mine", api_key="sk_lost"))
    assert row_counts(env) == before and env.secrets.data == {}
    i = run(Integration.create(name="No secret"))
    assert i.api_key is None


def test_company_deletion_deletes_its_secrets(env: Any) -> None:
    Company, _, Integration, _ = models(env)
    acme_id, globex_id = env.cids
    i = run(Integration.create(name="Shared", api_key="a"))
    env.cid = globex_id
    i.api_key = "g"
    run(i.save())
    run(run(Company.get(acme_id)).delete())
    assert env.secrets.data == {(globex_id, "Integration", i.id, "api_key"): "g"}
    assert acme_id not in env.cids


def test_filtering_on_a_company_scoped_field_is_refused(env: Any) -> None:
    _, _, Integration, _ = models(env)
    with pytest.raises(ValidationError, match="company-scoped"):
        run(Integration.filter(api_key="x").count())
