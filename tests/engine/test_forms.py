"""evaluate_form: the merged form of one record with labels, widgets and live conditions."""

from __future__ import annotations

from pathlib import Path

import pytest

from ffdesk.engine.forms import evaluate_form, missing_required
from tests.helpers.env import (
    FIXTURE_MODULES,
    FORM_VIEW,
    Opened,
    OpenSystem,
    open_system_fixture,  # noqa: F401
    write_integration_module,
)

FORM_MODELS = """
    from ffdesk.engine.base import *


    class FormServiceIntegration(Model):
        __inherit__ = "Integration"

        form_service_key = Char(
            max_length=255, description="Key", hint="From the dashboard", company_scoped=True
        )
        form_service_public = Char(max_length=255, description="Public Key")
        form_service_mode = Selection(choices=["test", "live"], default="test", description="Mode")
        form_service_retries = Integer(description="Retries", default=3)
        form_service_notes = Text(description="Notes")
        form_service_strict = Boolean(description="Strict", default=False)
"""

OWN = "Q(module__identifier__eq='form_service')"
FORM_VIEW_YAML = f"""
- data_type: UiView
  identifier: integration_form_view
  __inherit__: integration_form_view
  arch:
  - type: fieldset
    title: Form Service
    position: after:Integration
    content:
    - type: field
      name: form_service_key
      properties: {{visible: "{OWN}", required: true, readonly: "Q(enabled__eq=True)"}}
    - type: row
      content:
      - type: field
        name: form_service_public
        properties:
          visible: "{OWN}"
          widget: Password
          required: "Q(form_service_mode__eq='live')"
      - type: field
        name: form_service_mode
        properties: {{visible: "{OWN}"}}
    - type: field
      name: form_service_retries
      properties: {{visible: "{OWN}"}}
    - type: field
      name: form_service_notes
      properties: {{visible: "{OWN}", label: Notes for the team}}
    - type: field
      name: form_service_strict
      properties: {{visible: "{OWN}", widget: Toggle}}
"""


@pytest.fixture
def opened(open_system: OpenSystem, tmp_path: Path) -> Opened:
    root = tmp_path / "forms"
    write_integration_module(
        root,
        "form_service",
        models=FORM_MODELS,
        files={"views/integration_form_view.yaml": FORM_VIEW_YAML},
    )
    handle = open_system(FIXTURE_MODULES, root)
    handle.install("form_service")
    handle.install("my_service")
    return handle


def by_name(opened: Opened, identifier: str) -> dict[str, object]:
    return {f.name: f for f in opened.form(opened.integration(identifier))}


def test_fields_in_order_with_labels_widgets_types_and_paths(opened: Opened) -> None:
    form = opened.form(opened.integration("form_service"))
    rows = [(f.name, f.label, f.widget, f.type_name, f.path) for f in form]
    general, own, sync = ("Integration",), ("Form Service",), ("Synchronisation",)
    assert rows == [
        ("name", "Integration Name", "Text", "Char", general),
        ("integration_category", "Integration Category", "Select", "Selection", general),
        ("description", "Description", "TextArea", "Text", general),
        ("enabled", "Enabled", "Checkbox", "Boolean", general),
        ("api_key", "API Key", "Text", "Char", general),
        ("api_secret", "API Secret", "Password", "Char", general),
        ("form_service_key", "Key", "Text", "Char", own),
        ("form_service_public", "Public Key", "Password", "Char", own),
        ("form_service_mode", "Mode", "Select", "Selection", own),
        ("form_service_retries", "Retries", "Number", "Integer", own),
        ("form_service_notes", "Notes for the team", "TextArea", "Text", own),
        ("form_service_strict", "Strict", "Toggle", "Boolean", own),
        ("last_synced_date", "Last Synced On", "Datetime", "Datetime", sync),
        ("max_request_rate", "Request Rate Limit", "Number", "Float", sync),
        ("rate_limit_patience", "Rate Limit Patience", "Number", "Integer", sync),
        ("max_run_minutes", "Maximum Run Time", "Number", "Float", sync),
    ]
    fields = {f.name: f for f in form}
    assert fields["form_service_key"].hint == "From the dashboard"
    assert fields["integration_category"].choices == ("Online Payment", "Messaging", "Shipping")
    assert fields["form_service_mode"].choices == ("test", "live")
    assert fields["integration_category"].hint == (
        "Which category this integration belongs to (set from each module's manifest)."
    )


