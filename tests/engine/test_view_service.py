"""Merged views of the installed modules: order, visibility, cache, both extension forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ffdesk.engine.errors import UserError
from ffdesk.engine.q import Q
from ffdesk.engine.view_service import ViewService
from tests.helpers.env import (
    FIXTURE_MODULES,
    FORM_VIEW,
    Opened,
    OpenSystem,
    field_view,
    open_system_fixture,  # noqa: F401
    write_integration_module,
    write_probe_module,
)

BASE_FIELDS = ["name", "integration_category", "description", "enabled"]
SYNC_FIELDS = ["last_synced_date", "max_request_rate", "rate_limit_patience", "max_run_minutes"]


def fields_of(arch: list[dict[str, Any]], title: str) -> list[str]:
    container = next(e for e in arch if e.get("title") == title)
    return [e["name"] for e in container["content"] if e["type"] == "field"]


def extension(*elements: dict[str, Any], **record: Any) -> list[dict[str, Any]]:
    return [
        {
            "data_type": "UiView",
            "identifier": FORM_VIEW,
            "__inherit__": FORM_VIEW,
            "arch": list(elements),
            **record,
        }
    ]


@pytest.fixture
def extra(tmp_path: Path) -> Path:
    root = tmp_path / "extra"
    write_probe_module(root)
    return root


def test_my_service_fields_follow_enabled_with_the_password_widget(
    open_system: OpenSystem,
) -> None:
    opened = open_system(FIXTURE_MODULES)
    opened.install("my_service")
    arch = opened.system.views.merged_arch(FORM_VIEW)
    assert fields_of(arch, "Integration") == [*BASE_FIELDS, "api_key", "api_secret"]
    general = next(e for e in arch if e.get("title") == "Integration")["content"]
    api_key, api_secret = general[4], general[5]
    visible = "Q(module__identifier__eq='my_service')"
    assert api_key == {"type": "field", "name": "api_key", "properties": {"visible": visible}}
    assert api_secret["properties"] == {"widget": "Password", "visible": visible}
    assert "position" not in api_key  # positions are consumed by the merge
    assert fields_of(arch, "Synchronisation") == SYNC_FIELDS


def test_fields_are_visible_only_on_their_own_integration_record(
    open_system: OpenSystem, extra: Path
) -> None:
    opened = open_system(FIXTURE_MODULES, extra)
    opened.install("my_service")
    opened.install("probe_service")
    mine = {f.name: f for f in opened.form(opened.integration("my_service"))}
    probe = {f.name: f for f in opened.form(opened.integration("probe_service"))}
    assert list(mine) == list(probe)  # one merged form, evaluated per record
    for name in ("api_key", "api_secret"):
        assert (mine[name].visible, probe[name].visible) == (True, False)
    for name in ("probe_service_token", "probe_service_region"):
        assert (mine[name].visible, probe[name].visible) == (False, True)
    assert mine["api_secret"].widget == "Password"
    assert probe["probe_service_token"].required is True
    # Also for a record of a module that is not installed (stripe has views of its own).
    stripe = {f.name: f for f in opened.form(opened.integration("payment_stripe"))}
    assert stripe["api_key"].visible is False
    assert all(stripe[n].visible for n in BASE_FIELDS)


def test_extensions_apply_in_dependency_order_then_file_order(
    open_system: OpenSystem, tmp_path: Path
) -> None:
    root = tmp_path / "order"

    def inside(name: str) -> dict[str, Any]:
        return {"type": "field", "name": name, "position": "inside:Integration"}

    # zeta_base sorts after alpha_top by name but comes first by dependency.
    write_integration_module(
        root,
        "zeta_base",
        files={
            "views/2_b.yaml": extension(inside("zeta_base_region")),
            "views/1_a.yaml": extension(inside("zeta_base_token")),
        },
    )
    write_integration_module(
        root,
        "alpha_top",
        dependencies=("online_payment", "zeta_base"),
        files={"views/form.yaml": extension(inside("alpha_top_token"))},
    )
    opened = open_system(root)
    opened.install("alpha_top")
    arch = opened.system.views.merged_arch(FORM_VIEW)
    assert fields_of(arch, "Integration") == [
        *BASE_FIELDS,
        "zeta_base_token",
        "zeta_base_region",
        "alpha_top_token",
    ]


def test_merged_arch_is_cached_and_rebuilt_when_modules_change(
    open_system: OpenSystem, extra: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = open_system(FIXTURE_MODULES, extra)
    opened.install("my_service")
    views = opened.system.views
    reads: list[int] = []
    original = ViewService.stored_sources

    def counting(self: ViewService) -> Any:
        reads.append(1)
        return original(self)

    monkeypatch.setattr(ViewService, "stored_sources", counting)
    first = views.merged_arch(FORM_VIEW)
    elements = views.form_elements(FORM_VIEW)
    for _ in range(5):
        assert views.merged_arch(FORM_VIEW) is first
        assert views.form_elements(FORM_VIEW) is elements
        opened.form(opened.integration("my_service"))
    assert len(reads) == 1  # read from the database once

    opened.install("probe_service")
    reads.clear()
    with_probe = views.merged_arch(FORM_VIEW)
    assert with_probe is not first
    assert views.merged_arch(FORM_VIEW) is with_probe
    # Both insert right after enabled; probe_service comes later in dependency order.
    assert fields_of(with_probe, "Integration") == [
        *BASE_FIELDS,
        "probe_service_token",
        "probe_service_region",
        "api_key",
        "api_secret",
    ]
    assert len(reads) == 1

    opened.uninstall("probe_service")
    after = views.merged_arch(FORM_VIEW)
    assert after == first
    assert after is not with_probe
    opened.uninstall("my_service")
    assert fields_of(views.merged_arch(FORM_VIEW), "Integration") == BASE_FIELDS


def test_form_elements_parse_their_conditions_once(open_system: OpenSystem) -> None:
    opened = open_system(FIXTURE_MODULES)
    opened.install("my_service")
    elements = {e.name: e for e in opened.system.views.form_elements(FORM_VIEW)}
    assert isinstance(elements["api_key"].conditions["visible"], Q)
    assert elements["name"].conditions == {"readonly": True}
    assert elements["api_key"].path == ("Integration",)
    assert elements["last_synced_date"].path == ("Synchronisation",)


def test_the_operations_form_works_through_a_data_file(
    open_system: OpenSystem, tmp_path: Path
) -> None:
    root = tmp_path / "ops"
    visible = "Q(module__identifier__eq='ops_service')"
    write_integration_module(
        root,
        "ops_service",
        files={
            "views/integration_form_view.yaml": f"""
                - data_type: UiView
                  identifier: ops_service_form
                  inherited_view: integration_form_view
                  arch:
                    operations:
                    - action: add
                      target: {{field: enabled}}
                      position: after
                      value:
                        type: field
                        name: ops_service_token
                        properties: {{widget: Password, visible: "{visible}"}}
                    - action: modify
                      target: {{field: description}}
                      value:
                        properties: {{label: About}}
                    - action: add
                      target: {{anchor: sync}}
                      position: inside
                      value:
                      - type: field
                        name: ops_service_region
                        properties: {{visible: "{visible}"}}
                    - action: remove
                      target: {{field: integration_category}}
                """
        },
    )
    opened = open_system(root)
    opened.install("ops_service")
    record = opened.model("UiView")
    stored = opened.run(record.filter(module="ops_service").get())
    assert (stored.identifier, stored.inherit) == ("ops_service_form", FORM_VIEW)
    arch = opened.system.views.merged_arch(FORM_VIEW)
    assert fields_of(arch, "Integration") == ["name", "description", "enabled", "ops_service_token"]
    assert fields_of(arch, "Synchronisation") == [*SYNC_FIELDS, "ops_service_region"]
    form = {f.name: f for f in opened.form(opened.integration("ops_service"))}
    assert form["description"].label == "About"
    assert form["ops_service_token"].widget == "Password"
    assert form["ops_service_token"].visible and form["ops_service_region"].visible
    assert "integration_category" not in form


def test_an_operation_with_a_missing_target_is_refused_at_install(
    open_system: OpenSystem, tmp_path: Path
) -> None:
    root = tmp_path / "ops"
    write_integration_module(
        root,
        "ops_broken",
        files={
            "views/form.yaml": [
                {
                    "data_type": "UiView",
                    "identifier": "ops_broken_form",
                    "inherited_view": FORM_VIEW,
                    "arch": {
                        "operations": [
                            {"action": "remove", "target": {"field": "no_such_field"}},
                        ]
                    },
                }
            ]
        },
    )
    opened = open_system(root)
    with pytest.raises(UserError) as caught:
        opened.install("ops_broken")
    message = str(caught.value)
    assert message.startswith("Cannot install ops_broken: ops_broken (views/form.yaml): ")
    assert "no_such_field" in message
    assert opened.system.installed == ["integrations"]
    assert opened.run(opened.model("UiView").filter(module="ops_broken").count()) == 0


def test_an_extension_whose_target_vanished_is_skipped_and_blamed_on_its_module(
    open_system: OpenSystem, tmp_path: Path
) -> None:
    root = tmp_path / "vanish"
    # zz_after_key puts its field after my_service's api_key without depending on it: that
    # works while my_service is installed (it comes first by name among equals).
    write_integration_module(
        root,
        "zz_after_key",
        files={
            "views/form.yaml": extension(
                {"type": "field", "name": "zz_after_key_token", "position": "after:api_key"}
            )
        },
    )
    opened = open_system(FIXTURE_MODULES, root)
    opened.install("my_service")
    opened.install("zz_after_key")
    views = opened.system.views
    assert fields_of(views.merged_arch(FORM_VIEW), "Integration") == [
        *BASE_FIELDS,
        "api_key",
        "zz_after_key_token",
        "api_secret",
    ]
    assert views.problems == {}

    opened.uninstall("my_service")  # after_key stays installed: its target is gone
    assert opened.system.is_installed("zz_after_key")
    arch = views.merged_arch(FORM_VIEW)  # no exception
    assert fields_of(arch, "Integration") == BASE_FIELDS
    assert set(views.problems) == {"zz_after_key"}
    problem = views.problems["zz_after_key"]
    assert problem.startswith("zz_after_key (views/form.yaml): ")
    assert "api_key" in problem
    names = [f.name for f in opened.form(opened.integration("zz_after_key"))]
    assert names == [*BASE_FIELDS, *SYNC_FIELDS]

    opened.install("my_service")  # the target is back: so is the field, and no problem
    assert fields_of(views.merged_arch(FORM_VIEW), "Integration") == [
        *BASE_FIELDS,
        "api_key",
        "zz_after_key_token",
        "api_secret",
    ]
    assert views.problems == {}


def test_an_unknown_view_is_a_user_error(open_system: OpenSystem) -> None:
    opened = open_system()
    with pytest.raises(UserError, match=r"^There is no view 'no_such_view'\.$"):
        opened.system.views.merged_arch("no_such_view")
    assert opened.system.views.view_model(FORM_VIEW) == "Integration"


def _names(opened: Opened, identifier: str) -> list[str]:
    return [f.name for f in opened.form(opened.integration(identifier))]


def test_a_field_view_helper_round_trip(open_system: OpenSystem, tmp_path: Path) -> None:
    """The helper used by other tests writes the reference page's extension form."""
    root = tmp_path / "helper"
    write_integration_module(
        root,
        "helper_service",
        files={"views/form.yaml": field_view("helper_service", [("helper_service_token", {})])},
    )
    opened = open_system(root)
    opened.install("helper_service")
    assert _names(opened, "helper_service") == [
        *BASE_FIELDS,
        "helper_service_token",
        *SYNC_FIELDS,
    ]


def test_a_newcomer_that_would_break_an_installed_view_is_the_one_refused(
    open_system: OpenSystem, tmp_path: Path
) -> None:
    root = tmp_path / "replacer"
    # aa_replacer comes before my_service and replaces `enabled`, which my_service targets.
    write_integration_module(
        root,
        "aa_replacer",
        files={
            "views/form.yaml": extension(
                {"type": "field", "name": "aa_replacer_token", "position": "replace:enabled"}
            )
        },
    )
    opened = open_system(FIXTURE_MODULES, root)
    opened.install("my_service")
    with pytest.raises(UserError) as caught:
        opened.install("aa_replacer")
    assert str(caught.value) == (
        "Cannot install aa_replacer: my_service (views/integration_form_view.yaml): position "
        "'after:enabled' targets no element named 'enabled' in view integration_form_view"
    )
    assert opened.module("my_service").problem is None
    assert opened.system.module_problem("my_service") is None
    assert opened.module("aa_replacer").problem == str(caught.value).split(": ", 1)[1]
    assert not opened.system.is_installed("aa_replacer")
    assert fields_of(opened.system.views.merged_arch(FORM_VIEW), "Integration") == [
        *BASE_FIELDS,
        "api_key",
        "api_secret",
    ]
