"""Installing and uninstalling modules: order, schema, data files, refusals and what stays."""

from __future__ import annotations

from pathlib import Path

import pytest

from ffdesk.engine.errors import MissingError, UserError
from ffdesk.services import integrations as actions
from tests.helpers.database import query_rows
from tests.helpers.env import (
    FIXTURE_MODULES,
    FORM_VIEW,
    ModuleSpec,
    OpenSystem,
    forget_module_code,
    open_system_fixture,  # noqa: F401
    table_columns,
    table_names,
    write_integration_module,
    write_module,
    write_probe_module,
)

BASE_MODELS = """
    from ffdesk.engine.base import *


    class BaseThing(Model):
        label = Char(description="Label", max_length=50)
"""

ORDERED_MODELS = """
    from ffdesk.engine.base import *


    class BaseThingExtra(Model):
        __inherit__ = "BaseThing"

        extra = Char(description="Extra", max_length=50, default="x")


    class OrderedThing(Model):
        thing = ManyToOne("BaseThing", related_name="ordered", on_delete="CASCADE")
"""


def cron(identifier: str) -> dict[str, object]:
    return {
        "data_type": "CronJob",
        "identifier": identifier,
        "name": identifier,
        "model": "Integration",
        "method": "sync_integration",
    }


@pytest.fixture
def ordered_modules(tmp_path: Path) -> Path:
    """base_jobs (a model and a job) and ordered (extends it, two data files, two views)."""
    root = tmp_path / "ordered"
    write_module(
        root,
        ModuleSpec(
            "base_jobs",
            ["contacts"],
            models=BASE_MODELS,
            files={"data/jobs.yaml": [cron("base_job")]},
        ),
    )
    write_module(
        root,
        ModuleSpec(
            "ordered",
            ["base_jobs", "integrations"],
            models=ORDERED_MODELS,
            files={
                # Written out of name order on purpose.
                "data/20_second.yaml": [cron("ordered_second")],
                "data/10_first.yaml": [cron("ordered_first")],
                # b extends what a adds: it only merges when a is applied first.
                "views/b_inside.yaml": [
                    {
                        "data_type": "UiView",
                        "identifier": FORM_VIEW,
                        "__inherit__": FORM_VIEW,
                        "arch": [
                            {
                                "type": "field",
                                "name": "cron_sync_method",
                                "position": "inside:Ordered",
                            }
                        ],
                    }
                ],
                "views/a_fieldset.yaml": [
                    {
                        "data_type": "UiView",
                        "identifier": FORM_VIEW,
                        "__inherit__": FORM_VIEW,
                        "arch": [
                            {
                                "type": "fieldset",
                                "title": "Ordered",
                                "position": "after:Synchronisation",
                                "content": [],
                            }
                        ],
                    }
                ],
            },
        ),
    )
    return root


def job_order(opened: object) -> list[str]:
    CronJob = opened.model("CronJob")  # type: ignore[attr-defined]
    jobs = opened.run(CronJob.all().order_by("id").all())  # type: ignore[attr-defined]
    return [j.identifier for j in jobs]


def test_install_puts_dependencies_first_then_data_files_in_name_order(
    open_system: OpenSystem, ordered_modules: Path
) -> None:
    opened = open_system(ordered_modules)
    assert opened.install("ordered") == ["contacts", "base_jobs", "ordered"]
    installed = opened.system.installed
    assert sorted(installed) == ["base_jobs", "contacts", "integrations", "ordered"]
    assert installed.index("contacts") < installed.index("base_jobs") < installed.index("ordered")
    assert installed.index("integrations") < installed.index("ordered")
    assert job_order(opened) == ["base_job", "ordered_first", "ordered_second"]
    sequences = {m: opened.module(m).sequence for m in ("contacts", "base_jobs", "ordered")}
    assert sequences["contacts"] < sequences["base_jobs"] < sequences["ordered"]
    UiView = opened.model("UiView")
    views = opened.run(UiView.filter(module="ordered").order_by("sequence").all())
    assert [v.file for v in views] == ["views/a_fieldset.yaml", "views/b_inside.yaml"]
    arch = opened.system.views.merged_arch(FORM_VIEW)
    assert [e.get("title") for e in arch] == ["Integration", "Synchronisation", "Ordered"]
    assert arch[2]["content"] == [{"type": "field", "name": "cron_sync_method"}]
    assert opened.install("ordered") == []  # already installed: nothing to do