def test_conditions_are_evaluated_for_the_record(opened: Opened) -> None:
    record = opened.integration("form_service")
    fields = {f.name: f for f in opened.form(record)}
    assert fields["form_service_key"].visible and fields["form_service_key"].required
    assert fields["form_service_key"].readonly is False  # Q(enabled__eq=True): not enabled
    assert fields["form_service_public"].required is False  # mode is test
    assert fields["name"].readonly is True and fields["name"].required is True
    assert fields["description"].required is False
    assert fields["api_key"].visible is False

    record.form_service_mode = "live"  # unsaved edits count: the form follows the user
    record.enabled = True
    fields = {f.name: f for f in opened.form(record)}
    assert fields["form_service_public"].required is True
    assert fields["form_service_key"].readonly is True

    other = {f.name: f for f in opened.form(opened.integration("my_service"))}
    assert not any(other[n].visible for n in other if n.startswith("form_service_"))
    assert other["api_key"].visible and other["api_secret"].visible


def test_secrets_show_only_as_set(opened: Opened) -> None:
    record = opened.integration("form_service")
    shown = opened.shown(record)
    assert (shown["form_service_key"], shown["form_service_public"]) == ("", "")
    record.form_service_key = "sk-form-1234"
    record.form_service_public = "pk-form-5678"
    opened.run(record.save())
    record = opened.integration("form_service")
    shown = opened.shown(record)
    # Company-scoped: secret whatever the widget; Password widget: secret too.
    assert shown["form_service_key"] == "set"
    assert shown["form_service_public"] == "set"
    assert shown["form_service_retries"] == 3
    assert shown["name"] == "Form Service"
    flags = {f.name: (f.secret, f.company_scoped) for f in opened.form(record)}
    assert flags["form_service_key"] == (True, True)
    assert flags["form_service_public"] == (True, False)
    assert flags["api_secret"] == (True, True)
    assert flags["form_service_mode"] == (False, False)


def test_missing_required_lists_visible_required_empty_fields(opened: Opened) -> None:
    async def missing(record: object) -> list[str]:
        form = opened.system.env.form(record)  # type: ignore[arg-type]
        return [f.name for f in missing_required(form, record)]  # type: ignore[arg-type]

    record = opened.integration("form_service")
    assert opened.run(missing(record)) == ["form_service_key"]
    record.form_service_mode = "live"
    assert opened.run(missing(record)) == ["form_service_key", "form_service_public"]
    opened.write(record, form_service_key="k", form_service_public="p")  # not saved yet
    assert opened.run(missing(record)) == []
    # Invisible required fields never count.
    assert opened.run(missing(opened.integration("my_service"))) == []


def test_a_stored_view_field_the_model_lacks_is_left_out(opened: Opened) -> None:
    UiView = opened.model("UiView")
    opened.run(
        UiView.create(
            identifier=FORM_VIEW,
            inherit=FORM_VIEW,
            module="form_service",
            file="views/manual.yaml",
            sequence=99,
            arch=[{"type": "field", "name": "gone_field", "position": "after:enabled"}],
        )
    )
    opened.system.views.invalidate()
    names = [f.name for f in opened.form(opened.integration("form_service"))]
    assert "gone_field" not in names
    assert names[:4] == ["name", "integration_category", "description", "enabled"]


def test_evaluate_form_takes_the_view_service_directly(opened: Opened) -> None:
    record = opened.integration("my_service")

    async def evaluate() -> list[str]:
        return [f.name for f in evaluate_form(opened.system.views, record)]

    assert opened.run(evaluate()) == [f.name for f in opened.form(record)]
