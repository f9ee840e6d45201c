"""The System: discovery sources, Module records, companies, integration records and state."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from ffdesk import secrets
from ffdesk.engine.errors import UserError, ValidationError
from ffdesk.engine.system import DEFAULT_COMPANY
from ffdesk.services import integrations as actions
from ffdesk.sync.results import ConnectionUnreachable
from tests.helpers.database import dump_text
from tests.helpers.env import (
    FIXTURE_MODULES,
    SHIPPED_MODULES,
    ModuleSpec,
    Opened,
    OpenSystem,
    open_system_fixture,  # noqa: F401
    probe_calls,
    run,
    write_module,
    write_probe_module,
)
from tests.helpers.memory_keyring import MemoryKeyring

SHIPPED = sorted(p.name for p in SHIPPED_MODULES.iterdir() if (p / "manifest.yaml").is_file())


@pytest.fixture
def extra(tmp_path: Path) -> Path:
    """A modules folder with the probe_service integration module."""
    root = tmp_path / "extra"
    write_probe_module(root)
    return root


def secret_keys(kr: MemoryKeyring, database_id: str) -> list[str]:
    return sorted(user for service, user in kr.store if user.startswith(database_id + ":"))


# -- start-up -------------------------------------------------------------------------------


def test_new_database_has_a_default_company_and_the_implicit_integrations_module(
    open_system: OpenSystem,
) -> None:
    opened = open_system()
    companies = run(opened.system.companies())
    assert [c.name for c in companies] == [DEFAULT_COMPANY]
    assert opened.system.env.cid == companies[0].id
    assert opened.system.installed == ["integrations"]
    module = opened.module("integrations")
    assert (module.state, module.implicit, module.problem) == ("Installed", True, None)
    assert "Integration" in opened.system.registry
    assert "IntegrationMapper" in opened.system.registry


def test_restart_keeps_installed_modules_and_companies(open_system: OpenSystem) -> None:
    first = open_system(FIXTURE_MODULES)
    first.install("my_service")
    run(first.system.add_company("Acme"))
    first.close()
    second = open_system(FIXTURE_MODULES, company="Acme")
    assert set(second.system.installed) == {
        "integrations",
        "contacts",
        "online_payment",
        "my_service",
    }
    assert second.system.installed[-1] == "my_service"
    assert second.system.env.company.name == "Acme"
    assert second.module("my_service").state == "Installed"
    with pytest.raises(UserError, match=r"^There is no company 'Nope' \(companies: "):
        open_system(FIXTURE_MODULES, company="Nope")


def test_refresh_loads_an_installed_module_whose_broken_code_was_fixed(
    open_system: OpenSystem, tmp_path: Path
) -> None:
    """Installed, then broken at the next start (left out, with its reason); fixed while ffdesk
    runs: Refresh loads it, as a restart would, and one still broken keeps its reason."""
    good = """
        from ffdesk.engine.base import *


        class FixWidget(Model):
            name = Char(description="Name", max_length=50)
    """
    first = open_system(
        write_module(tmp_path / "then", ModuleSpec("fix_widget", models=good)).parent
    )
    first.install("fix_widget")
    first.close()
    # The same module at another place (as after an update), with a syntax error.
    folder = write_module(tmp_path / "now", ModuleSpec("fix_widget", models=good))
    source = folder / "models" / "__init__.py"
    fixed = source.read_text()
    source.write_text(fixed + "\ndef broken(:\n")
    again = open_system(folder.parent)
    assert "fix_widget" not in again.system.installed
    assert "SyntaxError" in again.system.problems["fix_widget"]
    assert "FixWidget" not in again.system.registry

    run(again.system.rediscover())  # still broken: nothing changes
    assert "SyntaxError" in again.system.problems["fix_widget"]
    assert "FixWidget" not in again.system.registry

    source.write_text(fixed)
    run(again.system.rediscover())
    assert "fix_widget" in again.system.installed
    assert "fix_widget" not in again.system.problems
    assert again.module("fix_widget").problem is None
    created = again.run(again.model("FixWidget").create(name="works again"))
    assert again.run(again.model("FixWidget").filter(id=created.id).first()).name == "works again"


# -- discovery --------------------------------------------------------------------------------


def test_discovers_the_shipped_modules_folder(open_system: OpenSystem) -> None:
    opened = open_system()
    listed = {m.identifier: m for m in run(opened.system.list_modules())}
    assert sorted(listed) == SHIPPED
    assert listed["integrations"].state == "Installed"
    assert listed["contacts"].state == "Not Installed"
    assert all(m.problem is None for m in listed.values())
    assert listed["online_payment"].dependencies == ("integrations", "contacts")


def test_discovers_modules_path_from_the_environment(
    open_system: OpenSystem, extra: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    write_module(other, ModuleSpec("env_extra", ["contacts"]))
    monkeypatch.setenv("FFDESK_MODULES_PATH", os.pathsep.join([str(extra), "", str(other)]))
    opened = open_system()
    listed = {m.identifier: m for m in run(opened.system.list_modules())}
    assert {"probe_service", "env_extra"} <= set(listed)
    assert Path(listed["probe_service"].path) == extra / "probe_service"
    assert opened.install("env_extra") == ["contacts", "env_extra"]


def test_discovers_an_entry_point_and_imports_its_code_only_on_install(
    open_system: OpenSystem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    package = write_module(
        site,
        ModuleSpec(
            "ep_widgets",
            ["contacts"],
            name="Widgets from a distribution",
            models="""
                from ffdesk.engine.base import *

                IMPORTED = True


                class EpWidget(Model):
                    name = Char(description="Name", max_length=50)
            """,
        ),
    )
    dist = site / "ep_widgets_dist-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ep-widgets-dist\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[ffdesk.modules]\nep_widgets = ep_widgets\n")
    monkeypatch.syspath_prepend(str(site))

    opened = open_system(entry_points=True)
    found = opened.system.discovered["ep_widgets"]
    assert (found.source, found.path.resolve(), found.problem) == (
        "entry point",
        package.resolve(),
        None,
    )
    assert opened.module("ep_widgets").name == "Widgets from a distribution"
    assert "ffdesk.addons.ep_widgets" not in sys.modules
    assert "ep_widgets" not in sys.modules

    assert opened.install("ep_widgets") == ["contacts", "ep_widgets"]
    assert sys.modules["ffdesk.addons.ep_widgets.models"].IMPORTED is True
    Widget = opened.model("EpWidget")
    assert opened.run(Widget.create(name="w1")).id == 1

    # Without entry points the module is not discovered at all.
    assert "ep_widgets" not in open_system(name="other").system.discovered


def test_module_records_carry_manifest_facts_state_and_problem(
    open_system: OpenSystem, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    write_module(broken, ModuleSpec("needs_ghost", ["ghost_module"]))
    opened = open_system(FIXTURE_MODULES, broken)
    record = opened.module("my_service")
    assert (record.name, record.version, record.category, record.integration_category) == (
        "My Service",
        "1.0",
        "module_category_integrations",
        "Online Payment",
    )
    assert record.state == "Not Installed"
    assert record.problem is None
    assert Path(record.image) == FIXTURE_MODULES / "my_service/static/img/stripe_logo.png"
    ghost = opened.module("needs_ghost")
    assert ghost.state == "Not Installed"
    assert ghost.problem == (
        "needs_ghost (manifest.yaml, line 4): depends on unknown module 'ghost_module'"
    )
    opened.install("my_service")
    assert opened.module("my_service").state == "Installed"
    assert opened.module("online_payment").state == "Installed"
    assert opened.module("messaging").state == "Not Installed"


# -- companies ----------------------------------------------------------------------------


def test_companies_add_rename_select_and_refuse_duplicates(open_system: OpenSystem) -> None:
    system = open_system().system
    acme = run(system.add_company("  Acme  "))
    assert acme.name == "Acme"
    with pytest.raises(UserError, match=r"^A company named 'Acme' already exists\.$"):
        run(system.add_company("Acme"))
    with pytest.raises(ValidationError, match=r"^A company needs a name\.$"):
        run(system.add_company("   "))
    run(system.rename_company("Acme", "Acme Ltd"))
    with pytest.raises(UserError, match=r"^A company named 'Acme Ltd' already exists\.$"):
        run(system.rename_company(DEFAULT_COMPANY, "Acme Ltd"))
    with pytest.raises(UserError, match=r"^There is no company 'Nobody'\.$"):
        run(system.rename_company("Nobody", "X"))
    assert [c.name for c in run(system.companies())] == [DEFAULT_COMPANY, "Acme Ltd"]
    assert run(system.select_company("Acme Ltd")).id == acme.id
    assert system.env.cid == acme.id


# -- integration records ------------------------------------------------------------------


def _records(opened: Opened) -> dict[tuple[str, int], object]:
    Integration = opened.model("Integration")
    records = opened.run(Integration.all().all())
    return {(opened.run(_module_id(r)), r.company_id): r for r in records}


async def _module_id(record: object) -> str:
    await record.fetch_related("module")  # type: ignore[attr-defined]
    return record.module.identifier  # type: ignore[attr-defined]


def test_one_integration_record_per_integration_module_and_company(
    open_system: OpenSystem, extra: Path
) -> None:
    opened = open_system(FIXTURE_MODULES, extra)
    integration_modules = {m.identifier for m in opened.system.integration_modules()}
    assert {"my_service", "probe_service", "payment_stripe"} <= integration_modules
    assert "online_payment" not in integration_modules  # a backbone, not an integration
    cid = opened.system.env.cid
    records = _records(opened)
    assert set(records) == {(m, cid) for m in integration_modules}  # installed or not

    acme = run(opened.system.add_company("Acme"))
    records = _records(opened)
    assert set(records) == {(m, c) for m in integration_modules for c in (cid, acme.id)}
    record = records[("my_service", acme.id)]
    assert record.name == "My Service"  # type: ignore[attr-defined]
    assert record.description == "Accept payments via MyService"  # type: ignore[attr-defined]
    assert record.integration_category == "Online Payment"  # type: ignore[attr-defined]
    assert record.image.endswith("stripe_logo.png")  # type: ignore[attr-defined]
    assert record.enabled is False  # type: ignore[attr-defined]
    # Starting again creates nothing new.
    opened.run(opened.system.sync_integration_records())
    assert len(_records(opened)) == len(records)


def test_a_start_repairs_other_companies_records_without_loading_them_all(
    open_system: OpenSystem, extra: Path
) -> None:
    # The start only reads the active company's records; it must still notice when another
    # company lacks one or holds stale facts (written by an older version, or cut short).
    import sqlalchemy as sa

    opened = open_system(FIXTURE_MODULES, extra)
    system = opened.system
    acme = run(system.add_company("Acme"))
    beta = run(system.add_company("Beta"))
    Integration = system.get_model("Integration")
    table, fields = Integration._table, Integration._fields
    module_ids = {r.identifier: r.id for r in run(system.get_model("Module").all().all())}
    company = table.c[fields["company"].column_name]
    module = table.c[fields["module"].column_name]
    name = table.c[fields["name"].column_name]
    everything = set(_records(opened))

    with system.db.connect(write=True) as conn:
        conn.execute(
            sa.delete(table).where(company == beta.id, module == module_ids["probe_service"])
        )
    run(system.sync_integration_records())
    assert set(_records(opened)) == everything

    with system.db.connect(write=True) as conn:
        conn.execute(
            sa.update(table)
            .where(company == acme.id, module == module_ids["my_service"])
            .values({name: "Renamed by an older version"})
        )
    run(system.sync_integration_records())
    assert opened.integration("my_service", acme.id).name == "My Service"
    assert len(_records(opened)) == len(everything)


def test_cron_sync_method_comes_from_the_manifest_or_the_class_attribute(
    open_system: OpenSystem,
) -> None:
    opened = open_system(FIXTURE_MODULES)
    assert opened.integration("payment_stripe").cron_sync_method == "sync_payment_stripe"
    assert opened.integration("my_service").cron_sync_method is None  # code not loaded yet
    opened.install("my_service")
    acme = run(opened.system.add_company("Acme"))
    for cid in (1, acme.id):
        assert opened.integration("my_service", cid).cron_sync_method == "sync_my_service"
    assert opened.integration("payment_stripe").cron_sync_method == "sync_payment_stripe"


def test_get_state_not_installed_installed_enabled(open_system: OpenSystem, extra: Path) -> None:
    opened = open_system(extra)
    record = opened.integration("probe_service")
    assert opened.state(record) == "Not Installed"
    with pytest.raises(UserError, match=r"^Install Probe Service before enabling it\.$"):
        opened.run(record.enable_integration())
    opened.install("probe_service")
    record = opened.integration("probe_service")
    assert opened.state(record) == "Installed"
    record.probe_service_token = "probe-good-token-4"
    opened.run(record.save())
    assert opened.run(actions.enable(record)) == "Enabled"
    assert opened.state(opened.integration("probe_service")) == "Enabled"
    assert opened.run(actions.disable(record)) == "Installed"


def test_enable_and_disable_run_every_override_of_the_chain(
    open_system: OpenSystem, extra: Path
) -> None:
    opened = open_system(FIXTURE_MODULES, extra)
    opened.install("my_service")
    opened.install("probe_service")
    probe = opened.integration("probe_service")
    mine = opened.integration("my_service")
    calls = probe_calls()
    calls.clear()

    # The base checks the required, visible fields of the merged form.
    with pytest.raises(UserError, match=r"^Please fill in Token before enabling Probe Service\.$"):
        opened.run(actions.enable(probe))
    probe.probe_service_token = "probe-good-token-5"
    probe.probe_service_region = "mars"
    opened.run(probe.save())
    # The provider's own check comes first.
    with pytest.raises(UserError, match=r"^Probe Service does not serve mars\.$"):
        opened.run(actions.enable(probe))
    probe.probe_service_region = "eu"
    opened.run(probe.save())
    assert opened.run(actions.enable(probe)) == "Enabled"
    assert calls == [("enable", probe.id)] * 3

    # my_service's record passes through probe_service's override untouched (detection).
    with pytest.raises(UserError, match=r"^Please enter your API Key before enabling\.$"):
        opened.run(actions.enable(mine))
    mine.api_key = "my-service-key-6"
    opened.run(mine.save())
    assert opened.run(actions.enable(mine)) == "Enabled"
    assert opened.run(actions.disable(mine)) == "Installed"
    assert calls == [("enable", probe.id)] * 3
    assert opened.run(actions.disable(probe)) == "Installed"
    assert calls[-1] == ("disable", probe.id)


@pytest.mark.parametrize(
    ("token", "outcome", "message"),
    [
        ("probe-good-1", "ok", "Probe says hello."),
        ("probe-rejected-1", "rejected", "The token was revoked."),
        ("probe-offline-1", "unreachable", "Probe is offline."),
        ("probe-raise-rejected-1", "rejected", "Probe refused the token."),
        ("probe-raise-down-1", "unreachable", "Probe did not answer."),
    ],
)
def test_check_connection_outcomes(
    open_system: OpenSystem, extra: Path, token: str, outcome: str, message: str
) -> None:
    opened = open_system(extra)
    opened.install("probe_service")
    record = opened.integration("probe_service")
    record.probe_service_token = token
    opened.run(record.save())
    result = opened.run(actions.test_connection(record))
    assert (result.outcome, result.message) == (outcome, message)


def test_base_check_connection_and_enable_outcomes(open_system: OpenSystem, extra: Path) -> None:
    opened = open_system(FIXTURE_MODULES, extra)
    opened.install("probe_service")
    opened.install("my_service")
    result = opened.run(actions.test_connection(opened.integration("my_service")))
    assert (result.outcome, result.message) == ("ok", "My Service has no connection to test.")

    record = opened.integration("probe_service")
    record.probe_service_token = "probe-rejected-2"
    opened.run(record.save())
    with pytest.raises(UserError, match=r"^The token was revoked\.$"):
        opened.run(actions.enable(record))
    assert opened.state(record) == "Installed"

    record.probe_service_token = "probe-offline-2"
    opened.run(record.save())
    with pytest.raises(ConnectionUnreachable) as caught:
        opened.run(actions.enable(record))
    assert str(caught.value) == "Probe is offline. Enable anyway?"
    assert opened.state(record) == "Installed"
    assert opened.run(actions.enable(record, anyway=True)) == "Enabled"


def test_integration_lookup_errors(open_system: OpenSystem) -> None:
    opened = open_system()
    with pytest.raises(UserError, match=r"^There is no integration 'nope' \(integrations: "):
        opened.integration("nope")


# -- deleting a company --------------------------------------------------------------------


def test_deleting_a_company_deletes_its_integrations_mappings_runs_and_secrets(
    open_system: OpenSystem, extra: Path, memory_keyring: MemoryKeyring
) -> None:
    opened = open_system(FIXTURE_MODULES, extra)
    system = opened.system
    opened.install("my_service")
    opened.install("probe_service")
    home = system.env.cid
    acme = run(system.add_company("Acme"))

    kept = opened.integration("my_service", home)
    kept.api_key = "home-key-123"
    opened.run(kept.save())

    run(system.select_company("Acme"))
    doomed = opened.integration("my_service")
    doomed.api_key = "acme-key-456"
    doomed.api_secret = "acme-secret-789"
    opened.run(doomed.save())
    probe = opened.integration("probe_service")
    probe.probe_service_token = "acme-token-000"
    opened.run(probe.save())
    Mapper = opened.model("IntegrationMapper")
    SyncRun = opened.model("SyncRun")
    opened.run(Mapper.create(integration=doomed.id, model="Contact", local_id="1", remote_id="r1"))
    opened.run(SyncRun.create(company=acme.id, integration=doomed.id, module_identifier="x"))
    opened.run(SyncRun.create(company=home, integration=kept.id, module_identifier="x"))

    db_id = system.db.id
    assert len(secret_keys(memory_keyring, db_id)) == 4
    acme_ids = [r.id for r in opened.run(opened.model("Integration").filter(company=acme.id).all())]

    run(system.select_company(DEFAULT_COMPANY))
    opened.run(system.delete_company("Acme"))

    Integration = opened.model("Integration")
    assert opened.run(Integration.filter(company=acme.id).count()) == 0
    assert opened.run(Integration.filter(id__in=acme_ids).count()) == 0
    assert opened.run(Mapper.all().count()) == 0
    assert [r.integration_id for r in opened.run(SyncRun.all().all())] == [kept.id]
    # Only the home company's secret is left, still readable.
    assert secret_keys(memory_keyring, db_id) == [f"{db_id}:{home}:Integration:{kept.id}:api_key"]
    secrets.clear_cache()
    assert opened.read(opened.integration("my_service"), "api_key") == "home-key-123"
    assert [c.name for c in run(system.companies())] == [DEFAULT_COMPANY]
    assert system.env.cids == [home]
    with pytest.raises(UserError, match=r"^There is no company 'Acme'\.$"):
        opened.run(system.delete_company("Acme"))


def test_deleting_the_active_company_selects_the_first(open_system: OpenSystem) -> None:
    system = open_system().system
    run(system.add_company("Acme"))
    run(system.select_company("Acme"))
    run(system.delete_company("Acme"))
    assert system.env.company.name == DEFAULT_COMPANY
    with pytest.raises(UserError, match=r"^The last company cannot be deleted\.$"):
        run(system.delete_company(DEFAULT_COMPANY))


def test_secrets_never_reach_the_database(
    open_system: OpenSystem, memory_keyring: MemoryKeyring
) -> None:
    opened = open_system(FIXTURE_MODULES)
    opened.install("my_service")
    record = opened.integration("my_service")
    record.api_key = "never-in-db-2f9c"
    opened.run(record.save())
    assert "api_key" not in [c.name for c in opened.model("Integration")._table.columns]
    dump = dump_text(opened.url)
    assert "never-in-db-2f9c" not in dump
    assert "never-in-db-2f9c" in memory_keyring.store.values()


# -- the real Secret Service (scripts/with-secret-service) ---------------------------------


def _real_secret_service() -> keyring.backend.KeyringBackend:
    """The real Secret Service backend, or skip/fail as the environment asks."""
    required = os.environ.get("FFDESK_REQUIRE_SECRET_SERVICE") == "1"

    def unusable(why: str) -> None:
        if required:
            pytest.fail(f"FFDESK_REQUIRE_SECRET_SERVICE=1 but {why}")
        pytest.skip(why)

    if os.environ.get("FFDESK_SECRET_SERVICE") != "1":
        unusable("no throwaway Secret Service: run under scripts/with-secret-service")
    from keyring.backends import SecretService

    backend = SecretService.Keyring()
    try:
        backend.priority  # noqa: B018 - raises when D-Bus or the daemon is not usable
    except Exception as exc:
        unusable(f"the Secret Service backend is unusable: {exc}")
    return backend


@pytest.mark.secret_service
class TestSystemOnRealSecretService:
    """The System's company-scoped values against gnome-keyring (scripts/with-secret-service)."""

    @pytest.fixture(autouse=True)
    def _restore_backend(self) -> Iterator[None]:
        previous = keyring.get_keyring()
        secrets.clear_cache()
        yield
        keyring.set_keyring(previous)
        secrets.clear_cache()

    def test_company_scoped_values_live_in_the_secret_service(
        self, open_system: OpenSystem
    ) -> None:
        backend = _real_secret_service()  # in the test: a missing service FAILS when required
        keyring.set_keyring(backend)
        opened = open_system(FIXTURE_MODULES, name=f"real-{uuid.uuid4().hex[:8]}")
        system = opened.system
        opened.install("my_service")
        home = system.env.cid
        acme = run(system.add_company("Acme"))
        record = opened.integration("my_service")
        value = f"real-key-{uuid.uuid4().hex}"
        user = f"{system.db.id}:{home}:Integration:{record.id}:api_key"
        try:
            record.api_key = value
            opened.run(record.save())
            secrets.clear_cache()  # the next read goes to the daemon
            assert backend.get_password("ffdesk", user) == value
            assert opened.read(opened.integration("my_service"), "api_key") == value
            assert opened.shown(record)["api_key"] == "set"

            run(system.select_company("Acme"))
            other = opened.integration("my_service")
            assert opened.read(other, "api_key") is None
            other.api_key = f"acme-{value}"
            opened.run(other.save())
            acme_user = f"{system.db.id}:{acme.id}:Integration:{other.id}:api_key"
            assert backend.get_password("ffdesk", acme_user) == f"acme-{value}"

            run(system.select_company(home))
            opened.run(system.delete_company("Acme"))
            secrets.clear_cache()
            assert backend.get_password("ffdesk", acme_user) is None
            assert backend.get_password("ffdesk", user) == value

            record = opened.integration("my_service")
            record.api_key = ""
            opened.run(record.save())
            secrets.clear_cache()
            assert backend.get_password("ffdesk", user) is None
        finally:
            for name in (user, f"{system.db.id}:{acme.id}:Integration:{record.id}:api_key"):
                try:
                    backend.delete_password("ffdesk", name)
                except keyring.errors.PasswordDeleteError:
                    pass