def test_install_changes_the_schema_and_keeps_existing_rows(
    open_system: OpenSystem, ordered_modules: Path
) -> None:
    opened = open_system(ordered_modules)
    assert "base_thing" not in table_names(opened.path)
    assert opened.install("base_jobs") == ["contacts", "base_jobs"]
    assert table_columns(opened.path, "base_thing") == ["id", "label"]
    BaseThing = opened.model("BaseThing")
    first = opened.run(BaseThing.create(label="kept"))

    assert opened.install("ordered") == ["ordered"]
    assert table_columns(opened.path, "base_thing") == ["id", "label", "extra"]
    assert "ordered_thing" in table_names(opened.path)
    BaseThing = opened.model("BaseThing")  # the registry changed: ask again
    again = opened.run(BaseThing.get(first.id))
    assert (again.label, again.extra) == ("kept", "x")
    OrderedThing = opened.model("OrderedThing")
    opened.run(OrderedThing.create(thing=first.id))
    assert opened.run(OrderedThing.all().count()) == 1


def test_install_of_an_integration_module_adds_columns_to_existing_integration_rows(
    open_system: OpenSystem,
) -> None:
    opened = open_system(FIXTURE_MODULES)
    before = opened.integration("my_service")
    assert "sandbox_mode" not in table_columns(opened.path, "integration")
    assert "payment_transaction" not in table_names(opened.path)
    assert opened.install("my_service") == ["contacts", "online_payment", "my_service"]
    columns = table_columns(opened.path, "integration")
    assert "sandbox_mode" in columns
    assert "api_key" not in columns and "api_secret" not in columns  # company-scoped: keyring
    assert "payment_transaction" in table_names(opened.path)
    after = opened.integration("my_service")
    assert (after.id, after.name, after.sandbox_mode) == (before.id, before.name, True)


def test_unknown_and_implicit_modules(open_system: OpenSystem, tmp_path: Path) -> None:
    root = tmp_path / "implicit"
    write_module(
        root,
        ModuleSpec("auto_bridge", ["messaging", "contacts"], manifest={"implicit": True}),
    )
    opened = open_system(root)
    with pytest.raises(MissingError, match=r"^There is no module 'nope'\.$"):
        opened.install("nope")
    assert opened.module("auto_bridge").state == "Not Installed"
    # An implicit module comes with the install that completes its dependencies.
    assert opened.install("messaging") == ["contacts", "messaging", "auto_bridge"]
    assert opened.module("auto_bridge").state == "Installed"
    with pytest.raises(
        UserError, match=r"^integrations is installed automatically and cannot be uninstalled\.$"
    ):
        opened.uninstall("integrations")
    with pytest.raises(
        UserError, match=r"^auto_bridge is installed automatically and cannot be uninstalled\.$"
    ):
        opened.uninstall("auto_bridge")
    with pytest.raises(UserError, match=r"^online_payment is not installed\.$"):
        opened.uninstall("online_payment")
    with pytest.raises(MissingError, match=r"^There is no module 'nope'\.$"):
        opened.uninstall("nope")


# -- uninstalling -----------------------------------------------------------------------------


@pytest.fixture
def providers(tmp_path: Path) -> Path:
    root = tmp_path / "providers"
    write_probe_module(root)
    write_integration_module(
        root,
        "cron_service",
        files={
            "views/form.yaml": [
                {
                    "data_type": "UiView",
                    "identifier": FORM_VIEW,
                    "__inherit__": FORM_VIEW,
                    "arch": [
                        {
                            "type": "field",
                            "name": "cron_service_token",
                            "position": "after:enabled",
                            "properties": {
                                "visible": "Q(module__identifier__eq='cron_service')",
                            },
                        }
                    ],
                }
            ],
            "data/cron.yaml": [cron("cron_service_sync")],
        },
    )
    return root


def test_uninstall_disables_integrations_removes_views_and_jobs_and_keeps_data(
    open_system: OpenSystem, providers: Path
) -> None:
    opened = open_system(FIXTURE_MODULES, providers)
    opened.install("my_service")
    opened.install("cron_service")
    opened.install("probe_service")
    mine = opened.integration("my_service")
    mine.api_key = "key-kept-over-uninstall"
    opened.run(mine.save())
    assert opened.run(actions.enable(mine)) == "Enabled"
    cron_record = opened.integration("cron_service")
    cron_record.cron_service_token = "cron-token-7"
    opened.run(cron_record.save())
    assert opened.run(actions.enable(cron_record)) == "Enabled"
    Transaction = opened.model("PaymentTransaction")
    opened.run(Transaction.create(reference="pi_1", amount=12.5, integration=mine.id))
    Mapper = opened.model("IntegrationMapper")
    opened.run(Mapper.create(integration=mine.id, model="Contact", local_id="1", remote_id="c1"))
    UiView, CronJob = opened.model("UiView"), opened.model("CronJob")
    assert opened.run(CronJob.filter(module="cron_service").count()) == 1
    assert opened.run(UiView.filter(module="my_service").count()) == 1

    # Uninstalling the backbone takes its dependents first, then itself.
    order = opened.uninstall("online_payment")
    assert order[-1] == "online_payment"
    assert sorted(order[:-1]) == ["cron_service", "my_service", "probe_service"]
    assert opened.system.installed == ["contacts", "integrations"]
    for identifier in order:
        assert opened.module(identifier).state == "Not Installed"
    assert opened.module("contacts").state == "Installed"

    UiView, CronJob = opened.model("UiView"), opened.model("CronJob")
    assert opened.run(UiView.filter(module__in=order).count()) == 0
    assert opened.run(CronJob.filter(module__in=order).count()) == 0
    assert opened.run(UiView.filter(module="integrations").count()) == 2
    for identifier in ("my_service", "cron_service", "probe_service"):
        record = opened.integration(identifier)
        assert record.enabled is False
        assert opened.state(record) == "Not Installed"
    # The merged form lost their fields at once.
    names = [f.name for f in opened.form(opened.integration("my_service"))]
    assert names == [
        "name",
        "integration_category",
        "description",
        "enabled",
        "last_synced_date",
        "max_request_rate",
        "rate_limit_patience",
        "max_run_minutes",
    ]
    # Data stays in the database, in its tables and columns.
    rows = query_rows(opened.url, "SELECT reference, amount FROM payment_transaction")
    assert rows == [("pi_1", 12.5)]
    assert query_rows(opened.url, "SELECT remote_id FROM integration_mapper") == [("c1",)]
    assert query_rows(
        opened.url, "SELECT sandbox_mode FROM integration WHERE id = :id", id=mine.id
    ) in ([(1,)], [(True,)])
    assert "PaymentTransaction" not in opened.system.registry

    # Installing again finds everything where it was (the secret too), but disabled.
    opened.install("my_service")
    Transaction = opened.model("PaymentTransaction")
    assert [t.reference for t in opened.run(Transaction.all().all())] == ["pi_1"]
    mine = opened.integration("my_service")
    assert opened.read(mine, "api_key") == "key-kept-over-uninstall"
    assert opened.state(mine) == "Installed"


def test_uninstall_of_a_leaf_keeps_its_dependencies(
    open_system: OpenSystem, providers: Path
) -> None:
    opened = open_system(FIXTURE_MODULES, providers)
    opened.install("my_service")
    opened.install("probe_service")
    assert opened.uninstall("probe_service") == ["probe_service"]
    assert opened.system.installed == ["contacts", "integrations", "online_payment", "my_service"]
    assert opened.state(opened.integration("my_service")) == "Installed"


def test_uninstall_state_survives_a_restart(open_system: OpenSystem, providers: Path) -> None:
    opened = open_system(providers)
    opened.install("cron_service")
    opened.uninstall("cron_service")
    opened.close()
    again = open_system(providers)
    assert again.system.installed == ["contacts", "integrations", "online_payment"]
    assert again.module("cron_service").state == "Not Installed"
    assert again.run(again.model("CronJob").all().count()) == 0


# -- refusals leave nothing behind ----------------------------------------------------------


def test_a_refused_data_file_leaves_nothing_half_installed(
    open_system: OpenSystem, tmp_path: Path
) -> None:
    root = tmp_path / "bad_data"
    write_module(
        root,
        ModuleSpec(
            "bad_field",
            ["contacts"],
            files={"data/jobs.yaml": [{**cron("bad_field_job"), "bogus": 1}]},
        ),
    )
    write_module(
        root,
        ModuleSpec(
            "bad_value",
            ["contacts"],
            files={"data/jobs.yaml": [{**cron("bad_value_job"), "frequency": "lots"}]},
        ),
    )
    opened = open_system(root)
    with pytest.raises(UserError) as caught:
        opened.install("bad_field")
    reason = "bad_field (data/jobs.yaml): CronJob has no field 'bogus'."
    assert str(caught.value) == f"Cannot install bad_field: {reason}"
    with pytest.raises(UserError) as caught:
        opened.install("bad_value")
    assert str(caught.value) == (
        "Cannot install bad_value: bad_value (data/jobs.yaml): CronJob 'bad_value_job': "
        "CronJob.frequency expects a whole number, got 'lots' (str)."
    )
    # Neither they nor the dependency that came with them is installed, in memory or on disk.
    assert opened.system.installed == ["integrations"]
    assert "contacts" not in opened.system.registry.models
    for identifier in ("bad_field", "bad_value", "contacts"):
        assert opened.module(identifier).state == "Not Installed"
    assert opened.module("bad_field").problem == reason
    assert opened.system.module_problem("bad_field") == reason
    assert opened.run(opened.model("CronJob").all().count()) == 0
    # The rest still installs.
    assert opened.install("contacts") == ["contacts"]


def test_a_refusal_is_listed_after_a_restart_until_an_install_succeeds(
    open_system: OpenSystem, tmp_path: Path
) -> None:
    root = tmp_path / "fixable"
    folder = write_module(
        root,
        ModuleSpec("fixable", ["contacts"], files={"data/jobs.yaml": "- data_type: CronJob\n  x"}),
    )
    opened = open_system(root)
    with pytest.raises(UserError, match=r"^Cannot install fixable: fixable \(data/jobs\.yaml"):
        opened.install("fixable")
    problem = opened.module("fixable").problem
    assert problem is not None and problem.startswith("fixable (data/jobs.yaml, line ")
    opened.close()

    again = open_system(root)  # a new process would know only what the database says
    listed = {m.identifier: m for m in again.run(again.system.list_modules())}
    assert listed["fixable"].problem == problem
    assert again.module("fixable").problem == problem

    (folder / "data" / "jobs.yaml").write_text("[]\n")
    assert again.install("fixable") == ["contacts", "fixable"]
    assert again.module("fixable").problem is None
    again.close()
    third = open_system(root)
    assert third.module("fixable").problem is None
    assert third.module("fixable").state == "Installed"


def test_a_module_whose_code_broke_after_install_is_left_out_and_the_app_starts(
    open_system: OpenSystem, tmp_path: Path
) -> None:
    root = tmp_path / "fragile"
    folder = write_module(root, ModuleSpec("fragile", ["contacts"], models=BASE_MODELS))
    write_module(root, ModuleSpec("fragile_child", ["fragile"]))
    opened = open_system(root)
    opened.install("fragile_child")
    opened.close()

    (folder / "models" / "__init__.py").write_text("def broken(:\n    pass\n")
    forget_module_code("fragile")
    again = open_system(root)
    assert again.system.installed == ["contacts", "integrations"]
    assert again.system.module_problem("fragile") == (
        "fragile (models/__init__.py, line 1): SyntaxError: invalid syntax"
    )
    assert again.system.module_problem("fragile_child") == "depends on broken module 'fragile'"
    listed = {m.identifier: m for m in again.run(again.system.list_modules())}
    assert listed["fragile"].problem == again.system.module_problem("fragile")
    assert "BaseThing" not in again.system.registry.models


def test_a_module_whose_models_broke_after_install_is_left_out_and_the_app_starts(
    open_system: OpenSystem, tmp_path: Path
) -> None:
    """Its code still imports, but the registry cannot be built with it: only it is left out."""
    root = tmp_path / "fragile"
    folder = write_module(root, ModuleSpec("fragile", ["contacts"], models=BASE_MODELS))
    write_module(root, ModuleSpec("fragile_child", ["fragile"]))
    opened = open_system(root)
    opened.install("fragile_child")
    opened.close()

    (folder / "models" / "__init__.py").write_text(
        "from ffdesk.engine.base import *\n\n\n"
        "class BaseThing(Model):\n"
        '    owner = ManyToOne("NoSuchModel", related_name="things")\n'
    )
    forget_module_code("fragile")
    again = open_system(root)
    assert again.system.installed == ["contacts", "integrations"]
    problem = again.system.module_problem("fragile") or ""
    assert "BaseThing.owner refers to unknown model 'NoSuchModel'." in problem
    assert again.system.module_problem("fragile_child") == "depends on broken module 'fragile'"
    assert "BaseThing" not in again.system.registry.models
    assert "Contact" in again.system.registry.models
